//! The NGINX configuration: `gateway-envoy/nginx.conf.template` with its placeholders filled in.
//!
//! NGINX listens for clients (127.0.0.1:8080 by default, HTTP/1.1), forwards `/api/` (REST) and
//! `/pos.` (grpc-web) to Envoy, adds `X-Request-Id`, serves the API docs and the browser POS from
//! a static directory, and optionally terminates TLS with HTTP/2 on a second port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// The checked-in template.
const TEMPLATE: &str = include_str!("../../../gateway-envoy/nginx.conf.template");

/// What the NGINX configuration depends on.
#[derive(Clone, Debug)]
pub(crate) struct NginxOptions {
    /// The plaintext (HTTP/1.1) listener for clients.
    pub(crate) listen: SocketAddr,
    /// Envoy's listener.
    pub(crate) envoy: SocketAddr,
    /// Absolute directory for the pid file and temporary files.
    pub(crate) runtime_dir: PathBuf,
    /// Absolute directory served as `/openapi.json`, `/postman.json`, `/docs/` and `app/` as `/`.
    pub(crate) static_dir: PathBuf,
    /// A TLS listener (HTTP/1.1 and HTTP/2 through ALPN), when set.
    pub(crate) tls: Option<Tls>,
    /// The `user` of the worker processes; set it when NGINX starts as root (which would
    /// otherwise run them as `nobody`, unable to read a home directory or write the temp paths).
    pub(crate) user: Option<String>,
}

/// A TLS listener and its certificate.
#[derive(Clone, Debug)]
pub(crate) struct Tls {
    pub(crate) listen: SocketAddr,
    /// PEM certificate (chain).
    pub(crate) certificate: PathBuf,
    /// PEM private key.
    pub(crate) key: PathBuf,
}

/// Renders the configuration.
pub(crate) fn render(options: &NginxOptions) -> Result<String> {
    let user = match &options.user {
        Some(user) => format!("user {} {};", word(user)?, word(user)?),
        None => String::new(),
    };
    let tls = match &options.tls {
        Some(tls) => format!(
            "        listen {} ssl http2;\n        ssl_certificate {};\n        ssl_certificate_key {};\n        \
             ssl_protocols TLSv1.2 TLSv1.3;",
            tls.listen,
            path(&tls.certificate)?,
            path(&tls.key)?
        ),
        None => String::new(),
    };
    let text = TEMPLATE
        .replace("{{user}}", &user)
        .replace("{{tls}}", &tls)
        .replace("{{listen}}", &options.listen.to_string())
        .replace("{{envoy}}", &options.envoy.to_string())
        .replace("{{runtime_dir}}", path(&options.runtime_dir)?)
        .replace("{{static_dir}}", path(&options.static_dir)?);
    if let Some(start) = text.find("{{") {
        bail!("unknown placeholder in the NGINX template: {}", &text[start..]);
    }
    Ok(text)
}

/// An absolute path that needs no quoting in the NGINX configuration.
fn path(path: &Path) -> Result<&str> {
    let Some(text) = path.to_str() else {
        bail!("{} is not UTF-8", path.display());
    };
    if !path.is_absolute() {
        bail!("NGINX paths must be absolute, not {text}");
    }
    word(text)
}

fn word(text: &str) -> Result<&str> {
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_whitespace() || "\"';{}$\\#".contains(c))
    {
        bail!("{text:?} cannot be written unquoted into the NGINX configuration");
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dir: &Path) -> NginxOptions {
        NginxOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            envoy: SocketAddr::from(([127, 0, 0, 1], 8081)),
            runtime_dir: dir.to_path_buf(),
            static_dir: dir.join("static"),
            tls: None,
            user: None,
        }
    }

    #[test]
    fn renders_every_placeholder() {
        let dir = PathBuf::from("/run/pos-edge");
        let text = render(&options(&dir)).expect("render");
        assert!(!text.contains("{{"));
        assert!(text.contains("listen 127.0.0.1:8080;"));
        assert!(text.contains("server 127.0.0.1:8081;"));
        assert!(text.contains("client_max_body_size 16m;"));
        assert!(!text.contains("ssl_certificate"));
        let mut with_tls = options(&dir);
        with_tls.tls = Some(Tls {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            certificate: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        });
        with_tls.user = Some("root".to_owned());
        let text = render(&with_tls).expect("render");
        assert!(text.contains("listen 127.0.0.1:8443 ssl http2;"));
        assert!(text.contains("user root root;"));
        let mut relative = options(&dir);
        relative.static_dir = PathBuf::from("static");
        assert!(render(&relative).is_err());
    }

    /// `nginx -t` accepts the rendered configuration, with and without TLS (when NGINX is
    /// installed; `cargo xtask test` installs it).
    #[test]
    fn nginx_accepts_the_rendered_configuration() {
        let nginx = PathBuf::from("/usr/sbin/nginx");
        if !nginx.is_file() {
            crate::note("nginx not installed: skipping `nginx -t`");
            return;
        }
        let dir = super::super::tests::scratch_dir("nginx-test");
        std::fs::create_dir_all(dir.join("tmp")).expect("tmp dir");
        let certificate = super::super::tests::self_signed_certificate(&dir);
        let mut with_tls = options(&dir);
        with_tls.tls = certificate.map(|(certificate, key)| Tls {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            certificate,
            key,
        });
        for options in [options(&dir), with_tls] {
            let config = dir.join("nginx.conf");
            std::fs::write(&config, render(&options).expect("render")).expect("write");
            let output = std::process::Command::new(&nginx)
                .arg("-p")
                .arg(&dir)
                .args(["-e", "stderr", "-t", "-c"])
                .arg(&config)
                .output()
                .expect("run nginx");
            assert!(
                output.status.success(),
                "nginx -t failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}
