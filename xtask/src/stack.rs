//! The local stack: PostgreSQL and Redis (installed from Debian and started when missing), a
//! Kafka-protocol broker, the migrations, `pos` itself (one process, or one process per module)
//! and the edge in front of it (Envoy, then NGINX).

use std::collections::BTreeMap;
use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::edge::{self, Edge, EdgeOptions};
use crate::proc::{self, is_root, on_path, port_open, run, wait_for_port};
use crate::{note, step, tools};

/// The development database (created by [`ensure_postgres`]).
pub(crate) const DEFAULT_DATABASE_URL: &str = "postgres://pos:pos@127.0.0.1:5432/pos";
/// The development Redis.
pub(crate) const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
const POSTGRES_ADDR: &str = "127.0.0.1:5432";
const REDIS_ADDR: &str = "127.0.0.1:6379";
/// Pid files, logs and data of locally started components.
pub(crate) const RUN_DIR: &str = ".run";
const MODULES: [&str; 11] = [
    "auth",
    "user",
    "role",
    "merchant",
    "cashier",
    "category",
    "product",
    "order",
    "transaction",
    "report",
    "notification",
];

#[derive(clap::Args)]
pub(crate) struct UpArgs {
    /// Return once every component is ready, leaving it running (stop with `cargo xtask down`).
    #[arg(long)]
    detach: bool,
    /// Run one `pos` process per module instead of one for all.
    #[arg(long)]
    split: bool,
    /// Port of the first gRPC listener (per-module processes take the following ones).
    #[arg(long, default_value_t = 50051)]
    grpc_port: u16,
    /// NGINX port (127.0.0.1): REST, grpc-web, `/docs/` and `/openapi.json`.
    #[arg(long, default_value_t = 8080)]
    http_port: u16,
}

/// Connections PostgreSQL must accept for the test suites.
const MIN_POSTGRES_CONNECTIONS: u32 = 500;

/// Starts PostgreSQL when it is not listening (installing it as root when missing) and makes
/// sure the `pos` role (allowed to create test databases) and database exist.
pub(crate) fn ensure_postgres() -> Result<()> {
    step("PostgreSQL");
    if !port_open(POSTGRES_ADDR) {
        if !on_path("pg_lsclusters") {
            tools::apt_install(&["postgresql"])?;
        }
        let clusters = proc::output(Command::new("pg_lsclusters").arg("--no-header"))?;
        let Some(cluster) = clusters.lines().next() else {
            bail!("no PostgreSQL cluster found")
        };
        let fields: Vec<&str> = cluster.split_whitespace().collect();
        run(Command::new("pg_ctlcluster").args([fields[0], fields[1], "start"]))?;
        wait_for_port(POSTGRES_ADDR, "PostgreSQL", Duration::from_secs(30))?;
    }
    note(format!("listening on {POSTGRES_ADDR}"));
    if is_root() {
        let psql = |sql: &str| {
            proc::output(Command::new("runuser").args(["-u", "postgres", "--", "psql", "-tAc", sql]))
        };
        if psql("SELECT 1 FROM pg_roles WHERE rolname = 'pos'")?.trim() != "1" {
            psql("CREATE ROLE pos LOGIN CREATEDB PASSWORD 'pos'")?;
            note("created role pos");
        }
        if psql("SELECT 1 FROM pg_database WHERE datname = 'pos'")?.trim() != "1" {
            psql("CREATE DATABASE pos OWNER pos")?;
            note("created database pos");
        }
        // Whole-platform tests run in parallel, each `pos` with its pool, relays and consumers:
        // the Debian default of 100 connections is too few.
        let max_connections: u32 = psql("SHOW max_connections")?.trim().parse().unwrap_or(0);
        if max_connections < MIN_POSTGRES_CONNECTIONS {
            psql(&format!(
                "ALTER SYSTEM SET max_connections = {MIN_POSTGRES_CONNECTIONS}"
            ))?;
            let clusters = proc::output(Command::new("pg_lsclusters").arg("--no-header"))?;
            if let Some(cluster) = clusters.lines().next() {
                let fields: Vec<&str> = cluster.split_whitespace().collect();
                run(Command::new("pg_ctlcluster").args([fields[0], fields[1], "restart"]))?;
                wait_for_port(POSTGRES_ADDR, "PostgreSQL", Duration::from_secs(30))?;
            }
            note(format!(
                "raised max_connections from {max_connections} to {MIN_POSTGRES_CONNECTIONS}"
            ));
        }
    } else {
        note("not root: expecting role `pos` (password `pos`, CREATEDB) and database `pos` to exist");
    }
    Ok(())
}

