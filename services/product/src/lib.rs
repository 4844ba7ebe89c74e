//! The product module: owns products, the append-only stock ledger and stock reservations.
//!
//! It owns the PostgreSQL schema `products` and the Kafka topic `pos.product.v1.events`, and serves
//! `pos.product.v1.ProductService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod error;
mod product;
mod stock;

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

/// The topics the module consumes, with their handlers (none yet).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    Vec::new()
}

/// The module's background tasks (issue #6 adds the expiry of stock reservations).
pub fn background(_ctx: &ModuleContext) -> Vec<pos_platform::background::BackgroundTask> {
    Vec::new()
}
