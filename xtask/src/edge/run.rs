//! Running the edge: writes the Envoy and NGINX configurations and the static files into the
//! runtime directory, starts Envoy and NGINX as child processes, waits until both answer, and
//! stops them.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::descriptor::Contract;
use super::envoy::{self, EnvoyOptions, RateLimit};
use super::nginx::{self, NginxOptions, Tls};
use crate::proc::{is_root, port_open};
use crate::{note, tools};

/// Where `cargo xtask up` keeps the edge's configurations, static files, logs and pid files.
pub(crate) const DEFAULT_RUNTIME_DIR: &str = ".run/edge";
const START_LIMIT: Duration = Duration::from_secs(60);
const STOP_LIMIT: Duration = Duration::from_secs(10);

/// How to run the edge.
#[derive(Clone, Debug)]
pub(crate) struct EdgeOptions {
    /// The gRPC address of the `pos` process serving each module (every module with services).
    pub(crate) upstreams: BTreeMap<String, SocketAddr>,
    /// NGINX, for clients (127.0.0.1, default 8080).
    pub(crate) nginx_port: u16,
    /// Envoy's listener (127.0.0.1, default 8081).
    pub(crate) envoy_port: u16,
    /// Envoy's admin interface (127.0.0.1, default 9901).
    pub(crate) envoy_admin_port: u16,
    /// Configurations, static files, temp files, logs and pid files (default `.run/edge`).
    pub(crate) runtime_dir: PathBuf,
    /// An NGINX TLS listener (HTTP/2) with its certificate, when set.
    pub(crate) tls: Option<Tls>,
    /// The token bucket of the auth endpoints (default 20 a minute); `None` turns it off.
    pub(crate) auth_rate_limit: Option<RateLimit>,
    /// Write Envoy's and NGINX's output to `envoy.log` and `nginx.log` in the runtime directory
    /// (for a detached stack) instead of this process's stdout/stderr.
    pub(crate) log_to_files: bool,
}

impl EdgeOptions {
    /// The defaults, with the given upstreams.
    pub(crate) fn new(upstreams: BTreeMap<String, SocketAddr>) -> Self {
        EdgeOptions {
            upstreams,
            nginx_port: 8080,
            envoy_port: 8081,
            envoy_admin_port: 9901,
            runtime_dir: PathBuf::from(DEFAULT_RUNTIME_DIR),
            tls: None,
            auth_rate_limit: Some(RateLimit::default()),
            log_to_files: false,
        }
    }
}

/// Every module with services mapped to `address`: the one-process topology.
pub(crate) fn one_process(address: SocketAddr) -> Result<BTreeMap<String, SocketAddr>> {
    let contract = Contract::load(&descriptor_path()?)?;
    Ok(contract
        .modules()
        .into_iter()
        .map(|module| (module, address))
        .collect())
}

/// The absolute path of the checked-in descriptor set (the transcoder loads it).
pub(crate) fn descriptor_path() -> Result<PathBuf> {
    let path = Path::new(crate::codegen::GENERATED_DIR).join(crate::codegen::DESCRIPTOR_FILE);
    fs::canonicalize(&path)
        .with_context(|| format!("{} is missing: run `cargo xtask codegen`", path.display()))
}

/// Where [`write_configurations`] put the files.
pub(crate) struct Configurations {
    /// The runtime directory (absolute).
    pub(crate) runtime_dir: PathBuf,
    /// Envoy's bootstrap: run `envoy -c <it> --disable-hot-restart`.
    pub(crate) envoy: PathBuf,
    /// NGINX's configuration: run `nginx -p <runtime_dir> -e stderr -c <it>`.
    pub(crate) nginx: PathBuf,
}

/// Writes the Envoy and NGINX configurations and the static files into the runtime directory,
/// without starting anything (the end-to-end tests start Envoy and NGINX themselves).
pub(crate) fn write_configurations(options: &EdgeOptions) -> Result<Configurations> {
    let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
    let (listen, envoy_listen, admin) = (
        loopback(options.nginx_port),
        loopback(options.envoy_port),
        loopback(options.envoy_admin_port),
    );
    fs::create_dir_all(options.runtime_dir.join("tmp"))?;
    let runtime_dir = fs::canonicalize(&options.runtime_dir)?;
    let descriptor = descriptor_path()?;
    let contract = Contract::load(&descriptor)?;
    let envoy_options = EnvoyOptions {
        listen: envoy_listen,
        admin,
        auth_rate_limit: options.auth_rate_limit,
        ..EnvoyOptions::new(descriptor)
    };
    let envoy_config = runtime_dir.join("envoy.json");
    fs::write(
        &envoy_config,
        envoy::render(&contract, &options.upstreams, &envoy_options)?,
    )?;
    let static_dir = runtime_dir.join("static");
    write_static_files(&static_dir)?;
    let nginx_config = runtime_dir.join("nginx.conf");
    let nginx_options = NginxOptions {
        listen,
        envoy: envoy_listen,
        runtime_dir: runtime_dir.clone(),
        static_dir,
        tls: options.tls.clone(),
        user: is_root().then(|| "root".to_owned()),
    };
    fs::write(&nginx_config, nginx::render(&nginx_options)?)?;
    Ok(Configurations {
        runtime_dir,
        envoy: envoy_config,
        nginx: nginx_config,
    })
}