/// Starts Redis on loopback when it is not listening (installing it as root when missing).
pub(crate) fn ensure_redis() -> Result<()> {
    step("Redis");
    if !port_open(REDIS_ADDR) {
        tools::ensure_command("redis-server", "redis-server")?;
        fs::create_dir_all(RUN_DIR)?;
        run(Command::new("redis-server").args([
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            RUN_DIR,
        ]))?;
        wait_for_port(REDIS_ADDR, "Redis", Duration::from_secs(10))?;
    }
    note(format!("listening on {REDIS_ADDR}"));
    Ok(())
}

/// Builds the `pos` binary and returns its path.
pub(crate) fn build_pos() -> Result<std::path::PathBuf> {
    step("building pos");
    run(Command::new(env!("CARGO")).args(["build", "--quiet", "--package", "pos"]))?;
    Ok(fs::canonicalize("target/debug/pos")?)
}

struct Process {
    name: String,
    admin_addr: String,
    /// `None` once stopped or detached.
    child: Option<Child>,
}

pub(crate) fn up(args: &UpArgs) -> Result<()> {
    ensure_postgres()?;
    ensure_redis()?;
    fs::create_dir_all(RUN_DIR)?;
    crate::broker::ensure_broker(Path::new(RUN_DIR))?;
    crate::migrate::apply_all(DEFAULT_DATABASE_URL)?;
    let pos = build_pos()?;
    // Ctrl-C reaches the children too (same process group); xtask itself stays to stop what is
    // left and say so.
    let interrupted = on_ctrl_c()?;

    // (name, modules, grpc port, admin port)
    let plan: Vec<(String, String, u16, u16)> = if args.split {
        MODULES
            .iter()
            .zip(0u16..)
            .map(|(module, i)| {
                (
                    module.to_string(),
                    module.to_string(),
                    args.grpc_port + i,
                    9464 + i,
                )
            })
            .collect()
    } else {
        vec![("pos".to_owned(), "all".to_owned(), args.grpc_port, 9464)]
    };
    let upstreams = plan
        .iter()
        .filter(|(_, modules, _, _)| modules != "all")
        .map(|(_, module, port, _)| format!("{module}=http://127.0.0.1:{port}"))
        .collect::<Vec<_>>()
        .join(",");
    let edge_upstreams = edge_upstreams(&plan)?;

    step(format!("starting {} pos process(es)", plan.len()));
    let mut processes = Processes(Vec::new());
    for (name, modules, grpc_port, admin_port) in &plan {
        let mut command = Command::new(&pos);
        command
            .arg("serve")
            .env("POS_MODULES", modules)
            .env("POS_GRPC_ADDR", format!("127.0.0.1:{grpc_port}"))
            .env("POS_ADMIN_ADDR", format!("127.0.0.1:{admin_port}"))
            .env("POS_UPSTREAMS", &upstreams)
            .env("POS_DATABASE_URL", DEFAULT_DATABASE_URL)
            .env("POS_REDIS_URL", DEFAULT_REDIS_URL)
            .env("POS_KAFKA_BROKERS", crate::broker::BROKER_ADDR);
        if args.detach {
            let log = fs::File::create(Path::new(RUN_DIR).join(format!("{name}.log")))?;
            command.stdout(log.try_clone()?).stderr(log).stdin(Stdio::null());
        } else {
            command.env("POS_LOG_FORMAT", "text");
        }
        let child = command.spawn().with_context(|| format!("starting {name}"))?;
        if args.detach {
            fs::write(
                Path::new(RUN_DIR).join(format!("{name}.pid")),
                child.id().to_string(),
            )?;
        }
        processes.0.push(Process {
            name: name.clone(),
            admin_addr: format!("127.0.0.1:{admin_port}"),
            child: Some(child),
        });
    }
    for process in &mut processes.0 {
        wait_ready(process, &interrupted)?;
    }
    crate::seed::first_run(&pos, &format!("http://127.0.0.1:{}", args.grpc_port), &upstreams)?;

    step("starting the edge (Envoy, NGINX)");
    let mut options = EdgeOptions::new(edge_upstreams);
    options.nginx_port = args.http_port;
    options.log_to_files = args.detach;
    let mut edge = Edge::start(&options)?;
    print_endpoints(&plan, &edge);
    if args.detach {
        edge.detach()?;
        processes.detach();
        note("detached: stop with `cargo xtask down`");
        return Ok(());
    }
    note("following logs; Ctrl-C stops everything");
    let outcome = supervise(&mut processes, &mut edge, &interrupted);
    step("stopping");
    edge.stop()?;
    processes.stop();
    outcome
}

