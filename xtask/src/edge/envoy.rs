//! The Envoy bootstrap (static, JSON): one listener whose HTTP connection manager runs CORS,
//! grpc-web, the gRPC-JSON transcoder for every `pos.<module>.v1.*Service`, a local rate limit
//! (on the AuthService RPCs that take credentials only) and the router, with one HTTP/2 cluster
//! per module. The service credential header is removed from every request, and module-internal
//! RPCs are not routed.
//!
//! Which process serves a module is only the `upstreams` map: every module at one address is the
//! one-process topology, one address per module the split one.
//!
//! Routing: the transcoder rewrites a REST request's path to its gRPC path and clears the route
//! cache, so every call, REST, grpc-web or gRPC, ends up on the module's gRPC route
//! (`/pos.<module>.v1.` prefix). The REST routes (one per binding template, exact or regex) make
//! the REST paths known before transcoding (CORS preflights, the rate limit of rejected calls)
//! and route to the same cluster. The local rate limit runs after the transcoder, so it counts
//! REST and gRPC calls of one limited RPC (e.g. Login) in the one token bucket of its gRPC route.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::descriptor::Contract;

const AUTH_SERVICE: &str = "pos.auth.v1.AuthService";
/// The AuthService RPCs that take a credential (password, code, email to mail) from an anonymous
/// caller: rate limited per edge, so guessing and mail bombing are slow. Refreshing a session, the
/// signed-in RPCs and the public keys are not limited.
const RATE_LIMITED_AUTH_RPCS: [&str; 7] = [
    "Register",
    "VerifyEmail",
    "ResendVerificationCode",
    "Login",
    "ForgotPassword",
    "ResetPassword",
    "ChangePassword",
];
/// RPCs only modules call each other (with the service credential): the edge does not route them.
const INTERNAL_RPCS: [&str; 1] = ["/pos.auth.v1.AuthService/ProvisionCredential"];
/// The header of the service credential (`pos_platform::access::SERVICE_HEADER`): removed from
/// every request entering the edge, so no client can present one.
const SERVICE_CREDENTIAL_HEADER: &str = "x-pos-service";

/// What the Envoy bootstrap depends on besides the contract and the upstreams.
#[derive(Clone, Debug)]
pub(crate) struct EnvoyOptions {
    /// The listener for NGINX (and direct clients): HTTP/1.1 and h2c.
    pub(crate) listen: SocketAddr,
    /// The admin interface; must be a loopback address.
    pub(crate) admin: SocketAddr,
    /// Absolute path of the descriptor set file the transcoder loads.
    pub(crate) descriptor: PathBuf,
    /// Per-route timeout (whole request, upstream included).
    pub(crate) route_timeout: Duration,
    /// Upstream TCP connect timeout.
    pub(crate) connect_timeout: Duration,
    /// The token bucket of the auth routes; `None` turns the limit off.
    pub(crate) auth_rate_limit: Option<RateLimit>,
}

/// A token bucket: `requests` calls per `per`, refilled all at once; beyond it Envoy answers 429
/// (gRPC RESOURCE_EXHAUSTED).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RateLimit {
    pub(crate) requests: u32,
    pub(crate) per: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            requests: 20,
            per: Duration::from_secs(60),
        }
    }
}

impl EnvoyOptions {
    /// Defaults: listener 127.0.0.1:8081, admin 127.0.0.1:9901, 30 s route timeout, 1 s connect
    /// timeout, 20 auth calls a minute.
    pub(crate) fn new(descriptor: PathBuf) -> Self {
        EnvoyOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            admin: SocketAddr::from(([127, 0, 0, 1], 9901)),
            descriptor,
            route_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(1),
            auth_rate_limit: Some(RateLimit::default()),
        }
    }
}

/// The cluster of a module.
pub(crate) fn cluster_name(module: &str) -> String {
    format!("pos_{module}")
}

