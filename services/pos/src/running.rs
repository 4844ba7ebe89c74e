//! Starting and stopping a `pos` process.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use pos_api::Clients;
use pos_platform::access::{Access, ServiceCredential};
use pos_platform::events::EventMetrics;
use pos_platform::metrics::RpcMetrics;
use pos_platform::paging::PageTokens;
use pos_platform::{Config, ModuleContext, db, redis_pool};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic_health::ServingStatus;

/// A started process: its bound addresses, its module clients, and the handle to stop it.
#[derive(Debug)]
pub struct RunningPos {
    /// Where gRPC (and grpc-web) is served.
    pub grpc_addr: SocketAddr,
    /// Where `/metrics`, `/healthz` and `/readyz` are served.
    pub admin_addr: SocketAddr,
    /// The clients modules of this process use to reach every module.
    pub clients: Clients,
    stop: watch::Sender<bool>,
    grace: Duration,
    grpc: JoinHandle<anyhow::Result<()>>,
    admin: JoinHandle<anyhow::Result<()>>,
    events: JoinHandle<anyhow::Result<()>>,
}

/// Binds the listeners, builds the chosen modules and starts serving. Addresses with port 0 get
/// a free port (see [`RunningPos::grpc_addr`]).
pub async fn start(config: &Config) -> anyhow::Result<RunningPos> {
    let grpc_listener = tokio::net::TcpListener::bind(config.grpc_addr)
        .await
        .with_context(|| format!("binding POS_GRPC_ADDR={}", config.grpc_addr))?;
    let admin_listener = tokio::net::TcpListener::bind(config.admin_addr)
        .await
        .with_context(|| format!("binding POS_ADMIN_ADDR={}", config.admin_addr))?;
    let grpc_addr = grpc_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;

    let ctx = ModuleContext {
        db: db::lazy_pool(
            &config.database_url,
            config.database_max_connections,
            std::time::Duration::from_secs(config.database_acquire_timeout_seconds),
        )
        .context("POS_DATABASE_URL is not a valid PostgreSQL URL")?,
        redis: redis_pool::lazy_pool(&config.redis_url).context("POS_REDIS_URL is not a valid Redis URL")?,
        clients: Clients::default(),
        page_tokens: PageTokens::new(&config.page_token_secret),
        config: std::sync::Arc::new(config.clone()),
        files: pos_platform::files::Files::open(&config.object_store_url)
            .context("POS_OBJECT_STORE_URL does not name a usable object store")?,
    };
    let access = Access::new(
        ServiceCredential::new(&config.service_token_secret),
        ctx.clients.clone(),
        ctx.redis.clone(),
    );
    let routes = crate::grpc::module_routes(&config.modules, &config.upstreams, &ctx, &access)?;

    let registry = prometheus::Registry::new();
    let metrics = RpcMetrics::register(&registry)?;
    let event_metrics = EventMetrics::register(&registry)?;
    let (reporter, health) = tonic_health::server::health_reporter();
    crate::grpc::set_health(&reporter, &config.modules, ServingStatus::Serving).await;

    let (stop, stopped) = watch::channel(false);
    let until_stopped = |mut stopped: watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let modules = config.modules.clone();
    let grpc_stopped = stopped.clone();
    let grpc_access = access.clone();
    let grpc = tokio::spawn(async move {
        let shutdown = {
            let mut stopped = grpc_stopped;
            let modules = modules.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
                // Tell load balancers and probes first, then stop accepting.
                crate::grpc::set_health(&reporter, &modules, ServingStatus::NotServing).await;
            }
        };
        crate::grpc::serve(
            grpc_listener,
            routes,
            &modules,
            health,
            metrics,
            &grpc_access,
            shutdown,
        )
        .await
    });
    let kafka = crate::events::kafka_settings(config);
    tokio::spawn({
        let (access, kafka, stopped) = (access.clone(), kafka.clone(), stopped.clone());
        async move { access.follow_changes(kafka, stopped).await }
    });
    for module in &config.modules.0 {
        for task in crate::modules::background(*module, &ctx) {
            tracing::info!(task = task.name, "starting background task");
            tokio::spawn((task.run)(stopped.clone()));
        }
    }
    let events = tokio::spawn(crate::events::run(
        kafka,
        config.modules.clone(),
        ctx.clone(),
        event_metrics,
        stopped.clone(),
    ));
    let admin_router = crate::admin::router(registry, ctx.clone());
    let admin = tokio::spawn(async move {
        axum::serve(admin_listener, admin_router)
            .with_graceful_shutdown(until_stopped(stopped))
            .await
            .context("serving the admin port")
    });
    tracing::info!(
        grpc = %grpc_addr,
        admin = %admin_addr,
        modules = ?config.modules.0.iter().map(ToString::to_string).collect::<Vec<_>>(),
        remote = ?config.upstreams.0,
        "pos is serving"
    );
    Ok(RunningPos {
        grpc_addr,
        admin_addr,
        clients: ctx.clients,
        stop,
        grace: Duration::from_secs(config.shutdown_grace_seconds),
        grpc,
        admin,
        events,
    })
}

impl RunningPos {
    /// Stops accepting requests, lets in-flight ones finish within the grace period, and returns
    /// the first serving error, if any.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let grace = self.grace;
        let joined = tokio::time::timeout(grace, async {
            let grpc = self.grpc.await.context("gRPC task panicked")?;
            let admin = self.admin.await.context("admin task panicked")?;
            let events = self.events.await.context("event task panicked")?;
            grpc.and(admin).and(events)
        })
        .await;
        match joined {
            Ok(result) => result,
            Err(_) => anyhow::bail!("requests still in flight after {grace:?}; stopping anyway"),
        }
    }

    /// Resolves when a listener fails on its own (not after [`RunningPos::shutdown`]).
    pub async fn failed(&mut self) -> anyhow::Error {
        let result = tokio::select! {
            result = &mut self.grpc => result,
            result = &mut self.admin => result,
            result = &mut self.events => result,
        };
        match result {
            Ok(Ok(())) => anyhow::anyhow!("a listener stopped unexpectedly"),
            Ok(Err(error)) => error,
            Err(panic) => anyhow::anyhow!("a listener task panicked: {panic}"),
        }
    }
}