/// The module → gRPC address map Envoy routes by: every module to the one process, or each
/// module to its own process.
fn edge_upstreams(plan: &[(String, String, u16, u16)]) -> Result<BTreeMap<String, SocketAddr>> {
    let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    let mut upstreams = edge::one_process(loopback(plan[0].2))?;
    if plan.len() > 1 {
        for (module, address) in &mut upstreams {
            let Some((_, _, port, _)) = plan.iter().find(|(_, modules, _, _)| modules == module) else {
                bail!("no process serves the {module} module");
            };
            *address = loopback(*port);
        }
    }
    Ok(upstreams)
}

/// Returns on Ctrl-C (Ok) or when a component exits on its own (Err).
fn supervise(processes: &mut Processes, edge: &mut Edge, interrupted: &AtomicBool) -> Result<()> {
    loop {
        if interrupted.load(Ordering::SeqCst) {
            return Ok(());
        }
        edge.check()?;
        for process in &mut processes.0 {
            if let Some(child) = &mut process.child
                && let Some(status) = child.try_wait()?
            {
                bail!("{} exited ({status})", process.name);
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A flag set on Ctrl-C (or SIGTERM); handling it keeps xtask alive until its children stop.
fn on_ctrl_c() -> Result<Arc<AtomicBool>> {
    use tokio::signal::unix::{SignalKind, signal};
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut interrupt, mut terminate) = {
        let _context = runtime.enter();
        (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?)
    };
    std::thread::spawn(move || {
        runtime.block_on(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            set.store(true, Ordering::SeqCst);
        });
    });
    Ok(flag)
}

/// The `pos` processes of a stack; dropping it stops those not detached.
struct Processes(Vec<Process>);

impl Processes {
    /// Leaves the processes running (their pid files let `cargo xtask down` stop them).
    fn detach(&mut self) {
        for process in &mut self.0 {
            process.child.take();
        }
    }

    /// SIGTERM to each process still running, then SIGKILL after 10 s.
    fn stop(&mut self) {
        for process in &mut self.0 {
            if let Some(child) = &process.child {
                let _ = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
        }
        let started = Instant::now();
        for process in &mut self.0 {
            let Some(mut child) = process.child.take() else {
                continue;
            };
            while started.elapsed() < Duration::from_secs(10) {
                if !matches!(child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        self.stop();
    }
}

fn wait_ready(process: &mut Process, interrupted: &AtomicBool) -> Result<()> {
    let started = Instant::now();
    loop {
        if interrupted.load(Ordering::SeqCst) {
            bail!("interrupted");
        }
        if let Some(child) = &mut process.child
            && let Some(status) = child.try_wait()?
        {
            bail!("{} exited during start-up ({status})", process.name);
        }
        if http_get_ok(&process.admin_addr, "/readyz") {
            note(format!("{} ready", process.name));
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!(
                "{} not ready after 60 s (see .run/{}.log)",
                process.name,
                process.name
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A minimal HTTP/1.1 GET: whether `path` answers 200.
pub(crate) fn http_get_ok(addr: &str, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

#[allow(clippy::print_stdout)]
fn print_endpoints(plan: &[(String, String, u16, u16)], edge: &Edge) {
    println!();
    println!("The platform is up.");
    println!(
        "  NGINX (REST, grpc-web)  {}   e.g. curl {}/api/v1/categories",
        edge.url, edge.url
    );
    println!(
        "  API docs                {}/docs/   OpenAPI {}/openapi.json",
        edge.url, edge.url
    );
    println!("  Envoy admin             {}", edge.admin_url);
    for (name, modules, grpc_port, admin_port) in plan {
        println!(
            "  {name:<13} gRPC + grpc-web  http://127.0.0.1:{grpc_port}   admin http://127.0.0.1:{admin_port}/metrics /readyz   modules: {modules}"
        );
    }
    println!(
        "  try: .tools/venv/bin/grpcurl -plaintext 127.0.0.1:{} list",
        plan[0].2
    );
    println!();
}

pub(crate) fn down() -> Result<()> {
    step("stopping the detached stack");
    edge::stop_detached(Path::new(edge::DEFAULT_RUNTIME_DIR))?;
    let Ok(entries) = fs::read_dir(RUN_DIR) else {
        note("nothing is running");
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "pid") {
            let pid = fs::read_to_string(&path)?.trim().to_owned();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            note(format!(
                "stopped {} (pid {pid})",
                path.file_stem().unwrap_or_default().to_string_lossy()
            ));
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}