/// Renders the bootstrap as pretty JSON (Envoy reads `.json` files as JSON).
///
/// `upstreams` maps every module that has services to the gRPC address of the `pos` process that
/// serves it; a missing or unknown module is an error.
pub(crate) fn render(
    contract: &Contract,
    upstreams: &BTreeMap<String, SocketAddr>,
    options: &EnvoyOptions,
) -> Result<String> {
    if !options.admin.ip().is_loopback() {
        bail!(
            "the Envoy admin interface must listen on loopback, not {}",
            options.admin
        );
    }
    let modules = contract.modules();
    for module in &modules {
        if !upstreams.contains_key(module) {
            bail!("no upstream address for module {module}");
        }
    }
    if let Some(unknown) = upstreams.keys().find(|m| !modules.contains(m)) {
        bail!("upstream given for {unknown}, which is not a module with services");
    }
    let descriptor = options.descriptor.to_string_lossy();
    if !options.descriptor.is_absolute() {
        bail!("the descriptor path must be absolute, not {descriptor}");
    }

    let services: Vec<&str> = contract.services.iter().map(|s| s.full_name.as_str()).collect();
    let bootstrap = json!({
        "node": {"id": "pos-edge", "cluster": "pos-edge"},
        "admin": {"address": socket_address(options.admin)},
        "overload_manager": {"resource_monitors": [{
            "name": "envoy.resource_monitors.global_downstream_max_connections",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
                "max_active_downstream_connections": 10000,
            },
        }]},
        "static_resources": {
            "listeners": [{
                "name": "edge",
                "address": socket_address(options.listen),
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": connection_manager(contract, options, &services, &descriptor),
                }]}],
            }],
            "clusters": modules
                .iter()
                .map(|module| cluster(module, upstreams[module], options))
                .collect::<Vec<_>>(),
        },
    });
    super::json::to_file_text(&bootstrap)
}

fn connection_manager(
    contract: &Contract,
    options: &EnvoyOptions,
    services: &[&str],
    descriptor: &str,
) -> Value {
    json!({
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "edge",
        "codec_type": "AUTO",
        "normalize_path": true,
        "merge_slashes": true,
        // NGINX sets X-Request-Id; keep it, and echo it in responses for direct clients.
        "preserve_external_request_id": true,
        "always_set_request_id_in_response": true,
        "access_log": [access_log()],
        "local_reply_config": local_reply_config(),
        "route_config": {
            "name": "edge",
            "virtual_hosts": [{
                "name": "pos",
                "domains": ["*"],
                "routes": routes(contract, options),
                "request_headers_to_remove": [SERVICE_CREDENTIAL_HEADER],
                "typed_per_filter_config": {"envoy.filters.http.cors": cors_policy()},
                // `pos` answers CORS itself (for direct grpc-web); the edge's policy replaces it.
                "response_headers_to_remove": [
                    "access-control-allow-origin",
                    "access-control-allow-credentials",
                    "access-control-allow-methods",
                    "access-control-allow-headers",
                    "access-control-expose-headers",
                    "access-control-max-age",
                ],
            }],
        },
        "http_filters": [
            {
                "name": "envoy.filters.http.cors",
                "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"},
            },
            {
                "name": "envoy.filters.http.grpc_web",
                "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb"},
            },
            {
                "name": "envoy.filters.http.grpc_json_transcoder",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder",
                    "proto_descriptor": descriptor,
                    "services": services,
                    "convert_grpc_status": true,
                    "print_options": {
                        "add_whitespace": false,
                        "always_print_primitive_fields": true,
                        "always_print_enums_as_ints": false,
                        "preserve_proto_field_names": false,
                    },
                    // Unknown REST paths and query parameters get 404 / 400 instead of going
                    // upstream untranscoded.
                    "request_validation_options": {
                        "reject_unknown_method": true,
                        "reject_unknown_query_parameters": true,
                    },
                    // As much as NGINX accepts (client_max_body_size).
                    "max_request_body_size": 16 * 1024 * 1024,
                    "max_response_body_size": 16 * 1024 * 1024,
                },
            },
            {
                "name": "envoy.filters.http.local_ratelimit",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                    // No token bucket here: only routes with their own configuration are limited.
                    "stat_prefix": "local_rate_limit",
                },
            },
            {
                "name": "envoy.filters.http.router",
                "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
            },
        ],
    })
}

