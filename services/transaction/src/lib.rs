//! The transaction module: owns payments, refund transactions and settlement processing.
//!
//! It owns the PostgreSQL schema `transactions` and the Kafka topic `pos.transaction.v1.events`, and serves
//! `pos.transaction.v1.TransactionService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`]: OrderService.GetOrder and MerchantService.GetMerchant when a payment is taken. It consumes
//! the order module's `OrderRefunded` (refund transactions) and the merchant module's `SettlementRequested`.
//!
//! Card, e-wallet and bank-transfer payments go through a payment processor chosen by `POS_PAYMENT_PROCESSOR`
//! (see `processor`).

mod access;
mod error;
mod events;
mod lifecycle;
mod payment;
mod processor;
mod read;
mod refunds;
mod settlement;
mod store;
mod transaction;
mod upstream;
mod void;

pub use error::TransactionError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    let processor = processor::configured(ctx.config.payment_processor);
    routes.add_service(
        pos_api::pos::transaction::v1::transaction_service_server::TransactionServiceServer::new(
            transaction::TransactionApi::new(ctx.clone(), processor),
        ),
    );
}

/// The topics the module consumes, with their handlers: the order module's (refunds) and the
/// merchant module's (settlements).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    vec![refunds::order_events(), settlement::merchant_events()]
}
