//! The auth module: owns credentials, sessions, refresh-token families, verification and reset tokens.
//!
//! It owns the PostgreSQL schema `auth` and the Kafka topic `pos.auth.v1.events`, and serves
//! `pos.auth.v1.AuthService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod auth;
mod error;
pub mod password;

pub use error::AuthError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::auth::v1::auth_service_server::AuthServiceServer::new(auth::AuthApi::new(ctx.clone())),
    );
}

/// The topics the module consumes, with their handlers (none yet).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    Vec::new()
}