/// The internal RPCs (404), the rate-limited auth RPCs over gRPC, one route per REST binding
/// template, then one gRPC route per module.
fn routes(contract: &Contract, options: &EnvoyOptions) -> Vec<Value> {
    let limited = |route: &mut Value| {
        if let Some(limit) = options.auth_rate_limit {
            route["typed_per_filter_config"] =
                json!({"envoy.filters.http.local_ratelimit": rate_limit(limit)});
        }
    };
    let action =
        |module: &str| json!({"cluster": cluster_name(module), "timeout": duration(options.route_timeout)});
    let mut routes = Vec::new();
    for path in INTERNAL_RPCS {
        routes.push(json!({
            "name": format!("internal {path}"),
            "match": {"path": path},
            "direct_response": {"status": 404},
        }));
    }
    for service in contract.services.iter().filter(|s| s.full_name == AUTH_SERVICE) {
        for method in service
            .methods
            .iter()
            .filter(|m| RATE_LIMITED_AUTH_RPCS.contains(&m.name.as_str()))
        {
            let mut route = json!({
                "name": format!("grpc {AUTH_SERVICE}/{}", method.name),
                "match": {"path": format!("/{AUTH_SERVICE}/{}", method.name)},
                "route": action(&service.module),
            });
            limited(&mut route);
            routes.push(route);
        }
    }

    // (exact?, template) → (module, rate limited?); exact paths first, then regexes, each sorted.
    let mut rest: BTreeMap<(bool, String), (String, bool, String)> = BTreeMap::new();
    for service in &contract.services {
        for (method, binding) in service
            .methods
            .iter()
            .flat_map(|m| m.bindings.iter().map(move |b| (m, b)))
        {
            let auth =
                service.full_name == AUTH_SERVICE && RATE_LIMITED_AUTH_RPCS.contains(&method.name.as_str());
            let key = if binding.is_literal() {
                (false, binding.template.clone())
            } else {
                (true, binding.regex())
            };
            rest.entry(key)
                .or_insert_with(|| (service.module.clone(), auth, binding.template.clone()));
        }
    }
    for ((regex, pattern), (module, auth, template)) in rest {
        let matcher = if regex {
            json!({"safe_regex": {"regex": pattern}})
        } else {
            json!({"path": pattern})
        };
        let mut route =
            json!({"name": format!("rest {template}"), "match": matcher, "route": action(&module)});
        if auth {
            limited(&mut route);
        }
        routes.push(route);
    }

    for module in contract.modules() {
        routes.push(json!({
            "name": format!("grpc {module}"),
            "match": {"prefix": format!("/pos.{module}.v1.")},
            "route": action(&module),
        }));
    }
    routes
}

fn rate_limit(limit: RateLimit) -> Value {
    let everyone = json!({"runtime_key": "auth_rate_limit", "default_value": {"numerator": 100, "denominator": "HUNDRED"}});
    json!({
        "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
        "stat_prefix": "auth_rate_limit",
        "token_bucket": {
            "max_tokens": limit.requests,
            "tokens_per_fill": limit.requests,
            "fill_interval": duration(limit.per),
        },
        "filter_enabled": everyone,
        "filter_enforced": everyone,
        // gRPC callers get RESOURCE_EXHAUSTED (REST: 429) rather than UNAVAILABLE.
        "rate_limited_as_resource_exhausted": true,
        "response_headers_to_add": [{
            "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
            "header": {"key": "x-local-rate-limit", "value": "true"},
        }],
    })
}

/// Any origin may call (the API authenticates with bearer tokens, not cookies); browsers may send
/// the grpc-web headers and read the gRPC status headers.
fn cors_policy() -> Value {
    json!({
        "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy",
        "allow_origin_string_match": [{"safe_regex": {"regex": ".*"}}],
        "allow_methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        "allow_headers": "content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization, x-request-id",
        "expose_headers": "grpc-status, grpc-message, grpc-status-details-bin, x-request-id",
        "max_age": "86400",
    })
}

