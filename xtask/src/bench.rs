//! `cargo xtask bench edge`: what the edge costs (`bench checkout`, `bench reports` and `bench
//! events` run the cargo benches of `services/pos` and `services/platform`). Starts one `pos` (every module) and the edge
//! (NGINX → Envoy) on free ports, then calls the same RPC for a fixed time with N concurrent
//! clients three ways — gRPC straight to `pos`, REST/JSON through NGINX → Envoy, grpc-web
//! through NGINX → Envoy — and prints throughput, p50 and p99 latency and the ratios to direct
//! gRPC.
//!
//! The RPC is `CategoryService/GetCategory` of a seeded category, signed in as the seeded admin:
//! each call goes through the access layer (token check, cached grants) and the Redis
//! read-through cache, as a till's catalogue reads do. The platform runs against a fresh database
//! `pos_bench`. Clients, `pos`, Envoy and NGINX share the machine's cores, and `pos` is the debug
//! build `cargo xtask up` runs.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::edge::{self, Edge, EdgeOptions};
use crate::{broker, migrate, note, stack, step};

const GRPC_PATH: &str = "/pos.category.v1.CategoryService/GetCategory";
/// The database the bench runs against, created afresh each run.
const BENCH_DATABASE: &str = "pos_bench";

/// What every call sends: the admin's token, the category id as a `GetCategoryRequest` frame and
/// the REST path.
struct Call {
    authorization: String,
    frame: Bytes,
    rest_path: String,
}

impl Call {
    fn new(token: &str, category_id: &str) -> Result<Call> {
        // GetCategoryRequest { category_id = 1 (string) }: tag 0x0A, length, bytes.
        let mut message = vec![0x0A, u8::try_from(category_id.len())?];
        message.extend_from_slice(category_id.as_bytes());
        let mut frame = vec![0u8];
        frame.extend_from_slice(&u32::try_from(message.len())?.to_be_bytes());
        frame.extend_from_slice(&message);
        Ok(Call {
            authorization: format!("Bearer {token}"),
            frame: Bytes::from(frame),
            rest_path: format!("/api/v1/categories/{category_id}"),
        })
    }
}

#[derive(clap::Subcommand)]
pub(crate) enum What {
    /// The same RPC over gRPC to `pos`, REST through the edge and grpc-web through the edge.
    Edge(EdgeArgs),
    /// Outbox relay and consumer throughput against the real PostgreSQL and broker
    /// (`services/platform/benches/events.rs`; `POS_BENCH_EVENTS` events, default 5000).
    Events,
    /// Checkouts per second and p50/p99 over gRPC (CreateOrder with 3 lines + cash payment),
    /// then the equivalent SQL with pgbench on the same database, and their ratio
    /// (`services/pos/benches/checkout.rs`).
    Checkout(CheckoutArgs),
    /// Every report RPC over gRPC against a read model of many orders (seeded straight into the
    /// report facts, rollups rebuilt): p50/p99 per RPC without, then with, the Redis cache
    /// (`services/pos/benches/reports.rs`).
    Reports(ReportsArgs),
}

#[derive(clap::Args)]
pub(crate) struct ReportsArgs {
    /// Orders seeded into the report facts.
    #[arg(long, default_value_t = 1_000_000)]
    orders: u64,
    /// Calls of each request shape, per pass.
    #[arg(long, default_value_t = 200)]
    calls: u64,
}

