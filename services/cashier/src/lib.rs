//! The cashier module: owns cashier accounts bound to a merchant.
//!
//! It owns the PostgreSQL schema `cashiers` and the Kafka topic `pos.cashier.v1.events`, and serves
//! `pos.cashier.v1.CashierService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod cashier;
mod error;

pub use error::CashierError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::cashier::v1::cashier_service_server::CashierServiceServer::new(
            cashier::CashierApi::new(ctx.clone()),
        ),
    );
}

/// The topics the module consumes, with their handlers (none yet).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    Vec::new()
}