/// Envoy's own answers to REST calls (unknown path or query parameter, rate limit, upstream
/// down, timeout) as `google.rpc.Status` JSON like the transcoded errors, keeping their HTTP
/// status. A REST call is one whose path, or path before transcoding, starts with `/api/`; gRPC
/// and grpc-web calls keep Envoy's gRPC answers.
fn local_reply_config() -> Value {
    let rest = json!({"or_filter": {"filters": [
        {"header_filter": {"header": {"name": ":path", "string_match": {"prefix": "/api/"}}}},
        {"header_filter": {"header": {"name": "x-envoy-original-path", "string_match": {"prefix": "/api/"}}}},
    ]}});
    // HTTP status → gRPC code.
    let codes = [
        (400, 3),
        (401, 16),
        (403, 7),
        (404, 5),
        (413, 8),
        (429, 8),
        (500, 13),
        (501, 12),
        (502, 14),
        (503, 14),
        (504, 4),
    ];
    let mut mappers: Vec<Value> = codes
        .iter()
        .map(|(status, code)| {
            json!({
                "filter": {"and_filter": {"filters": [
                    rest,
                    {"status_code_filter": {"comparison": {
                        "op": "EQ",
                        "value": {"default_value": status, "runtime_key": format!("local_reply_{status}")},
                    }}},
                ]}},
                "body_format_override": {"json_format": {"code": code, "message": "%LOCAL_REPLY_BODY%"}},
            })
        })
        .collect();
    mappers.push(json!({
        "filter": rest,
        "body_format_override": {"json_format": {"code": 2, "message": "%LOCAL_REPLY_BODY%"}},
    }));
    json!({"mappers": mappers})
}

/// JSON lines on stdout, one per request.
fn access_log() -> Value {
    json!({
        "name": "envoy.access_loggers.stdout",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
            "log_format": {"json_format": {
                "time": "%START_TIME%",
                "component": "envoy",
                "request_id": "%REQ(X-REQUEST-ID)%",
                "method": "%REQ(:METHOD)%",
                "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
                "protocol": "%PROTOCOL%",
                "status": "%RESPONSE_CODE%",
                "grpc_status": "%GRPC_STATUS%",
                "flags": "%RESPONSE_FLAGS%",
                "route": "%ROUTE_NAME%",
                "upstream": "%UPSTREAM_HOST%",
                "cluster": "%UPSTREAM_CLUSTER%",
                "bytes_received": "%BYTES_RECEIVED%",
                "bytes_sent": "%BYTES_SENT%",
                "duration_ms": "%DURATION%",
                "user_agent": "%REQ(USER-AGENT)%",
            }},
        },
    })
}

/// A cluster of one module: HTTP/2 to `pos`, gRPC health checks of the module (`pos.<module>`).
fn cluster(module: &str, address: SocketAddr, options: &EnvoyOptions) -> Value {
    let name = cluster_name(module);
    json!({
        "name": name,
        "type": "STATIC",
        "connect_timeout": duration(options.connect_timeout),
        "lb_policy": "ROUND_ROBIN",
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "explicit_http_config": {"http2_protocol_options": {}},
            },
        },
        "health_checks": [{
            "timeout": "1s",
            "interval": "5s",
            "no_traffic_interval": "5s",
            "unhealthy_interval": "2s",
            "unhealthy_threshold": 2,
            "healthy_threshold": 1,
            "grpc_health_check": {"service_name": format!("pos.{module}")},
        }],
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": socket_address(address)}}]}],
        },
    })
}

fn socket_address(address: SocketAddr) -> Value {
    json!({"socket_address": {"address": address.ip().to_string(), "port_value": address.port()}})
}

