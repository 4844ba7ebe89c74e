//! The events the role module publishes on `pos.role.v1.events`, appended to its outbox in the
//! transaction of the change they describe: `RoleChanged` and `RoleLifecycleChanged` (key: role
//! id), `UserRolesChanged` (key: user id).

use chrono::Utc;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::{EventMeta, LifecycleChange};
use pos_api::pos::role::v1 as pb;
use pos_platform::events::{Outbox, OutboxEvent};

use crate::store::{self, RoleRow, UserGrants, timestamp};

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

async fn append<M: prost::Message + prost::Name>(
    conn: &mut PgConnection,
    id: Uuid,
    key: String,
    event: &M,
) -> Result<(), sqlx::Error> {
    Outbox::of(Module::Role)
        .append(conn, &OutboxEvent::new(id, key, event))
        .await
}

/// Appends `RoleChanged` for `role` (created, or changed from `previous_permissions`).
pub(crate) async fn role_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    role: &RoleRow,
    created: bool,
    previous_permissions: Vec<String>,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::RoleChanged {
        meta: Some(meta(id, actor)),
        role: Some(role.to_pb()),
        created,
        previous_permissions,
    };
    append(conn, id, role.id.to_string(), &event).await
}

/// Appends `RoleLifecycleChanged`.
pub(crate) async fn role_lifecycle_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    role: &RoleRow,
    change: LifecycleChange,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::RoleLifecycleChanged {
        meta: Some(meta(id, actor)),
        role_id: role.id.to_string(),
        role_name: role.name.clone(),
        change: change.into(),
    };
    append(conn, id, role.id.to_string(), &event).await
}

/// Appends `UserRolesChanged` with the grants `user_id` holds now (read in the caller's
/// transaction, after the change).
pub(crate) async fn user_roles_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    let rows = store::user_grants(conn, user_id).await?;
    let grants = UserGrants::from_rows(&rows);
    let id = Uuid::now_v7();
    let event = pb::UserRolesChanged {
        meta: Some(meta(id, actor)),
        user_id: user_id.to_string(),
        grants: grants.grants,
        permissions: grants.permissions,
        merchant_id: grants.merchant_id.map(|id| id.to_string()).unwrap_or_default(),
        cashier_id: grants.cashier_id.map(|id| id.to_string()).unwrap_or_default(),
    };
    append(conn, id, user_id.to_string(), &event).await
}
