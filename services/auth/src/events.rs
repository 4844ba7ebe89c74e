//! Publishing the module's events (`pos.auth.v1` `events.proto`) through its outbox, in the
//! transaction of the change they describe.

use chrono::{DateTime, Utc};
use pos_api::Module;
use pos_api::pos::common::v1::EventMeta;
use pos_platform::events::{Outbox, OutboxEvent};
use sqlx::PgConnection;
use uuid::Uuid;

/// Appends the event `build` makes (given its `EventMeta`) to the auth outbox in `tx`, keyed by
/// `aggregate` (the user id; the email for a login failure of an unknown email). `actor` is the
/// signed-in user whose request caused it, if any.
pub(crate) async fn publish<M, F>(
    tx: &mut PgConnection,
    aggregate: impl Into<String>,
    actor: Option<Uuid>,
    build: F,
) -> Result<(), sqlx::Error>
where
    M: prost::Message + prost::Name,
    F: FnOnce(Option<EventMeta>) -> M,
{
    let id = Uuid::now_v7();
    let now = Utc::now();
    let meta = EventMeta {
        event_id: id.to_string(),
        occur_time: Some(timestamp(now)),
        actor_user_id: actor.map(|user| user.to_string()).unwrap_or_default(),
        request_id: String::new(),
    };
    let message = build(Some(meta));
    Outbox::of(Module::Auth)
        .append(tx, &OutboxEvent::new(id, aggregate, &message).occurred_at(now))
        .await
}

/// A protobuf timestamp.
pub(crate) fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}
