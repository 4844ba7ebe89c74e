//! The user module: owns user accounts and profiles.
//!
//! It owns the PostgreSQL schema `users` and the Kafka topic `pos.user.v1.events`, and serves
//! `pos.user.v1.UserService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`]: the auth module provisions the credentials of the users it creates, the
//! role module says who holds `admin`. It consumes `pos.auth.v1.events` (profiles of people who
//! sign up, verified emails) and `pos.role.v1.events` (who holds `admin`).

mod consumer;
mod create;
mod error;
mod events;
mod input;
mod lifecycle;
mod read;
mod store;
mod update;
mod user;

use std::sync::Arc;

pub use error::UserError;

use pos_api::Module;
use pos_platform::ModuleContext;
use pos_platform::events::topics::events_topic;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::user::v1::user_service_server::UserServiceServer::new(user::UserApi::new(ctx.clone())),
    );
}

/// The topics the module consumes, with their handlers.
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    vec![
        Subscription::new(events_topic(Module::Auth), Arc::new(consumer::AuthEvents)),
        Subscription::new(events_topic(Module::Role), Arc::new(consumer::RoleEvents)),
    ]
}
