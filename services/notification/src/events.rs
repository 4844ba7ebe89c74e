//! The events the module publishes on `pos.notification.v1.events` (key: notification id), each in
//! the transaction of the change it reports.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::EventMeta;
use pos_api::pos::notification::v1 as pb;
use pos_platform::events::{Outbox, OutboxEvent};

use crate::store::{NotificationRow, timestamp};

/// `NotificationSent`: the SMTP server accepted `row`.
pub(crate) async fn sent(tx: &mut PgConnection, row: &NotificationRow) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let message = pb::NotificationSent {
        meta: Some(meta(id)),
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
        meta: Some(meta(id)),
        notification: Some(row.to_proto()),
    };
    Outbox::of(Module::Notification)
        .append(tx, &OutboxEvent::new(id, row.id.to_string(), &message))
        .await
}

fn meta(id: Uuid) -> EventMeta {
    EventMeta {
        event_id: id.to_string(),
        occur_time: Some(timestamp(chrono::Utc::now())),
        actor_user_id: String::new(),
        request_id: String::new(),
    }
}
