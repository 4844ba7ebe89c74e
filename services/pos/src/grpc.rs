//! The gRPC listener: the modules' services plus health, reflection and grpc-web, behind the
//! metrics layer.

use std::collections::HashMap;

use anyhow::Context as _;
use pos_api::{Clients, Module};
use pos_platform::ModuleContext;
use pos_platform::access::{Access, ServiceCredential, authenticated};
use pos_platform::config::{ModuleSet, Upstreams};
use pos_platform::metrics::{RpcMetrics, RpcMetricsLayer};
use tonic::service::{Routes, RoutesBuilder};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// Builds the services of the local modules and installs the transports of `ctx.clients`:
/// in-process for local modules (through the access layer, like any request), remote for those
/// in `upstreams`; every call carries this process's service credential.
pub(crate) fn module_routes(
    modules: &ModuleSet,
    upstreams: &Upstreams,
    ctx: &ModuleContext,
    access: &Access,
) -> anyhow::Result<Routes> {
    let mut builder = RoutesBuilder::default();
    for module in &modules.0 {
        crate::modules::add_services(*module, ctx, &mut builder);
    }
    let routes = builder.routes().prepare();
    let credentials = ServiceCredential::new(&ctx.config.service_token_secret);
    let caller = format!(
        "pos:{}",
        modules.0.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",")
    );
    let mut transports = HashMap::new();
    for (module, address) in &upstreams.0 {
        if !modules.contains(*module) {
            let remote = Clients::remote(*module, address)?;
            transports.insert(*module, authenticated(remote, credentials.clone(), &caller));
        }
    }
    let local = Clients::in_process(tower::Layer::layer(&access.layer(), routes.clone()));
    for module in &modules.0 {
        transports.insert(
            *module,
            authenticated(local.clone(), credentials.clone(), &caller),
        );
    }
    ctx.clients.install(transports);
    Ok(routes)
}

/// Marks every service of `modules` (and each module as a whole, as `pos.<module>`) with `status`.
pub(crate) async fn set_health(reporter: &HealthReporter, modules: &ModuleSet, status: ServingStatus) {
    for module in &modules.0 {
        for service in module.service_names() {
            reporter.set_service_status(service.as_str(), status).await;
        }
        reporter.set_service_status(format!("pos.{module}"), status).await;
    }
    reporter.set_service_status("", status).await;
}

/// Serves gRPC (and grpc-web over HTTP/1.1) on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    routes: Routes,
    modules: &ModuleSet,
    health: tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>,
    metrics: RpcMetrics,
    access: &Access,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let served: Vec<String> = modules
        .0
        .iter()
        .flat_map(|module: &Module| module.service_names().iter().cloned())
        .collect();
    let reflection_v1 = reflection(&served).build_v1().context("building reflection v1")?;
    let reflection_v1alpha = reflection(&served)
        .build_v1alpha()
        .context("building reflection v1alpha")?;
    let grpc_web_headers =
        ["grpc-status", "grpc-message", "grpc-status-details-bin"].map(http::HeaderName::from_static);
    tonic::transport::Server::builder()
        .accept_http1(true)
        // Outermost first: CORS answers preflights, grpc-web is translated to gRPC, then RPCs are
        // measured (so preflights are not counted, codes are gRPC codes and refusals count), and
        // the access layer enforces `pos_api::policy` before any module's handler.
        .layer(tower_http::cors::CorsLayer::very_permissive().expose_headers(grpc_web_headers))
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(RpcMetricsLayer::new(metrics))
        .layer(access.layer())
        .add_routes(routes)
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(
            // The builder's TCP_NODELAY default applies only to listeners it binds itself: without
            // it, Nagle's algorithm and delayed ACKs hold small answers ~40 ms.
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .context("serving gRPC")
}

fn reflection(served: &[String]) -> tonic_reflection::server::Builder<'static> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pos_api::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .with_service_name("grpc.health.v1.Health");
    for service in served {
        builder = builder.with_service_name(service.clone());
    }
    builder
}
