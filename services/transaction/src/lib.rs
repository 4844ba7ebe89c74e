//! The transaction module: owns payments, refund transactions and settlement processing.
//!
//! It owns the PostgreSQL schema `transactions` and the Kafka topic `pos.transaction.v1.events`, and serves
//! `pos.transaction.v1.TransactionService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod error;
mod transaction;

pub use error::TransactionError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::transaction::v1::transaction_service_server::TransactionServiceServer::new(
            transaction::TransactionApi::new(ctx.clone()),
        ),
    );
}

/// The topics the module consumes, with their handlers (none yet).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    Vec::new()
}
