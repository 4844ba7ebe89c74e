//! `pos serve` against real listeners, PostgreSQL and Redis: what gRPC clients, grpcurl, browsers
//! (grpc-web), operators (`/metrics`, `/healthz`, `/readyz`) and other `pos` processes see.
//!
//! Most tests start the server in the test process with [`pos::start`]; those that must observe the
//! binary as deployed (grpcurl, environment variables, grpc-web) spawn `pos serve`.
//!
//! The tests that only need some module to answer call `CategoryService/GetCategory` without an
//! id, which the category module refuses (INVALID_ARGUMENT) before it touches PostgreSQL or Redis.

#[path = "support/grpc_web.rs"]
mod grpc_web;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use clap::Parser;
use grpc_web::{grpc_web_frames, grpc_web_status, parse_trailer_block};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use pos_api::pos::category::v1::GetCategoryRequest;
use pos_api::pos::category::v1::category_service_client::CategoryServiceClient;
use pos_api::pos::common::v1::EventMeta;
use pos_api::{ClientsError, Module};
use pos_platform::Config;
use pos_platform::access::{SERVICE_HEADER, ServiceCredential};
use pos_platform::events::{Outbox, OutboxEvent};
use pos_platform::testkit::{self, TestDatabase};
use tokio::io::AsyncBufReadExt as _;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_types::StatusExt as _;

/// The RPC the tests call to reach a module: without a `category_id` it answers
/// INVALID_ARGUMENT with [`GET_CATEGORY_WITHOUT_ID`], whatever the database holds.
const GET_CATEGORY: &str = "/pos.category.v1.CategoryService/GetCategory";
const CATEGORY_SERVICE: &str = "pos.category.v1.CategoryService";
const GET_CATEGORY_WITHOUT_ID: &str = "invalid request: category_id: is required";

// ---------------------------------------------------------------------------------------------
// grpcurl and reflection
// ---------------------------------------------------------------------------------------------

/// grpcurl `list` on a process serving every module shows every module's services plus health.
#[tokio::test]
async fn grpcurl_lists_every_service_of_every_module_plus_health() {
    let pos = ServeProcess::spawn(&[("POS_MODULES", "all")]).await;

    let listed = grpcurl(pos.grpc_addr, &["list"]).await;

    assert_eq!(
        listed,
        expected_services(&Module::ALL),
        "grpcurl list:\n{listed:#?}"
    );
}

/// grpcurl `describe` resolves a service through reflection, down to its RPCs.
#[tokio::test]
async fn grpcurl_describes_the_order_service_through_reflection() {
    let pos = ServeProcess::spawn(&[("POS_MODULES", "all")]).await;

    let described = grpcurl_output(pos.grpc_addr, &["describe", "pos.order.v1.OrderService"]).await;

    assert!(
        described.contains("pos.order.v1.OrderService is a service"),
        "{described}"
    );
    assert!(described.contains("rpc CreateOrder"), "{described}");
}

