//! The product module: owns products, the append-only stock ledger and stock reservations.
//!
//! It owns the PostgreSQL schema `products` and the Kafka topic `pos.product.v1.events`, and serves
//! `pos.product.v1.ProductService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod access;
mod barcode;
mod cache;
mod create;
mod error;
mod events;
mod image;
mod input;
mod lifecycle;
mod order_events;
mod product;
mod read;
mod slug;
mod stock;
mod store;
mod update;
mod upstream;

pub use error::ProductError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::product::v1::product_service_server::ProductServiceServer::new(
            product::ProductApi::new(ctx.clone()),
        )
        .max_decoding_message_size(pos_platform::UPLOAD_MESSAGE_LIMIT_BYTES),
    );
}

/// The topics the module consumes, with their handlers: its own topic, whose events invalidate
/// the cached products they name (the event-driven half of [`cache`] invalidation); and the
/// order topic, whose paid, refunded and cancelled orders commit, restock and release stock
/// ([`order_events`]).
pub fn subscriptions(ctx: &ModuleContext) -> Vec<Subscription> {
    vec![
        cache::products(ctx).own_events(pos_api::Module::Product),
        order_events::subscription(ctx),
    ]
}

/// The module's background tasks: the expiry of stock reservations (every
/// [`stock::expiry::SWEEP_INTERVAL`]; processes share the work, never expiring one twice).
pub fn background(ctx: &ModuleContext) -> Vec<pos_platform::background::BackgroundTask> {
    vec![stock::expiry::task(ctx)]
}