#[derive(clap::Args)]
pub(crate) struct CheckoutArgs {
    /// Concurrent tills (and pgbench clients).
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Measured seconds for each of the two runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

#[derive(clap::Args)]
pub(crate) struct EdgeArgs {
    /// Concurrent clients (one connection each).
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Measured seconds per transport (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

pub(crate) fn run(what: &What) -> Result<()> {
    match what {
        What::Edge(args) => edge_bench(args),
        What::Events => events_bench(),
        What::Checkout(args) => checkout_bench(args),
        What::Reports(args) => reports_bench(args),
    }
}

fn reports_bench(args: &ReportsArgs) -> Result<()> {
    if args.orders == 0 || args.calls == 0 {
        bail!("--orders and --calls must be positive");
    }
    stack::ensure_postgres()?;
    stack::ensure_redis()?;
    fs::create_dir_all(stack::RUN_DIR)?;
    broker::ensure_broker(Path::new(stack::RUN_DIR))?;
    step("benchmark: report RPCs over gRPC on a seeded read model, uncached then cached");
    crate::proc::run(
        Command::new(env!("CARGO"))
            .args(["bench", "--quiet", "--package", "pos", "--bench", "reports"])
            .env(
                "POS_TEST_DATABASE_URL",
                "postgres://pos:pos@127.0.0.1:5432/postgres",
            )
            .env("POS_TEST_REDIS_URL", stack::DEFAULT_REDIS_URL)
            .env("POS_TEST_KAFKA_BROKERS", broker::BROKER_ADDR)
            .env("POS_BENCH_REPORT_ORDERS", args.orders.to_string())
            .env("POS_BENCH_REPORT_CALLS", args.calls.to_string()),
    )
}

fn checkout_bench(args: &CheckoutArgs) -> Result<()> {
    if args.clients == 0 || args.seconds == 0 {
        bail!("--clients and --seconds must be positive");
    }
    stack::ensure_postgres()?;
    stack::ensure_redis()?;
    fs::create_dir_all(stack::RUN_DIR)?;
    broker::ensure_broker(Path::new(stack::RUN_DIR))?;
    step("benchmark: checkouts over gRPC, then the equivalent SQL with pgbench");
    crate::proc::run(
        Command::new(env!("CARGO"))
            .args(["bench", "--quiet", "--package", "pos", "--bench", "checkout"])
            .env(
                "POS_TEST_DATABASE_URL",
                "postgres://pos:pos@127.0.0.1:5432/postgres",
            )
            .env("POS_TEST_REDIS_URL", stack::DEFAULT_REDIS_URL)
            .env("POS_TEST_KAFKA_BROKERS", broker::BROKER_ADDR)
            .env("POS_BENCH_CLIENTS", args.clients.to_string())
            .env("POS_BENCH_SECONDS", args.seconds.to_string()),
    )
}

fn events_bench() -> Result<()> {
    stack::ensure_postgres()?;
    stack::ensure_redis()?;
    fs::create_dir_all(stack::RUN_DIR)?;
    broker::ensure_broker(Path::new(stack::RUN_DIR))?;
    step("benchmark: outbox relay and consumer");
    crate::proc::run(
        Command::new(env!("CARGO"))
            .args([
                "bench",
                "--quiet",
                "--package",
                "pos-platform",
                "--bench",
                "events",
            ])
            .env(
                "POS_TEST_DATABASE_URL",
                "postgres://pos:pos@127.0.0.1:5432/postgres",
            )
            .env("POS_TEST_KAFKA_BROKERS", broker::BROKER_ADDR),
    )
}

#[derive(Clone, Copy)]
enum Transport {
    Grpc,
    Rest,
    GrpcWeb,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Grpc => "gRPC direct to pos",
            Transport::Rest => "REST via NGINX→Envoy",
            Transport::GrpcWeb => "grpc-web via NGINX→Envoy",
        }
    }
}

struct Figures {
    requests: usize,
    unexpected: usize,
    throughput: f64,
    p50: Duration,
    p99: Duration,
}

fn edge_bench(args: &EdgeArgs) -> Result<()> {
    if args.clients == 0 || args.seconds == 0 {
        bail!("--clients and --seconds must be positive");
    }
    stack::ensure_postgres()?;
    stack::ensure_redis()?;
    fs::create_dir_all(stack::RUN_DIR)?;
    broker::ensure_broker(Path::new(stack::RUN_DIR))?;
    let database_url = fresh_database()?;
    migrate::apply_all(&database_url)?;
    let pos_binary = stack::build_pos()?;

    let [grpc_port, admin_port, nginx_port, envoy_port, envoy_admin_port] = free_ports()?;
    let grpc = SocketAddr::from(([127, 0, 0, 1], grpc_port));
    step(format!("starting pos (every module) on {grpc}"));
    let log = fs::File::create(Path::new(stack::RUN_DIR).join("bench-pos.log"))?;
    let pos = Stopped(
        Command::new(&pos_binary)
            .arg("serve")
            .env("POS_MODULES", "all")
            .env("POS_GRPC_ADDR", grpc.to_string())
            .env("POS_ADMIN_ADDR", format!("127.0.0.1:{admin_port}"))
            .env("POS_UPSTREAMS", "")
            .env("POS_DATABASE_URL", &database_url)
            .env("POS_KAFKA_NAMESPACE", "bench.")
            .env("POS_OBJECT_STORE_URL", "memory://")
            .env("POS_REDIS_URL", stack::DEFAULT_REDIS_URL)
            .env("POS_KAFKA_BROKERS", broker::BROKER_ADDR)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting pos")?,
    );
    let started = Instant::now();
    while !stack::http_get_ok(&format!("127.0.0.1:{admin_port}"), "/readyz") {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("pos is not ready after 60 s (see .run/bench-pos.log)");
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    step("starting the edge (Envoy, NGINX)");
    let mut options = EdgeOptions::new(edge::one_process(grpc)?);
    options.nginx_port = nginx_port;
    options.envoy_port = envoy_port;
    options.envoy_admin_port = envoy_admin_port;
    options.runtime_dir = Path::new(stack::RUN_DIR).join("bench-edge");
    options.auth_rate_limit = None;
    options.log_to_files = true;
    let mut edge = Edge::start(&options)?;
    let nginx = SocketAddr::from(([127, 0, 0, 1], nginx_port));

    step("seeding the admin and the demo categories");
    let mut random = [0u8; 16];
    std::io::Read::read_exact(&mut fs::File::open("/dev/urandom")?, &mut random)?;
    let password: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let seeded = Command::new(&pos_binary)
        .args(["seed", "--target", &format!("http://{grpc}")])
        .env("POS_SEED_ADMIN_EMAIL", "admin@bench.local")
        .env("POS_SEED_ADMIN_PASSWORD", &password)
        .stdout(Stdio::null())
        .status()?;
    if !seeded.success() {
        bail!("pos seed failed ({seeded})");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let call = Arc::new(runtime.block_on(sign_in_and_pick_a_category(nginx, &password))?);
    step(format!(
        "{GRPC_PATH} (REST: GET {}) as the admin: access layer, cached grants, Redis read-through cache",
        call.rest_path
    ));
    note(format!(
        "{} clients, one connection each, {} s per transport after 1 s of warm-up; clients, \
         pos (debug build), Envoy and NGINX share this machine's {} cores",
        args.clients,
        args.seconds,
        std::thread::available_parallelism().map_or(1, usize::from)
    ));
    let mut results = Vec::new();
    for transport in [Transport::Grpc, Transport::Rest, Transport::GrpcWeb] {
        let target = match transport {
            Transport::Grpc => grpc,
            Transport::Rest | Transport::GrpcWeb => nginx,
        };
        let figures = runtime.block_on(measure(
            transport,
            target,
            &call,
            args.clients,
            Duration::from_secs(args.seconds),
        ))?;
        edge.check()?;
        note(format!(
            "{:<26} {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} calls{})",
            transport.name(),
            figures.throughput,
            millis(figures.p50),
            millis(figures.p99),
            figures.requests,
            if figures.unexpected > 0 {
                format!(", {} unexpected answers", figures.unexpected)
            } else {
                String::new()
            }
        ));
        results.push((transport, figures));
    }
    print_summary(&results);
    edge.stop()?;
    drop(pos);
    Ok(())
}

#[allow(clippy::print_stdout)]
fn print_summary(results: &[(Transport, Figures)]) {
    let Some((_, direct)) = results.first() else {
        return;
    };
    println!();
    println!(
        "{:<26} {:>10} {:>9} {:>9} {:>12} {:>10}",
        "transport", "req/s", "p50 ms", "p99 ms", "throughput", "p99"
    );
    for (transport, figures) in results {
        println!(
            "{:<26} {:>10.0} {:>9.2} {:>9.2} {:>11.2}x {:>9.2}x",
            transport.name(),
            figures.throughput,
            millis(figures.p50),
            millis(figures.p99),
            figures.throughput / direct.throughput,
            millis(figures.p99) / millis(direct.p99),
        );
    }
    println!(
        "(ratios relative to gRPC direct to pos: throughput below 1x and p99 above 1x are the edge's cost)"
    );
    println!();
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Runs `clients` loops against `target` for one second of warm-up plus `duration`.
async fn measure(
    transport: Transport,
    target: SocketAddr,
    call: &Arc<Call>,
    clients: usize,
    duration: Duration,
) -> Result<Figures> {
    let measuring = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let client = Client::connect(transport, target, call.clone()).await?;
        tasks.push(tokio::spawn(client_loop(client, measuring.clone(), done.clone())));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    measuring.store(true, Ordering::SeqCst);
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    done.store(true, Ordering::SeqCst);
    let elapsed = started.elapsed();
    let mut latencies = Vec::new();
    let mut unexpected = 0;
    for task in tasks {
        let (mut client_latencies, client_unexpected) = task.await??;
        latencies.append(&mut client_latencies);
        unexpected += client_unexpected;
    }
    if latencies.is_empty() {
        bail!("{}: no call completed", transport.name());
    }
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index]
    };
    Ok(Figures {
        requests: latencies.len(),
        unexpected,
        throughput: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(0.50),
        p99: percentile(0.99),
    })
}

/// Calls until `done`; returns the latencies of the calls started while `measuring`, and how
/// many answers were not the expected success.
async fn client_loop(
    mut client: Client,
    measuring: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
) -> Result<(Vec<Duration>, usize)> {
    let mut latencies = Vec::new();
    let mut unexpected = 0;
    while !done.load(Ordering::SeqCst) {
        let counted = measuring.load(Ordering::SeqCst);
        let started = Instant::now();
        let expected = match client.call().await {
            Ok(expected) => expected,
            // The server closed the connection between two calls: connect again, once.
            Err(_) => {
                client = Client::connect(client.transport, client.target, client.call.clone()).await?;
                continue;
            }
        };
        if counted && !done.load(Ordering::SeqCst) {
            latencies.push(started.elapsed());
            unexpected += usize::from(!expected);
        }
    }
    Ok((latencies, unexpected))
}

enum Sender {
    Http2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
    Http1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
}

struct Client {
    transport: Transport,
    target: SocketAddr,
    call: Arc<Call>,
    sender: Sender,
}

impl Client {
    async fn connect(transport: Transport, target: SocketAddr, call: Arc<Call>) -> Result<Client> {
        let stream = tokio::net::TcpStream::connect(target).await?;
        stream.set_nodelay(true)?;
        let io = TokioIo::new(stream);
        let sender = match transport {
            Transport::Grpc => {
                let (sender, connection) =
                    hyper::client::conn::http2::handshake(TokioExecutor::new(), io).await?;
                tokio::spawn(connection);
                Sender::Http2(sender)
            }
            Transport::Rest | Transport::GrpcWeb => {
                let (sender, connection) = hyper::client::conn::http1::handshake(io).await?;
                tokio::spawn(connection);
                Sender::Http1(sender)
            }
        };
        Ok(Client {
            transport,
            target,
            call,
            sender,
        })
    }

    /// A new connection when the server closed this one (NGINX closes a keep-alive connection
    /// after 1000 requests).
    async fn reconnect_when_closed(&mut self) -> Result<()> {
        let closed = match &self.sender {
            Sender::Http2(sender) => sender.is_closed(),
            Sender::Http1(sender) => sender.is_closed(),
        };
        if closed {
            *self = Client::connect(self.transport, self.target, self.call.clone()).await?;
        }
        Ok(())
    }

    /// One call; `Ok(true)` when it answered OK.
    async fn call(&mut self) -> Result<bool> {
        self.reconnect_when_closed().await?;
        let request = http::Request::builder()
            .header(http::header::HOST, "pos")
            .header(http::header::AUTHORIZATION, &self.call.authorization);
        let request = match self.transport {
            Transport::Grpc => request
                .method("POST")
                .uri(format!("http://pos{GRPC_PATH}"))
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                .body(Full::new(self.call.frame.clone()))?,
            Transport::Rest => request
                .method("GET")
                .uri(&self.call.rest_path)
                .body(Full::new(Bytes::new()))?,
            Transport::GrpcWeb => request
                .method("POST")
                .uri(GRPC_PATH)
                .header("content-type", "application/grpc-web+proto")
                .header("x-grpc-web", "1")
                .body(Full::new(self.call.frame.clone()))?,
        };
        let response = match &mut self.sender {
            Sender::Http2(sender) => {
                sender.ready().await?;
                sender.send_request(request).await?
            }
            Sender::Http1(sender) => {
                sender.ready().await?;
                sender.send_request(request).await?
            }
        };
        let (parts, body) = response.into_parts();
        let collected = body.collect().await?;
        let grpc_status = |headers: &http::HeaderMap| {
            headers
                .get("grpc-status")
                .is_some_and(|status| status.as_bytes() == b"0")
        };
        Ok(match self.transport {
            Transport::Rest => parts.status.as_u16() == 200,
            Transport::Grpc => grpc_status(&parts.headers) || collected.trailers().is_some_and(grpc_status),
            Transport::GrpcWeb => {
                // A trailers-only answer carries the status in the headers, otherwise the body
                // ends with a trailer frame.
                grpc_status(&parts.headers) || {
                    let body = collected.to_bytes();
                    String::from_utf8_lossy(&body).contains("grpc-status:0")
                }
            }
        })
    }
}

/// `pos` stopped with SIGTERM when dropped.
/// Drops and creates [`BENCH_DATABASE`]; returns its URL.
fn fresh_database() -> Result<String> {
    use sqlx::Connection as _;

    step(format!("creating a fresh database {BENCH_DATABASE}"));
    tokio::runtime::Runtime::new()?.block_on(async {
        let mut connection = sqlx::PgConnection::connect(stack::DEFAULT_DATABASE_URL).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"
        )))
        .execute(&mut connection)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {BENCH_DATABASE}")))
            .execute(&mut connection)
            .await?;
        anyhow::Ok(())
    })?;
    let server = stack::DEFAULT_DATABASE_URL
        .rsplit_once('/')
        .map_or(stack::DEFAULT_DATABASE_URL, |(server, _)| server);
    Ok(format!("{server}/{BENCH_DATABASE}"))
}

