//! The events the user module publishes on `pos.user.v1.events` (key: user id), appended to its
//! outbox in the transaction of the change they describe.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::user::v1 as pb;
use pos_platform::events::{Outbox, OutboxEvent};

pub(crate) use pos_platform::events::Actor;

/// Appends `UserCreated`.
pub(crate) async fn user_created(
    conn: &mut PgConnection,
    actor: &Actor,
    user: pb::User,
    source: pb::UserSource,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let key = user.id.clone();
    let event = pb::UserCreated {
        meta: Some(actor.meta(id)),
        user: Some(user),
        source: source.into(),
    };
    Outbox::of(Module::User)
        .append(conn, &OutboxEvent::new(id, key, &event))
        .await
}

/// Appends `UserUpdated` naming the fields that changed.
pub(crate) async fn user_updated(
    conn: &mut PgConnection,
    actor: &Actor,
    user: pb::User,
    changed_fields: Vec<String>,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let key = user.id.clone();
    let event = pb::UserUpdated {
        meta: Some(actor.meta(id)),
        user: Some(user),
        changed_fields,
    };
    Outbox::of(Module::User)
        .append(conn, &OutboxEvent::new(id, key, &event))
        .await
}

/// Appends `UserLifecycleChanged`.
pub(crate) async fn lifecycle_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    user_id: Uuid,
    change: LifecycleChange,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::UserLifecycleChanged {
        meta: Some(actor.meta(id)),
        user_id: user_id.to_string(),
        change: change.into(),
    };
    Outbox::of(Module::User)
        .append(conn, &OutboxEvent::new(id, user_id.to_string(), &event))
        .await
}
