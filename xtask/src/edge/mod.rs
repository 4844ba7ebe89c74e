//! The edge: NGINX → Envoy in front of `pos`.
//!
//! Everything is derived from the descriptor set (`services/api/src/generated/pos_descriptor.bin`)
//! read with prost-types (xtask depends on no `pos-*` crate):
//! - [`envoy`]: the Envoy bootstrap (REST/JSON transcoding, grpc-web, CORS, auth rate limit, one
//!   cluster per module) for a module → address map, so one process or one process per module
//!   is only configuration;
//! - [`nginx`]: the NGINX configuration from `gateway-envoy/nginx.conf.template`;
//! - [`openapi`] and [`postman`]: the API documents `cargo xtask codegen` writes into
//!   `gateway-envoy/`;
//! - [`run`]: starting and stopping Envoy and NGINX as child processes ([`Edge`]).

pub(crate) mod descriptor;
pub(crate) mod envoy;
mod json;
pub(crate) mod nginx;
pub(crate) mod openapi;
pub(crate) mod postman;
mod rest;
pub(crate) mod run;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, bail};

pub(crate) use descriptor::Contract;
pub(crate) use run::{
    DEFAULT_RUNTIME_DIR, Edge, EdgeOptions, one_process, stop_detached, write_configurations,
};

use crate::{note, step};

/// The OpenAPI document, written by `cargo xtask codegen`.
pub(crate) const OPENAPI_FILE: &str = "gateway-envoy/openapi.json";
/// The Postman collection, written by `cargo xtask codegen`.
pub(crate) const POSTMAN_FILE: &str = "gateway-envoy/postman.json";

/// The API documents generated from a serialized descriptor set, by path.
pub(crate) fn api_documents(descriptor: &[u8]) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let contract = Contract::decode(descriptor)?;
    let mut documents = BTreeMap::new();
    documents.insert(
        PathBuf::from(OPENAPI_FILE),
        json::to_file_text(&openapi::render(&contract)?)?.into_bytes(),
    );
    documents.insert(
        PathBuf::from(POSTMAN_FILE),
        json::to_file_text(&postman::render(&contract)?)?.into_bytes(),
    );
    Ok(documents)
}

/// Checks an OpenAPI document (e.g. [`OPENAPI_FILE`]) with `openapi-spec-validator` from PyPI,
/// installed into `.tools/venv` when missing.
pub(crate) fn validate_openapi(path: &Path) -> Result<()> {
    let validator = crate::tools::openapi_spec_validator()?;
    crate::proc::run(Command::new(validator).arg(path))
}

/// `cargo xtask edge`: the edge alone, in front of `pos` processes that are already running.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// gRPC address of the `pos` process serving every module not named with --module.
    #[arg(long, default_value = "127.0.0.1:50051")]
    upstream: SocketAddr,
    /// A module served by another process, as `<module>=<address>` (repeatable).
    #[arg(long = "module", value_name = "MODULE=ADDRESS", value_parser = parse_module_upstream)]
    modules: Vec<(String, SocketAddr)>,
    /// NGINX port (127.0.0.1), where clients go.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Envoy port (127.0.0.1).
    #[arg(long, default_value_t = 8081)]
    envoy_port: u16,
    /// Envoy admin port (127.0.0.1).
    #[arg(long, default_value_t = 9901)]
    admin_port: u16,
    /// An NGINX TLS port (HTTP/2 and HTTP/1.1), with --tls-cert and --tls-key.
    #[arg(long, requires_all = ["tls_cert", "tls_key"])]
    tls_port: Option<u16>,
    /// PEM certificate for --tls-port.
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-port.
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Calls to AuthService allowed per minute through the edge (0: unlimited).
    #[arg(long, default_value_t = 20)]
    auth_per_minute: u32,
    /// Return once the edge answers, leaving it running (stop it with --stop).
    #[arg(long)]
    detach: bool,
    /// Stop an edge started with --detach.
    #[arg(long, conflicts_with = "detach")]
    stop: bool,
    /// Configurations, static files, logs and pid files.
    #[arg(long, default_value = DEFAULT_RUNTIME_DIR)]
    runtime_dir: PathBuf,
    /// Only write the configurations and static files into the runtime directory; start
    /// nothing (the end-to-end tests of `services/pos/tests/edge.rs` start Envoy and NGINX).
    #[arg(long, hide = true, conflicts_with_all = ["detach", "stop"])]
    render_only: bool,
}

