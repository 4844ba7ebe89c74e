//! The notification module: owns e-mail notifications and their delivery log.
//!
//! It owns the PostgreSQL schema `notifications` and the Kafka topic `pos.notification.v1.events`, and serves
//! `pos.notification.v1.NotificationService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`] (the user module, for the address of a user whose session was stolen).
//!
//! How a mail travels: the consumer of `pos.auth.v1.events` ([`consumer`]) records one PENDING notification per
//! event, without its one-time secret, which stays in this process's memory ([`vault`]); the dispatcher
//! ([`dispatcher`]) of every process serving the module sends due notifications over SMTP ([`mailer`]) with
//! retries and records SENT or FAILED with `NotificationSent` / `NotificationFailed`. Bodies ([`render`]) are
//! never stored; ResendNotification re-renders the kinds that carry no secret.

mod consumer;
mod dispatcher;
mod error;
mod events;
mod kind;
mod mailer;
mod merchant_events;
mod notification;
mod render;
mod store;
mod vault;

#[cfg(test)]
mod delivery_tests;

use std::sync::Arc;

pub use error::NotificationError;

use pos_api::Module;
use pos_platform::ModuleContext;
use pos_platform::events::topics::events_topic;
use pos_platform::module::Subscription;
use tokio::sync::Notify;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::notification::v1::notification_service_server::NotificationServiceServer::new(
            notification::NotificationApi::new(ctx.clone()),
        ),
    );
}

/// The topics the module consumes, with their handlers: `pos.auth.v1.events` and
/// `pos.merchant.v1.events` (mails to merchant owners).
///
/// The process that consumes them also sends the mail: this starts the module's dispatcher on the current tokio
/// runtime, since only this process holds the secrets its events carried. The dispatcher stops when the
/// subscription's consumer is dropped (the process stops).
pub fn subscriptions(ctx: &ModuleContext) -> Vec<Subscription> {
    let vault = Arc::new(vault::Vault::default());
    let wake = Arc::new(Notify::new());
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            let dispatcher = dispatcher::Dispatcher {
                db: ctx.db.clone(),
                mailer: mailer::Mailer::new(&ctx.config.smtp_url, &ctx.config.mail_from),
                vault: Arc::clone(&vault),
                wake: Arc::downgrade(&wake),
                public_url: ctx.config.public_url.clone(),
                options: dispatcher::DispatchOptions::default(),
            };
            runtime.spawn(dispatcher.run());
        }
        Err(_) => tracing::error!("no tokio runtime: the notification dispatcher is not running"),
    }
    let mut subscription = Subscription::new(
        events_topic(Module::Auth),
        Arc::new(consumer::AuthEvents::new(ctx.clone())),
    );
    subscription.after_apply = Some(consumer::after_apply(Arc::clone(&vault), Arc::clone(&wake)));
    let mut merchants = Subscription::new(
        events_topic(Module::Merchant),
        Arc::new(merchant_events::MerchantEvents::new(ctx.clone())),
    );
    merchants.after_apply = Some(consumer::after_apply(vault, wake));
    vec![subscription, merchants]
}
