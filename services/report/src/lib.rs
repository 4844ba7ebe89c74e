//! The report module: owns the sales read model built from events.
//!
//! It owns the PostgreSQL schema `reports` and the Kafka topic `pos.report.v1.events`, and serves
//! `pos.report.v1.ReportService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].
//!
//! - `ingest`: the consumers that record facts (sales, refunds, final payments) and add them to the
//!   daily rollups, on the merchant's business day;
//! - `rollup`: the rollups as sums over the facts, shared by the ingest and [`rebuild`];
//! - the query side answers the six report RPCs from the rollups, through a Redis cache (`cache`).

mod cache;
mod error;
mod ingest;
mod period;
mod query;
pub mod rebuild;
mod report;
mod rollup;
mod scope;

pub use error::ReportError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::report::v1::report_service_server::ReportServiceServer::new(report::ReportApi::new(
            ctx.clone(),
        )),
    );
}

/// The topics the module consumes, with their handlers (see `ingest`).
pub fn subscriptions(ctx: &ModuleContext) -> Vec<Subscription> {
    ingest::subscriptions(ctx)
}
