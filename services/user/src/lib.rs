//! The user module: owns user accounts and profiles.
//!
//! It owns the PostgreSQL schema `users` and the Kafka topic `pos.user.v1.events`, and serves
//! `pos.user.v1.UserService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod error;
mod user;

pub use error::UserError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::user::v1::user_service_server::UserServiceServer::new(user::UserApi::new(ctx.clone())),
    );
}

/// The topics the module consumes, with their handlers (none yet).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    Vec::new()
}
