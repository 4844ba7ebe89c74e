//! The report module: owns the sales read model built from events.
//!
//! It owns the PostgreSQL schema `reports` and the Kafka topic `pos.report.v1.events`, and serves
//! `pos.report.v1.ReportService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod error;
mod report;

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

/// The topics the module consumes, with their handlers (none yet).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    Vec::new()
}
