//! The order module: owns carts (in Redis), orders and order items.
//!
//! It owns the PostgreSQL schema `orders` and the Kafka topic `pos.order.v1.events`, and serves
//! `pos.order.v1.OrderService`, `pos.order.v1.OrderItemService`, `pos.order.v1.CartService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod access;
mod cancel;
mod cart;
mod create;
mod error;
mod events;
mod idem;
mod lifecycle;
mod money;
mod order;
mod order_item;
mod payments;
mod read;
mod receipt;
mod refund;
mod store;
mod update;
mod upstream;

pub use error::OrderError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::order::v1::order_service_server::OrderServiceServer::new(order::OrderApi::new(
            ctx.clone(),
        )),
    );
    routes.add_service(
        pos_api::pos::order::v1::order_item_service_server::OrderItemServiceServer::new(
            order_item::OrderItemApi::new(ctx.clone()),
        ),
    );
    routes.add_service(
        pos_api::pos::order::v1::cart_service_server::CartServiceServer::new(cart::CartApi::new(ctx.clone())),
    );
}

/// The topics the module consumes, with their handlers: the transaction module's payment events
/// (an order's `amount_paid`, PAID, compensation of payments of cancelled orders).
pub fn subscriptions(ctx: &ModuleContext) -> Vec<Subscription> {
    vec![payments::subscription(ctx)]
}

/// The module's background tasks: cancelling unpaid orders past their `expire_time`.
pub fn background(ctx: &ModuleContext) -> Vec<pos_platform::background::BackgroundTask> {
    vec![cancel::expiry_task(ctx)]
}
