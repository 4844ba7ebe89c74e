//! The category module: owns the product categories shared by every merchant.
//!
//! It owns the PostgreSQL schema `categories` and the Kafka topic `pos.category.v1.events`, and serves
//! `pos.category.v1.CategoryService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`] (the product module says whether products still use a category before a purge).
//! Reads by id go through a Redis read-through cache that every write invalidates; the module consumes
//! its own topic to invalidate it again from each event.

mod cache;
mod category;
mod error;
mod events;
mod input;
mod lifecycle;
mod read;
mod slug;
mod store;
mod usage;
mod write;

pub use error::CategoryError;

use pos_api::Module;
use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::category::v1::category_service_server::CategoryServiceServer::new(
            category::CategoryApi::new(ctx.clone()),
        ),
    );
}

/// The topics the module consumes: its own, to invalidate cached categories from their events.
pub fn subscriptions(ctx: &ModuleContext) -> Vec<Subscription> {
    vec![cache::categories(ctx).own_events(Module::Category)]
}
