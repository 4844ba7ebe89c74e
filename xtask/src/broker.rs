//! The local Kafka-protocol broker: tansu (Apache-2.0, Kafka-compatible, written in Rust),
//! built once with `cargo install` into a per-user cache outside the checkout (its release
//! build takes about 20 minutes on two cores, so every clone and CI run on the machine shares
//! it), and started on loopback when no broker answers there.
//!
//! Any real Kafka works instead: point `POS_KAFKA_BROKERS` at it and nothing here runs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::proc::{executable, port_open, run, wait_for_port};
use crate::{note, step};

const TANSU_VERSION: &str = "0.6.0";
/// `dynostore` gives the in-memory engine. (tansu 0.6's SQLite engine, feature `libsql`, panics
/// on the first produce after a restart, so durable local storage is not offered.)
const TANSU_FEATURES: &str = "dynostore";
/// Where the local broker listens.
pub(crate) const BROKER_ADDR: &str = "127.0.0.1:9092";

/// The tansu binary: `$POS_TANSU` when set, else the cached build, installed when missing.
pub(crate) fn tansu() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("POS_TANSU") {
        return Ok(PathBuf::from(path));
    }
    let root = cache_root().join(format!("tansu-{TANSU_VERSION}"));
    let binary = root.join("bin/tansu");
    if !executable(&binary) {
        step(format!(
            "building tansu {TANSU_VERSION} into {} (once per machine; about 20 minutes)",
            root.display()
        ));
        run(Command::new(env!("CARGO")).args([
            "install",
            "tansu",
            "--version",
            TANSU_VERSION,
            "--locked",
            "--features",
            TANSU_FEATURES,
            "--root",
            &root.to_string_lossy(),
        ]))?;
    }
    Ok(binary)
}

/// `$XDG_CACHE_HOME/pos-tools`, or `~/.cache/pos-tools`.
fn cache_root() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".tools/cache"))
        .join("pos-tools")
}

/// Starts a broker on [`BROKER_ADDR`] unless one answers there already; it keeps running in the
/// background (`cargo xtask down` stops it). It stores in memory: events survive a `pos`
/// restart (they are in the broker or still in the outbox) but not a broker restart.
pub(crate) fn ensure_broker(run_dir: &Path) -> Result<()> {
    step("Kafka-protocol broker");
    if port_open(BROKER_ADDR) {
        note(format!("listening on {BROKER_ADDR}"));
        return Ok(());
    }
    let tansu = tansu()?;
    let data_dir = fs::canonicalize(run_dir)?.join("tansu");
    fs::create_dir_all(&data_dir)?;
    let storage_url = "memory://tansu/";
    let log = fs::File::create(run_dir.join("tansu.log"))?;
    let url = format!("tcp://{BROKER_ADDR}");
    let child = Command::new(&tansu)
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
            "--storage-engine",
            storage_url,
        ])
        .current_dir(&data_dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", tansu.display()))?;
    fs::write(run_dir.join("tansu.pid"), child.id().to_string())?;
    wait_for_port(BROKER_ADDR, "tansu", Duration::from_secs(30))?;
    note(format!(
        "tansu listening on {BROKER_ADDR} ({storage_url}; log .run/tansu.log)"
    ));
    Ok(())
}