/// With `POS_MODULES=auth,product`, reflection lists only those modules' services plus health.
#[tokio::test]
async fn grpcurl_lists_only_the_services_of_the_enabled_modules() {
    let pos = ServeProcess::spawn(&[("POS_MODULES", "auth,product")]).await;

    let listed = grpcurl(pos.grpc_addr, &["list"]).await;

    assert_eq!(
        listed,
        expected_services(&[Module::Auth, Module::Product]),
        "grpcurl list:\n{listed:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// gRPC health
// ---------------------------------------------------------------------------------------------

/// Health reports SERVING for the server, every service of every module and every `pos.<module>`.
#[tokio::test]
async fn health_reports_every_service_and_every_module_serving() {
    let pos = pos::start(&config(&["--modules", "all"])).await.unwrap();
    let mut health = HealthClient::new(channel(pos.grpc_addr).await);

    let mut names = vec![String::new()];
    for module in Module::ALL {
        names.extend(module.service_names().iter().cloned());
        names.push(format!("pos.{module}"));
    }
    for name in names {
        let response = health
            .check(HealthCheckRequest {
                service: name.clone(),
            })
            .await
            .unwrap_or_else(|status| panic!("health check of `{name}` failed: {status:?}"));
        assert_eq!(
            response.into_inner().status(),
            ServingStatus::Serving,
            "health of `{name}`"
        );
    }

    pos.shutdown().await.unwrap();
}

/// A process serving some modules knows nothing about the others: health answers NOT_FOUND.
#[tokio::test]
async fn health_does_not_know_modules_the_process_does_not_serve() {
    let pos = pos::start(&config(&["--modules", "auth,product"])).await.unwrap();
    let mut health = HealthClient::new(channel(pos.grpc_addr).await);

    for name in ["pos.auth", "pos.auth.v1.AuthService", "pos.product"] {
        let response = health
            .check(HealthCheckRequest {
                service: name.to_owned(),
            })
            .await
            .unwrap();
        assert_eq!(response.into_inner().status(), ServingStatus::Serving, "{name}");
    }
    for name in ["pos.order", "pos.order.v1.OrderService", CATEGORY_SERVICE] {
        let status = health
            .check(HealthCheckRequest {
                service: name.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::NotFound, "{name}: {status:?}");
    }

    pos.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Module clients: in-process and remote
// ---------------------------------------------------------------------------------------------

/// A module served elsewhere is reached over the network through POS_UPSTREAMS; a local one
/// in-process (no socket, so the server's metrics do not count it); both give the same answer.
#[tokio::test]
async fn clients_reach_remote_modules_over_the_network_and_local_ones_in_process() {
    let a = pos::start(&config(&["--modules", "category"])).await.unwrap();
    let upstreams = format!("category=http://{}", a.grpc_addr);
    let b = pos::start(&config(&["--modules", "order", "--upstreams", &upstreams]))
        .await
        .unwrap();

    let remote = b
        .clients
        .category()
        .unwrap()
        .get_category(GetCategoryRequest::default())
        .await
        .unwrap_err();
    assert_eq!(remote.code(), tonic::Code::InvalidArgument, "{remote:?}");
    assert_eq!(remote.message(), GET_CATEGORY_WITHOUT_ID);
    assert_eq!(
        get_category_count(&metrics_text(a.admin_addr).await, "InvalidArgument"),
        1.0,
        "A served B's call over gRPC"
    );
    assert_eq!(
        get_category_count(&metrics_text(b.admin_addr).await, "InvalidArgument"),
        0.0,
        "B does not serve category"
    );

    let local = a
        .clients
        .category()
        .unwrap()
        .get_category(GetCategoryRequest::default())
        .await
        .unwrap_err();
    assert_eq!(local.code(), remote.code());
    assert_eq!(local.message(), remote.message());
    assert_eq!(
        local
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone()),
        Some("INVALID_ARGUMENT".to_owned())
    );
    assert_eq!(
        get_category_count(&metrics_text(a.admin_addr).await, "InvalidArgument"),
        1.0,
        "A's in-process call went through no socket, so its gRPC listener did not count it"
    );

    b.shutdown().await.unwrap();
    a.shutdown().await.unwrap();
}

/// A module neither served by the process nor given an upstream cannot be reached: NotConfigured.
#[tokio::test]
async fn clients_refuse_a_module_neither_local_nor_configured_upstream() {
    let a = pos::start(&config(&["--modules", "category"])).await.unwrap();
    let upstreams = format!("category=http://{}", a.grpc_addr);
    let b = pos::start(&config(&["--modules", "order", "--upstreams", &upstreams]))
        .await
        .unwrap();

    assert_eq!(b.clients.reachable(), vec![Module::Category, Module::Order]);
    let error = b.clients.transport(Module::Product).unwrap_err();
    assert!(
        matches!(error, ClientsError::NotConfigured(Module::Product)),
        "{error:?}"
    );
    assert!(b.clients.category().is_ok());

    b.shutdown().await.unwrap();
    a.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// A process serving the order module creates the topics, leads the order outbox's relay and
/// publishes a committed event; /metrics shows the leadership, the publication and an empty
/// backlog.
#[tokio::test]
async fn a_process_relays_its_modules_outbox_to_the_broker() {
    let database = TestDatabase::migrated().await.unwrap();
    let brokers = testkit::kafka_brokers();
    let pos = pos::start(&config(&[
        "--modules",
        "order",
        "--database-url",
        &database.url,
        "--kafka-brokers",
        &brokers,
    ]))
    .await
    .unwrap();

    let id = uuid::Uuid::now_v7();
    let meta = EventMeta {
        event_id: id.to_string(),
        ..EventMeta::default()
    };
    let mut tx = database.pool.begin().await.unwrap();
    Outbox::of(Module::Order)
        .append(&mut tx, &OutboxEvent::new(id, "order-1", &meta))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let published = |text: &str| {
        sample(
            text,
            "pos_events_published_total",
            &[("topic", "pos.order.v1.events")],
        )
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut text = metrics_text(pos.admin_addr).await;
    while published(&text) < 1.0 || sample(&text, "pos_outbox_backlog", &[("module", "order")]) != 0.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not published within 60 s:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        text = metrics_text(pos.admin_addr).await;
    }
    assert_eq!(published(&text), 1.0, "{text}");
    assert_eq!(
        sample(&text, "pos_outbox_relay_leader", &[("module", "order")]),
        1.0,
        "{text}"
    );
    let published_at: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT published_at FROM orders.outbox WHERE event_id = $1")
            .bind(id)
            .fetch_one(&database.pool)
            .await
            .unwrap();
    assert!(published_at.is_some(), "the row is marked published");
    pos.shutdown().await.unwrap();
    database.drop_database().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Admin port
// ---------------------------------------------------------------------------------------------

/// After one call, /metrics has that RPC's request counter with its code, and its latency histogram.
#[tokio::test]
async fn metrics_count_an_rpc_by_code_and_record_its_latency() {
    let pos = pos::start(&config(&["--modules", "category"])).await.unwrap();
    let mut categories = CategoryServiceClient::new(channel(pos.grpc_addr).await);
    categories
        .get_category(as_service(GetCategoryRequest::default()))
        .await
        .unwrap_err();

    let (status, _, body) = http_request(pos.admin_addr, get("/metrics")).await;
    assert_eq!(status, http::StatusCode::OK);
    let text = String::from_utf8(body.to_vec()).unwrap();

    assert_eq!(get_category_count(&text, "InvalidArgument"), 1.0, "{text}");
    assert!(
        text.contains("# TYPE pos_grpc_request_duration_seconds histogram"),
        "{text}"
    );
    let histogram = [
        ("module", "category"),
        ("service", CATEGORY_SERVICE),
        ("method", "GetCategory"),
    ];
    assert_eq!(
        sample(&text, "pos_grpc_request_duration_seconds_count", &histogram),
        1.0,
        "{text}"
    );
    let mut inf_bucket = histogram.to_vec();
    inf_bucket.push(("le", "+Inf"));
    assert_eq!(
        sample(&text, "pos_grpc_request_duration_seconds_bucket", &inf_bucket),
        1.0,
        "{text}"
    );

    pos.shutdown().await.unwrap();
}

/// /healthz answers 200 while the process is up.
#[tokio::test]
async fn healthz_answers_ok_while_the_process_is_up() {
    let pos = pos::start(&config(&["--modules", "all"])).await.unwrap();

    let (status, _, body) = http_request(pos.admin_addr, get("/healthz")).await;

    assert_eq!(status, http::StatusCode::OK);
    assert_eq!(&body[..], b"ok\n");
    pos.shutdown().await.unwrap();
}

/// /readyz answers 200 when the real PostgreSQL and Redis answer.
#[tokio::test]
async fn readyz_answers_ok_when_postgres_and_redis_answer() {
    let database_url = pos_platform::testkit::admin_database_url();
    let redis_url = pos_platform::testkit::redis_url();
    let pos = pos::start(&config(&[
        "--modules",
        "all",
        "--database-url",
        &database_url,
        "--redis-url",
        &redis_url,
    ]))
    .await
    .unwrap();

    let (status, _, body) = http_request(pos.admin_addr, get("/readyz")).await;

    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, http::StatusCode::OK, "{body}");
    assert_eq!(body, "postgres: ok\nredis: ok\n");
    pos.shutdown().await.unwrap();
}

/// /readyz answers 503 naming PostgreSQL when POS_DATABASE_URL points at a closed port.
#[tokio::test]
async fn readyz_answers_unavailable_when_the_database_is_unreachable() {
    let redis_url = pos_platform::testkit::redis_url();
    let pos = ServeProcess::spawn(&[
        ("POS_MODULES", "all"),
        ("POS_DATABASE_URL", "postgres://pos:pos@127.0.0.1:1/pos"),
        ("POS_REDIS_URL", &redis_url),
    ])
    .await;

    let (status, _, body) = http_request(pos.admin_addr, get("/readyz")).await;

    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, http::StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("postgres: unavailable"), "{body}");
    assert!(body.contains("redis: ok"), "{body}");
}

// ---------------------------------------------------------------------------------------------
// grpc-web over HTTP/1.1, straight to the binary
// ---------------------------------------------------------------------------------------------

/// A grpc-web call over HTTP/1.1 that fails gets HTTP 200 and its grpc-status (here 3,
/// INVALID_ARGUMENT: GetCategory without an id) with the message and the error details.
///
/// tonic answers an error as a trailers-only response, which grpc-web carries in the HTTP headers
/// with an empty body; a status in a trailer frame (flag 0x80) of the body is read the same way.
#[tokio::test]
async fn grpc_web_call_that_fails_answers_its_status_in_the_trailers() {
    let pos = ServeProcess::spawn(&[("POS_MODULES", "all")]).await;

    let (status, headers, body) = http_request(pos.grpc_addr, grpc_web_post(GET_CATEGORY)).await;

    assert_eq!(status, http::StatusCode::OK);
    assert_eq!(
        headers.get(http::header::CONTENT_TYPE).unwrap(),
        "application/grpc-web+proto"
    );
    let frames = grpc_web_frames(&body);
    assert!(
        frames.iter().all(|(flags, _)| flags & 0x80 != 0),
        "an error carries no message frame: {frames:?}"
    );
    let trailers = grpc_web_status(&headers, &frames);
    assert_eq!(
        trailers.get("grpc-status").map(String::as_str),
        Some("3"),
        "{trailers:?}"
    );
    assert_eq!(
        trailers.get("grpc-message").map(String::as_str),
        Some("invalid%20request:%20category_id:%20is%20required"),
        "{trailers:?}"
    );
    assert!(trailers.contains_key("grpc-status-details-bin"), "{trailers:?}");
}

/// A successful grpc-web call gets its message frame, then a trailer frame (flag 0x80) with grpc-status 0.
#[tokio::test]
async fn grpc_web_call_that_succeeds_ends_with_a_trailer_frame() {
    let pos = ServeProcess::spawn(&[("POS_MODULES", "all")]).await;

    let (status, _, body) = http_request(pos.grpc_addr, grpc_web_post("/grpc.health.v1.Health/Check")).await;

    assert_eq!(status, http::StatusCode::OK);
    let frames = grpc_web_frames(&body);
    assert_eq!(frames.len(), 2, "{frames:?}");
    let (message_flags, message) = &frames[0];
    assert_eq!(*message_flags, 0x00);
    let response = <HealthCheckResponse as prost::Message>::decode(message.as_slice()).unwrap();
    assert_eq!(response.status(), ServingStatus::Serving);
    let (trailer_flags, trailer) = &frames[1];
    assert_eq!(*trailer_flags, 0x80);
    let trailers = parse_trailer_block(trailer);
    assert_eq!(
        trailers.get("grpc-status").map(String::as_str),
        Some("0"),
        "{trailers:?}"
    );
}

/// A browser's CORS preflight for a grpc-web call is allowed for the requesting origin.
#[tokio::test]
async fn grpc_web_cors_preflight_is_allowed() {
    let pos = ServeProcess::spawn(&[("POS_MODULES", "all")]).await;
    let origin = "http://shop.example.test";
    let preflight = http::Request::options(GET_CATEGORY)
        .header(http::header::HOST, "pos")
        .header(http::header::ORIGIN, origin)
        .header(http::header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            http::header::ACCESS_CONTROL_REQUEST_HEADERS,
            "content-type,x-grpc-web,x-user-agent",
        )
        .body(Full::new(Bytes::new()))
        .unwrap();

    let (status, headers, _) = http_request(pos.grpc_addr, preflight).await;

    assert!(status.is_success(), "{status}");
    assert_eq!(
        headers.get(http::header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(),
        origin
    );
    let allowed_methods = headers
        .get(http::header::ACCESS_CONTROL_ALLOW_METHODS)
        .unwrap()
        .to_str()
        .unwrap()
        .to_ascii_uppercase();
    assert!(allowed_methods.contains("POST"), "{allowed_methods}");
}

// ---------------------------------------------------------------------------------------------
// Shutdown
// ---------------------------------------------------------------------------------------------

/// Once `shutdown()` returns Ok, the gRPC and admin ports refuse connections.
#[tokio::test]
async fn after_shutdown_the_ports_refuse_connections() {
    let pos = pos::start(&config(&["--modules", "all"])).await.unwrap();
    let (grpc_addr, admin_addr) = (pos.grpc_addr, pos.admin_addr);
    // An open HTTP/2 connection that has served a call must not hold the shutdown up.
    let mut health = HealthClient::new(channel(grpc_addr).await);
    health.check(HealthCheckRequest::default()).await.unwrap();

    tokio::time::timeout(Duration::from_secs(10), pos.shutdown())
        .await
        .expect("shutdown finishes within its grace period")
        .unwrap();

    for addr in [grpc_addr, admin_addr] {
        let error = tokio::net::TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::ConnectionRefused,
            "{addr}: {error}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

/// A configuration on free loopback ports with a short grace period and no upstreams, plus `args`.
/// Name the modules in `args` (when absent, `POS_MODULES` of the environment would apply).
fn config(args: &[&str]) -> Config {
    let mut argv = vec![
        "pos",
        "--grpc-addr",
        "127.0.0.1:0",
        "--admin-addr",
        "127.0.0.1:0",
        "--shutdown-grace-seconds",
        "5",
    ];
    if !args.contains(&"--upstreams") {
        argv.extend(["--upstreams", ""]);
    }
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).unwrap().config
}

/// A service credential for the default (development) secret every test process here uses.
fn service_credential() -> String {
    ServiceCredential::new(&config(&[]).service_token_secret).mint("test", chrono::Utc::now())
}

/// `message` with a service credential: the access layer lets it through to the handler.
fn as_service<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert(SERVICE_HEADER, service_credential().parse().unwrap());
    request
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// A `pos serve` child process on free loopback ports; killed when dropped.
struct ServeProcess {
    grpc_addr: SocketAddr,
    admin_addr: SocketAddr,
    _child: tokio::process::Child,
}

impl ServeProcess {
    /// Spawns `pos serve` with `env` over the defaults and waits for its "pos is serving" log line,
    /// which names the bound addresses.
    async fn spawn(env: &[(&str, &str)]) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pos"))
            .arg("serve")
            .env("POS_GRPC_ADDR", "127.0.0.1:0")
            .env("POS_ADMIN_ADDR", "127.0.0.1:0")
            .env("POS_UPSTREAMS", "")
            .env("POS_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawning pos serve");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let serving = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                    && event["message"] == "pos is serving"
                {
                    return event;
                }
            }
            panic!("pos serve exited before it was serving");
        })
        .await
        .expect("pos serve logs `pos is serving` within 20 s");
        // Keep draining the log so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let addr = |field: &str| -> SocketAddr {
            serving[field]
                .as_str()
                .and_then(|addr| addr.parse().ok())
                .unwrap_or_else(|| panic!("`{field}` address in {serving}"))
        };
        ServeProcess {
            grpc_addr: addr("grpc"),
            admin_addr: addr("admin"),
            _child: child,
        }
    }
}