/// Running Envoy and NGINX. Dropping it stops them, unless it was [`Edge::detach`]ed.
pub(crate) struct Edge {
    envoy: Option<Child>,
    nginx: Option<Child>,
    runtime_dir: PathBuf,
    log_to_files: bool,
    /// NGINX, where clients go: `http://127.0.0.1:8080`.
    pub(crate) url: String,
    /// Envoy's listener: `http://127.0.0.1:8081`.
    pub(crate) envoy_url: String,
    /// Envoy's admin interface: `http://127.0.0.1:9901`.
    pub(crate) admin_url: String,
}

impl Edge {
    /// Writes the configurations and static files into the runtime directory, starts Envoy and
    /// NGINX (installing them when missing) and returns once Envoy's admin `/ready` and NGINX's
    /// `/healthz` answer 200.
    pub(crate) fn start(options: &EdgeOptions) -> Result<Edge> {
        let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let (listen, envoy_listen, admin) = (
            loopback(options.nginx_port),
            loopback(options.envoy_port),
            loopback(options.envoy_admin_port),
        );
        for address in [
            Some(listen),
            Some(envoy_listen),
            Some(admin),
            options.tls.as_ref().map(|t| t.listen),
        ]
        .into_iter()
        .flatten()
        {
            if port_open(&address.to_string()) {
                bail!("{address} is already in use (an edge left running? `cargo xtask down` stops it)");
            }
        }
        let envoy_binary = tools::envoy()?;
        let nginx_binary = tools::nginx()?;
        let Configurations {
            runtime_dir,
            envoy: envoy_config,
            nginx: nginx_config,
        } = write_configurations(options)?;
        note(format!("configurations in {}", runtime_dir.display()));

        let mut edge = Edge {
            envoy: None,
            nginx: None,
            runtime_dir: runtime_dir.clone(),
            log_to_files: options.log_to_files,
            url: format!("http://{listen}"),
            envoy_url: format!("http://{envoy_listen}"),
            admin_url: format!("http://{admin}"),
        };
        let mut envoy_command = Command::new(&envoy_binary);
        envoy_command
            .arg("-c")
            .arg(&envoy_config)
            .args(["--disable-hot-restart", "--log-level", "warn"]);
        edge.envoy = Some(spawn(envoy_command, &runtime_dir, "envoy", options.log_to_files)?);
        let mut nginx_command = Command::new(&nginx_binary);
        nginx_command
            .arg("-p")
            .arg(&runtime_dir)
            .args(["-e", "stderr", "-c"])
            .arg(&nginx_config);
        edge.nginx = Some(spawn(nginx_command, &runtime_dir, "nginx", options.log_to_files)?);

        edge.wait_until_answering("envoy", admin, "/ready")?;
        note(format!("envoy ready on {envoy_listen} (admin {admin})"));
        edge.wait_until_answering("nginx", listen, "/healthz")?;
        note(format!("nginx ready on {listen}"));
        Ok(edge)
    }

    /// The addresses to print, as (what, URL).
    pub(crate) fn endpoints(&self) -> Vec<(&'static str, String)> {
        vec![
            ("REST + grpc-web", format!("{}/api/v1/…", self.url)),
            ("Swagger UI", format!("{}/docs/", self.url)),
            ("OpenAPI", format!("{}/openapi.json", self.url)),
            ("Postman", format!("{}/postman.json", self.url)),
            ("Envoy", self.envoy_url.clone()),
            ("Envoy admin", self.admin_url.clone()),
        ]
    }

    /// Fails when Envoy or NGINX has exited.
    pub(crate) fn check(&mut self) -> Result<()> {
        match self.exited()? {
            Some((name, status)) => bail!("{name} exited ({status}){}", self.log_hint(name)),
            None => Ok(()),
        }
    }