fn parse_module_upstream(text: &str) -> Result<(String, SocketAddr), String> {
    let (module, address) = text.split_once('=').ok_or("expected <module>=<address>")?;
    let address = address.parse().map_err(|e| format!("{address}: {e}"))?;
    Ok((module.to_owned(), address))
}

/// Runs `cargo xtask edge`.
pub(crate) fn run(args: &Args) -> Result<()> {
    if args.stop {
        step("stopping the detached edge");
        return stop_detached(&args.runtime_dir);
    }
    let mut upstreams = one_process(args.upstream)?;
    for (module, address) in &args.modules {
        if upstreams.insert(module.clone(), *address).is_none() {
            bail!("{module} is not a module with services");
        }
    }
    let mut options = EdgeOptions::new(upstreams);
    options.nginx_port = args.port;
    options.envoy_port = args.envoy_port;
    options.envoy_admin_port = args.admin_port;
    options.log_to_files = args.detach;
    options.runtime_dir = args.runtime_dir.clone();
    options.auth_rate_limit = (args.auth_per_minute > 0).then_some(envoy::RateLimit {
        requests: args.auth_per_minute,
        per: Duration::from_secs(60),
    });
    if let (Some(port), Some(certificate), Some(key)) = (args.tls_port, &args.tls_cert, &args.tls_key) {
        options.tls = Some(nginx::Tls {
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            certificate: std::fs::canonicalize(certificate)?,
            key: std::fs::canonicalize(key)?,
        });
    }
    if args.render_only {
        let written = write_configurations(&options)?;
        note(format!("configurations in {}", written.runtime_dir.display()));
        return Ok(());
    }
    step("starting the edge (Envoy, NGINX)");
    let mut edge = Edge::start(&options)?;
    for (what, url) in edge.endpoints() {
        note(format!("{what:<16} {url}"));
    }
    if args.detach {
        note("detached: stop with `cargo xtask edge --stop`");
        return edge.detach();
    }
    note("Ctrl-C stops it");
    edge.wait()
}

#[cfg(test)]
pub(crate) mod tests {
    //! Helpers for the edge's tests.

    use std::path::{Path, PathBuf};
    use std::process::Command;

    use super::Contract;

    /// The checked-in descriptor set (absolute).
    pub(crate) fn descriptor_path() -> PathBuf {
        crate::project_root()
            .join(crate::codegen::GENERATED_DIR)
            .join(crate::codegen::DESCRIPTOR_FILE)
    }

    pub(crate) fn contract() -> Contract {
        Contract::load(&descriptor_path()).expect("the checked-in descriptor set decodes")
    }

    /// An empty directory under `target/` for one test.
    pub(crate) fn scratch_dir(name: &str) -> PathBuf {
        let dir = crate::project_root().join("target/xtask-tests").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    /// A self-signed certificate and key for localhost in `dir`, when `openssl` is installed.
    pub(crate) fn self_signed_certificate(dir: &Path) -> Option<(PathBuf, PathBuf)> {
        let (certificate, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let status = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&certificate)
            .output()
            .ok()?
            .status;
        status.success().then_some((certificate, key))
    }

    #[test]
    fn the_api_documents_are_fresh() {
        let bytes = std::fs::read(descriptor_path()).expect("descriptor");
        for (path, content) in super::api_documents(&bytes).expect("render") {
            let checked_in = std::fs::read(crate::project_root().join(&path)).unwrap_or_default();
            assert!(
                checked_in == content,
                "{} is stale: run `cargo xtask codegen`",
                path.display()
            );
        }
    }
}