/// A protobuf JSON Duration: `30s`, `0.25s`.
fn duration(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstreams(contract: &Contract, split: bool) -> BTreeMap<String, SocketAddr> {
        contract
            .modules()
            .into_iter()
            .zip(50051u16..)
            .map(|(module, port)| {
                let port = if split { port } else { 50051 };
                (module, SocketAddr::from(([127, 0, 0, 1], port)))
            })
            .collect()
    }

    fn options() -> EnvoyOptions {
        EnvoyOptions::new(super::super::tests::descriptor_path())
    }

    #[test]
    fn renders_one_process_and_per_module_topologies() {
        let contract = super::super::tests::contract();
        for split in [false, true] {
            let text = render(&contract, &upstreams(&contract, split), &options()).expect("render");
            let config: Value = serde_json::from_str(&text).expect("JSON");
            let hcm =
                &config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
            let filters: Vec<&str> = hcm["http_filters"]
                .as_array()
                .expect("filters")
                .iter()
                .filter_map(|f| f["name"].as_str())
                .collect();
            assert_eq!(
                filters,
                [
                    "envoy.filters.http.cors",
                    "envoy.filters.http.grpc_web",
                    "envoy.filters.http.grpc_json_transcoder",
                    "envoy.filters.http.local_ratelimit",
                    "envoy.filters.http.router"
                ]
            );
            let transcoded = hcm["http_filters"][2]["typed_config"]["services"]
                .as_array()
                .expect("services");
            for service in &contract.services {
                assert!(
                    transcoded.iter().any(|s| s == service.full_name.as_str()),
                    "{}",
                    service.full_name
                );
            }
            let clusters = config["static_resources"]["clusters"]
                .as_array()
                .expect("clusters");
            assert_eq!(clusters.len(), contract.modules().len());
            let ports: std::collections::BTreeSet<u64> = clusters
                .iter()
                .filter_map(|c| {
                    c["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
                        ["port_value"]
                        .as_u64()
                })
                .collect();
            assert_eq!(ports.len(), if split { clusters.len() } else { 1 });
            let routes = hcm["route_config"]["virtual_hosts"][0]["routes"]
                .as_array()
                .expect("routes");
            for module in contract.modules() {
                assert!(
                    routes
                        .iter()
                        .any(|r| r["match"]["prefix"] == format!("/pos.{module}.v1.")
                            && r["route"]["cluster"] == cluster_name(&module)),
                    "no gRPC route for {module}"
                );
            }
            let route = |name: &str| {
                routes
                    .iter()
                    .find(|r| r["name"] == name)
                    .unwrap_or_else(|| panic!("no route {name}"))
            };
            let limited =
                |r: &Value| r["typed_per_filter_config"]["envoy.filters.http.local_ratelimit"].is_object();
            assert!(limited(route("grpc pos.auth.v1.AuthService/Login")));
            assert!(limited(route("rest /api/v1/auth:login")));
            assert!(
                !limited(route("rest /api/v1/auth:refresh")),
                "refreshing is not limited"
            );
            assert!(
                !limited(route("grpc auth")),
                "signed-in AuthService RPCs are not limited"
            );
            let internal = route("internal /pos.auth.v1.AuthService/ProvisionCredential");
            assert_eq!(internal["direct_response"]["status"], 404);
            assert_eq!(
                hcm["route_config"]["virtual_hosts"][0]["request_headers_to_remove"],
                json!([SERVICE_CREDENTIAL_HEADER])
            );
        }
    }

    #[test]
    fn refuses_missing_modules_and_a_public_admin() {
        let contract = super::super::tests::contract();
        let mut partial = upstreams(&contract, false);
        partial.remove("order");
        assert!(render(&contract, &partial, &options()).is_err());
        let mut public = options();
        public.admin = SocketAddr::from(([0, 0, 0, 0], 9901));
        assert!(render(&contract, &upstreams(&contract, false), &public).is_err());
    }

    /// `envoy --mode validate` accepts the rendered bootstrap (when Envoy is installed in
    /// `.tools/venv`; `cargo xtask test` installs it).
    #[test]
    fn envoy_validates_the_rendered_bootstrap() {
        let root = crate::project_root();
        let Some(envoy) = crate::tools::installed_envoy(&root) else {
            crate::note("envoy not installed in .tools/venv: skipping `envoy --mode validate`");
            return;
        };
        let contract = super::super::tests::contract();
        let dir = super::super::tests::scratch_dir("envoy-validate");
        for split in [false, true] {
            let path = dir.join(format!("envoy-{split}.json"));
            let text = render(&contract, &upstreams(&contract, split), &options()).expect("render");
            std::fs::write(&path, text).expect("write");
            let output = std::process::Command::new(&envoy)
                .args([
                    "--mode",
                    "validate",
                    "--disable-hot-restart",
                    "--log-level",
                    "warn",
                    "-c",
                ])
                .arg(&path)
                .output()
                .expect("run envoy");
            assert!(
                output.status.success(),
                "envoy --mode validate failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}