    /// Waits until Envoy or NGINX exits (Ctrl-C reaches both), then stops the other; fails when
    /// the one that exited failed.
    pub(crate) fn wait(&mut self) -> Result<()> {
        loop {
            if let Some((name, status)) = self.exited()? {
                self.stop()?;
                if !status.success() {
                    bail!("{name} exited ({status}){}", self.log_hint(name));
                }
                note(format!("{name} stopped"));
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// The first of Envoy and NGINX that has exited, with its status.
    fn exited(&mut self) -> Result<Option<(&'static str, ExitStatus)>> {
        for (name, child) in [("envoy", &mut self.envoy), ("nginx", &mut self.nginx)] {
            if let Some(child) = child
                && let Some(status) = child.try_wait()?
            {
                return Ok(Some((name, status)));
            }
        }
        Ok(None)
    }

    /// Leaves Envoy and NGINX running after this process ends; their pid files in the runtime
    /// directory let [`stop_detached`] stop them.
    pub(crate) fn detach(mut self) -> Result<()> {
        if let Some(envoy) = self.envoy.take() {
            fs::write(self.runtime_dir.join("envoy.pid"), envoy.id().to_string())?;
        }
        // NGINX writes its own nginx.pid.
        self.nginx.take();
        Ok(())
    }

    /// Stops NGINX, then Envoy (SIGTERM, then SIGKILL after 10 s).
    pub(crate) fn stop(&mut self) -> Result<()> {
        for child in [self.nginx.take(), self.envoy.take()].into_iter().flatten() {
            terminate(child)?;
        }
        Ok(())
    }

    fn wait_until_answering(&mut self, name: &str, address: SocketAddr, path: &str) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Err(error) = self.check() {
                self.stop()?;
                return Err(error);
            }
            if http_status(address, path) == Some(200) {
                return Ok(());
            }
            if started.elapsed() > START_LIMIT {
                self.stop()?;
                bail!(
                    "{name} did not answer 200 on http://{address}{path} within {START_LIMIT:?}{}",
                    self.log_hint(name)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The end of `name`'s log file, when it writes one; otherwise its output is above.
    fn log_hint(&self, name: &str) -> String {
        if !self.log_to_files {
            return String::new();
        }
        let log = self.runtime_dir.join(format!("{name}.log"));
        match fs::read_to_string(&log) {
            Ok(text) => {
                let lines: Vec<&str> = text.lines().collect();
                let tail = lines[lines.len().saturating_sub(20)..].join("\n");
                format!("; end of {}:\n{tail}", log.display())
            }
            Err(_) => String::new(),
        }
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Stops an edge left running by [`Edge::detach`] in `runtime_dir`.
pub(crate) fn stop_detached(runtime_dir: &Path) -> Result<()> {
    for name in ["nginx", "envoy"] {
        let pid_file = runtime_dir.join(format!("{name}.pid"));
        let Ok(pid) = fs::read_to_string(&pid_file) else {
            continue;
        };
        let pid = pid.trim();
        let status = Command::new("kill")
            .args(["-TERM", pid])
            .stderr(Stdio::null())
            .status()?;
        if status.success() {
            note(format!("stopped {name} (pid {pid})"));
        }
        let _ = fs::remove_file(&pid_file);
    }
    Ok(())
}

/// The OpenAPI document and Postman collection (from `gateway-envoy/`), Swagger UI under
/// `docs/` and, until the browser POS exists, a placeholder page under `app/`.
fn write_static_files(static_dir: &Path) -> Result<()> {
    fs::create_dir_all(static_dir.join("app"))?;
    for file in [super::OPENAPI_FILE, super::POSTMAN_FILE] {
        let source = Path::new(file);
        let name = source.file_name().unwrap_or_default();
        fs::copy(source, static_dir.join(name))
            .with_context(|| format!("copying {file} (run `cargo xtask codegen`)"))?;
    }
    tools::swagger_ui(&static_dir.join("docs"), "/openapi.json")?;
    fs::write(static_dir.join("app/index.html"), PLACEHOLDER_APP)?;
    Ok(())
}

const PLACEHOLDER_APP: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>POS</title></head>
<body>
  <h1>POS platform</h1>
  <p>The browser POS is not built yet. The API is documented at <a href="/docs/">/docs/</a>
  (<a href="/openapi.json">OpenAPI</a>, <a href="/postman.json">Postman collection</a>).</p>
</body>
</html>
"#;

fn spawn(mut command: Command, runtime_dir: &Path, name: &str, log_to_files: bool) -> Result<Child> {
    command.stdin(Stdio::null());
    if log_to_files {
        let log = fs::File::create(runtime_dir.join(format!("{name}.log")))?;
        command.stdout(log.try_clone()?).stderr(log);
    }
    command.spawn().with_context(|| format!("starting {name}"))
}

/// SIGTERM, then SIGKILL when the process has not exited within [`STOP_LIMIT`].
fn terminate(mut child: Child) -> Result<()> {
    if child.try_wait()?.is_some() {
        return Ok(());
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let started = Instant::now();
    while started.elapsed() < STOP_LIMIT {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill()?;
    child.wait()?;
    Ok(())
}

/// The status code of a plain HTTP/1.1 GET, or `None` when nothing answers.
pub(crate) fn http_status(address: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
