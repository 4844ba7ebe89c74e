//! The category module: owns product categories.
//!
//! It owns the PostgreSQL schema `categories` and the Kafka topic `pos.category.v1.events`, and serves
//! `pos.category.v1.CategoryService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod category;
mod error;

pub use error::CategoryError;

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

/// The topics the module consumes, with their handlers (none yet).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    Vec::new()
}
