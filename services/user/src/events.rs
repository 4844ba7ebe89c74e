//! The events the user module publishes on `pos.user.v1.events` (key: user id), appended to its
//! outbox in the transaction of the change they describe.

use chrono::Utc;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::{EventMeta, LifecycleChange};
use pos_api::pos::user::v1 as pb;
use pos_platform::events::{Outbox, OutboxEvent};

use crate::store::timestamp;

/// Who caused a change, for `EventMeta`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Actor {
    /// The signed-in user whose request caused it; `None` for services and consumers.
    pub(crate) user_id: Option<Uuid>,
    /// The request's idempotency key, when it had one.
    pub(crate) request_id: String,
}

impl Actor {
    /// The actor of a request made by `auth`.
    pub(crate) fn of(auth: &pos_platform::AuthContext) -> Self {
        Actor {
            user_id: auth.user_id(),
            request_id: String::new(),
        }
    }

    /// The same actor, for a request with `request_id`.
    pub(crate) fn with_request_id(mut self, request_id: &str) -> Self {
        request_id.clone_into(&mut self.request_id);
        self
    }
}

fn meta(id: Uuid, actor: &Actor) -> EventMeta {
    EventMeta {
        event_id: id.to_string(),
        occur_time: Some(timestamp(Utc::now())),
        actor_user_id: actor.user_id.map(|id| id.to_string()).unwrap_or_default(),
        request_id: actor.request_id.clone(),
    }
}

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
        meta: Some(meta(id, actor)),
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
        meta: Some(meta(id, actor)),
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
        meta: Some(meta(id, actor)),
        user_id: user_id.to_string(),
        change: change.into(),
    };
    Outbox::of(Module::User)
        .append(conn, &OutboxEvent::new(id, user_id.to_string(), &event))
        .await
}
