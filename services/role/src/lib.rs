//! The role module: owns roles, permissions and grants of roles to users.
//!
//! It owns the PostgreSQL schema `roles` and the Kafka topic `pos.role.v1.events`, and serves
//! `pos.role.v1.RoleService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`] (the user module says whether a user exists). It consumes
//! `pos.user.v1.events`: trashed users are not active admins, purged users lose their grants.
//!
//! The permission catalogue is `pos_api::policy::PERMISSIONS`; the built-in roles `admin`,
//! `merchant` and `cashier` have fixed ids (see the migration `role_grants`), and `admin` always
//! holds the whole catalogue.

mod catalogue;
mod consumer;
mod error;
mod events;
mod grants;
mod input;
mod lifecycle;
mod role;
mod roles;
mod store;

use std::sync::Arc;

pub use error::RoleError;

use pos_api::Module;
use pos_platform::ModuleContext;
use pos_platform::events::topics::events_topic;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::role::v1::role_service_server::RoleServiceServer::new(role::RoleApi::new(ctx.clone())),
    );
}

/// The topics the module consumes, with their handlers.
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    vec![Subscription::new(
        events_topic(Module::User),
        Arc::new(consumer::UserEvents),
    )]
}