/// The path of grpcurl, from `POS_GRPCURL`. Unset is a failure, never a skip.
fn grpcurl_path() -> PathBuf {
    let Some(path) = std::env::var_os("POS_GRPCURL") else {
        panic!(
            "POS_GRPCURL is not set: these tests need grpcurl. Run them with `cargo xtask test`, \
             or set POS_GRPCURL to its path (e.g. POS_GRPCURL=$PWD/.tools/venv/bin/grpcurl)"
        );
    };
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "POS_GRPCURL={} does not name a file",
        path.display()
    );
    path
}

/// grpcurl's standard output for `args` against the plaintext server at `addr`; fails when grpcurl does.
async fn grpcurl_output(addr: SocketAddr, args: &[&str]) -> String {
    let output = tokio::process::Command::new(grpcurl_path())
        .arg("-plaintext")
        .arg(addr.to_string())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("running grpcurl");
    assert!(
        output.status.success(),
        "grpcurl {args:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The lines grpcurl prints for `args`, as a set; fails on a duplicate.
async fn grpcurl(addr: SocketAddr, args: &[&str]) -> BTreeSet<String> {
    let output = grpcurl_output(addr, args).await;
    let lines: Vec<String> = output.lines().map(str::to_owned).collect();
    let set: BTreeSet<String> = lines.iter().cloned().collect();
    assert_eq!(set.len(), lines.len(), "grpcurl listed a name twice: {lines:?}");
    set
}

/// Every gRPC service of `modules` plus `grpc.health.v1.Health`.
fn expected_services(modules: &[Module]) -> BTreeSet<String> {
    let mut services: BTreeSet<String> = modules
        .iter()
        .flat_map(|module| module.service_names().iter().cloned())
        .collect();
    assert!(services.len() >= modules.len(), "every module serves a service");
    services.insert("grpc.health.v1.Health".to_owned());
    services
}

fn get(path: &str) -> http::Request<Full<Bytes>> {
    http::Request::get(path)
        .header(http::header::HOST, "pos")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// A grpc-web POST of `path` carrying one empty message (a valid request of every proto3 type),
/// with a service credential.
fn grpc_web_post(path: &str) -> http::Request<Full<Bytes>> {
    http::Request::post(path)
        .header(http::header::HOST, "pos")
        .header(SERVICE_HEADER, service_credential())
        .header(http::header::CONTENT_TYPE, "application/grpc-web+proto")
        .header(http::header::ACCEPT, "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(Full::new(Bytes::from_static(&[0, 0, 0, 0, 0])))
        .unwrap()
}

/// Sends `request` over a fresh HTTP/1.1 connection to `addr`; returns status, headers and body.
async fn http_request(
    addr: SocketAddr,
    request: http::Request<Full<Bytes>>,
) -> (http::StatusCode, http::HeaderMap, Bytes) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let response = tokio::time::timeout(Duration::from_secs(10), sender.send_request(request))
        .await
        .expect("an HTTP answer within 10 s")
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, body)
}

async fn metrics_text(admin_addr: SocketAddr) -> String {
    let (status, _, body) = http_request(admin_addr, get("/metrics")).await;
    assert_eq!(status, http::StatusCode::OK);
    String::from_utf8(body.to_vec()).unwrap()
}

/// `pos_grpc_requests_total` of `CategoryService/GetCategory` with `code`.
fn get_category_count(metrics: &str, code: &str) -> f64 {
    sample(
        metrics,
        "pos_grpc_requests_total",
        &[
            ("module", "category"),
            ("service", CATEGORY_SERVICE),
            ("method", "GetCategory"),
            ("code", code),
        ],
    )
}

/// The value of the sample `name` with exactly `labels` in a Prometheus text exposition; 0 when absent.
fn sample(exposition: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let wanted: BTreeMap<&str, &str> = labels.iter().copied().collect();
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, labels) = match series.split_once('{') {
                Some((metric, labels)) => (metric, labels.strip_suffix('}')?),
                None => (series, ""),
            };
            let found: BTreeMap<&str, &str> = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    Some((key, value.trim_matches('"')))
                })
                .collect();
            (metric == name && found == wanted).then(|| value.parse::<f64>().unwrap())
        })
        .unwrap_or(0.0)
}
