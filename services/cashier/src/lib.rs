//! The cashier module: owns cashier accounts bound to a merchant.
//!
//! It owns the PostgreSQL schema `cashiers` and the Kafka topic `pos.cashier.v1.events`, and serves
//! `pos.cashier.v1.CashierService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`]: a cashier's user account is created by the user module (which has the auth module
//! provision its credential) and its `cashier` role grant by the role module; the merchant module says
//! whether a merchant may have cashiers. It consumes no topic.

mod cashier;
mod create;
mod error;
mod events;
mod input;
mod lifecycle;
mod read;
mod store;
mod update;
mod upstream;

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

/// The topics the module consumes, with their handlers (none).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    Vec::new()
}
