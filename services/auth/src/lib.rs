//! The auth module: owns credentials, sessions, refresh-token families, verification and reset
//! tokens, and the keys that sign access tokens.
//!
//! It owns the PostgreSQL schema `auth` and the Kafka topic `pos.auth.v1.events`, and serves
//! `pos.auth.v1.AuthService`. It reads no other module's schema and reaches other modules only
//! through [`pos_api::Clients`] (the role module for a user's grants, the user module for GetMe)
//! and their events (`pos.user.v1.events`).
//!
//! Abuse limits: per-email login lockout and once-a-minute mail limits live here (Redis);
//! per-client-address limits (`RESOURCE_EXHAUSTED` / `TOO_MANY_REQUESTS`) are enforced by the
//! edge (Envoy's local rate limit on AuthService).

mod auth;
mod client;
mod consumer;
mod email;
mod error;
mod events;
mod grants;
mod hashing;
mod input;
mod keys;
mod login;
mod me;
pub mod password;
mod passwords;
mod provision;
mod refresh;
mod register;
mod secrets;
mod signing;
mod signout;
mod store;
mod throttle;

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

/// The topics the module consumes: the user module's events (email changes, trashed, restored
/// and purged users).
pub fn subscriptions(ctx: &ModuleContext) -> Vec<Subscription> {
    vec![consumer::user_events(ctx)]
}
