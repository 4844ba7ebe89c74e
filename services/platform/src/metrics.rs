//! Prometheus metrics of the gRPC server: requests, errors and latency per RPC and module,
//! recorded by a tower layer around every service, plus a span per RPC that continues the
//! caller's trace.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use pos_api::Module;

/// The RPC metrics of one process.
#[derive(Clone, Debug)]
pub struct RpcMetrics {
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl RpcMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new(
                "pos_grpc_requests_total",
                "gRPC requests handled, by RPC and status code",
            ),
            &["module", "service", "method", "code"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "pos_grpc_request_duration_seconds",
                "gRPC request latency until response headers",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["module", "service", "method"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        Ok(RpcMetrics { requests, latency })
    }

    /// Requests counted so far for one RPC and status code (for tests and diagnostics).
    pub fn request_count(&self, service: &str, method: &str, code: &str) -> u64 {
        let module = module_label(service);
        self.requests
            .with_label_values(&[module.as_str(), service, method, code])
            .get()
    }
}

fn module_label(service: &str) -> String {
    Module::serving(service).map_or_else(|| "platform".to_owned(), |module| module.to_string())
}

/// The tower layer that records [`RpcMetrics`] and opens a span per RPC.
#[derive(Clone, Debug)]
pub struct RpcMetricsLayer {
    metrics: Arc<RpcMetrics>,
}

impl RpcMetricsLayer {
    /// A layer recording into `metrics`.
    pub fn new(metrics: RpcMetrics) -> Self {
        RpcMetricsLayer {
            metrics: Arc::new(metrics),
        }
    }
}

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// Service produced by [`RpcMetricsLayer`].
#[derive(Clone, Debug)]
pub struct RpcMetricsService<S> {
    inner: S,
    metrics: Arc<RpcMetrics>,
}

impl<S, B, ResBody> tower::Service<http::Request<B>> for RpcMetricsService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        let (service, method) = (service.to_owned(), method.to_owned());
        let module = module_label(&service);
        let span = tracing::info_span!("rpc", rpc.system = "grpc", rpc.service = %service, rpc.method = %method, module = %module);
        let _ = span.set_parent(crate::telemetry::remote_context(request.headers()));
        let metrics = self.metrics.clone();
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(
            async move {
                let result = future.await;
                let code = match &result {
                    // A status in the headers means a trailers-only (error) response; otherwise the
                    // status arrives in the trailers, which for unary RPCs means OK.
                    Ok(response) => response
                        .headers()
                        .get("grpc-status")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.parse::<i32>().ok())
                        .map_or(tonic::Code::Ok, tonic::Code::from_i32),
                    Err(_) => tonic::Code::Unavailable,
                };
                let code_label = format!("{code:?}");
                metrics
                    .requests
                    .with_label_values(&[module.as_str(), &service, &method, &code_label])
                    .inc();
                metrics
                    .latency
                    .with_label_values(&[module.as_str(), &service, &method])
                    .observe(started.elapsed().as_secs_f64());
                if code != tonic::Code::Ok {
                    tracing::info!(grpc.code = %code_label, "rpc failed");
                }
                result
            }
            .instrument(span),
        )
    }
}
