//! Running commands and probing the machine.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::note;

/// Runs `command`, echoing it, and fails when it fails.
pub(crate) fn run(command: &mut Command) -> Result<()> {
    note(format!("$ {}", describe(command)));
    let status = command
        .status()
        .with_context(|| format!("starting `{}`", describe(command)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(command));
    }
    Ok(())
}

/// Runs `command` quietly and returns its stdout, or fails with its stderr.
pub(crate) fn output(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .with_context(|| format!("starting `{}`", describe(command)))?;
    if !output.status.success() {
        bail!(
            "`{}` failed: {}",
            describe(command),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Whether an executable named `name` is on PATH.
pub(crate) fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false)
}

/// Whether something accepts TCP connections at `addr`.
pub(crate) fn port_open(addr: &str) -> bool {
    addr.parse::<SocketAddr>()
        .ok()
        .and_then(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok())
        .is_some()
}

/// Waits until `addr` accepts connections.
pub(crate) fn wait_for_port(addr: &str, what: &str, limit: Duration) -> Result<()> {
    let started = Instant::now();
    while !port_open(addr) {
        if started.elapsed() > limit {
            bail!("{what} did not start listening on {addr} within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Whether this process runs as root (and may install packages).
pub(crate) fn is_root() -> bool {
    output(Command::new("id").arg("-u"))
        .map(|uid| uid.trim() == "0")
        .unwrap_or(false)
}

/// Whether `path` is an executable file.
pub(crate) fn executable(path: &Path) -> bool {
    path.is_file()
}