/// Signs the seeded admin in through the edge and picks a seeded category.
async fn sign_in_and_pick_a_category(nginx: SocketAddr, password: &str) -> Result<Call> {
    let login = serde_json::json!({"email": "admin@bench.local", "password": password}).to_string();
    let answer = json_call(nginx, "POST", "/api/v1/auth:login", None, Some(login)).await?;
    let token = answer["tokens"]["accessToken"]
        .as_str()
        .with_context(|| format!("no access token in {answer}"))?
        .to_owned();
    let answer = json_call(nginx, "GET", "/api/v1/categories?pageSize=1", Some(&token), None).await?;
    let category_id = answer["categories"][0]["id"]
        .as_str()
        .with_context(|| format!("no seeded category in {answer}"))?;
    Call::new(&token, category_id)
}

/// One REST call through the edge, its JSON answer (a non-2xx status is an error).
async fn json_call(
    nginx: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Result<serde_json::Value> {
    let stream = tokio::net::TcpStream::connect(nginx).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, "pos")
        .header(http::header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body.unwrap_or_default())))?)
        .await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        bail!(
            "{method} {path}: HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(serde_json::from_slice(&body)?)
}

struct Stopped(Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let started = Instant::now();
        while matches!(self.0.try_wait(), Ok(None)) && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Five distinct free loopback ports.
fn free_ports() -> Result<[u16; 5]> {
    let listeners = (0..5)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut ports = [0u16; 5];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr()?.port();
    }
    Ok(ports)
}
