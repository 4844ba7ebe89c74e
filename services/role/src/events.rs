//! The events the role module publishes on `pos.role.v1.events`, appended to its outbox in the
//! transaction of the change they describe: `RoleChanged` and `RoleLifecycleChanged` (key: role
//! id), `UserRolesChanged` (key: user id).

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::role::v1 as pb;
use pos_platform::events::{Outbox, OutboxEvent};

use crate::store::{self, RoleRow, UserGrants};

pub(crate) use pos_platform::events::Actor;

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
        meta: Some(actor.meta(id)),
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
        meta: Some(actor.meta(id)),
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
        meta: Some(actor.meta(id)),
        user_id: user_id.to_string(),
        grants: grants.grants,
        permissions: grants.permissions,
        merchant_id: grants.merchant_id.map(|id| id.to_string()).unwrap_or_default(),
        cashier_id: grants.cashier_id.map(|id| id.to_string()).unwrap_or_default(),
    };
    append(conn, id, user_id.to_string(), &event).await
}
