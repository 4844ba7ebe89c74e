//! The role module: owns roles, permissions and grants of roles to users.
//!
//! It owns the PostgreSQL schema `roles` and the Kafka topic `pos.role.v1.events`, and serves
//! `pos.role.v1.RoleService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod error;
mod role;

pub use error::RoleError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::role::v1::role_service_server::RoleServiceServer::new(role::RoleApi::new(ctx.clone())),
    );
}

/// The topics the module consumes, with their handlers (none yet).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    Vec::new()
}
