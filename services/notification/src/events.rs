//! The events the module publishes on `pos.notification.v1.events` (key: notification id), each in
//! the transaction of the change it reports.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::notification::v1 as pb;
use pos_platform::events::{Actor, Outbox, OutboxEvent};

use crate::store::NotificationRow;

/// `NotificationSent`: the SMTP server accepted `row`.
pub(crate) async fn sent(tx: &mut PgConnection, row: &NotificationRow) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let message = pb::NotificationSent {
        meta: Some(Actor::default().meta(id)),
        notification: Some(row.to_proto()),
    };
    Outbox::of(Module::Notification)
        .append(tx, &OutboxEvent::new(id, row.id.to_string(), &message))
        .await
}

/// `NotificationFailed`: every attempt at `row` failed.
pub(crate) async fn failed(tx: &mut PgConnection, row: &NotificationRow) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let message = pb::NotificationFailed {
        meta: Some(Actor::default().meta(id)),
        notification: Some(row.to_proto()),
    };
    Outbox::of(Module::Notification)
        .append(tx, &OutboxEvent::new(id, row.id.to_string(), &message))
        .await
}
