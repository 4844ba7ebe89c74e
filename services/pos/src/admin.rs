//! The admin HTTP listener: `/metrics` (Prometheus text format), `/healthz` (the process is up)
//! and `/readyz` (PostgreSQL and Redis answer). Operators and Kubernetes probes use it; clients
//! never see it.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use pos_platform::ModuleContext;
use prometheus::{Encoder as _, Registry, TextEncoder};

#[derive(Clone)]
struct AdminState {
    registry: Registry,
    ctx: ModuleContext,
}

/// The admin router.
pub(crate) fn router(registry: Registry, ctx: ModuleContext) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(AdminState { registry, ctx })
}

async fn metrics(State(state): State<AdminState>) -> impl IntoResponse {
    let mut body = Vec::new();
    match TextEncoder::new().encode(&state.registry.gather(), &mut body) {
        Ok(()) => (StatusCode::OK, [("content-type", prometheus::TEXT_FORMAT)], body).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn readyz(State(state): State<AdminState>) -> impl IntoResponse {
    let database = check(pos_platform::db::ping(&state.ctx.db)).await;
    let redis = check(pos_platform::redis_pool::ping(&state.ctx.redis)).await;
    let line = |name: &str, check: &Result<(), String>| match check {
        Ok(()) => format!("{name}: ok\n"),
        Err(error) => format!("{name}: unavailable ({error})\n"),
    };
    let body = line("postgres", &database) + &line("redis", &redis);
    let status = if database.is_ok() && redis.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if status != StatusCode::OK {
        tracing::warn!(%body, "not ready");
    }
    (status, body)
}

/// Runs one readiness probe with a time limit.
async fn check<E: std::fmt::Display>(
    probe: impl std::future::Future<Output = Result<(), E>>,
) -> Result<(), String> {
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}
