//! The notification module: owns e-mail notifications and their delivery log.
//!
//! It owns the PostgreSQL schema `notifications` and the Kafka topic `pos.notification.v1.events`, and serves
//! `pos.notification.v1.NotificationService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod error;
mod notification;

pub use error::NotificationError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::notification::v1::notification_service_server::NotificationServiceServer::new(
            notification::NotificationApi::new(ctx.clone()),
        ),
    );
}

/// The topics the module consumes, with their handlers (none yet).
pub fn subscriptions(_ctx: &ModuleContext) -> Vec<Subscription> {
    Vec::new()
}
