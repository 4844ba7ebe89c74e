//! Trash, restore and purge of custom roles, one or every trashed one. Each change publishes
//! `RoleLifecycleChanged` in its transaction; a purge also deletes the role's grants and
//! publishes `UserRolesChanged` for every user who held it.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::role::v1 as pb;
use pos_platform::{AuthContext, ModuleContext};

use crate::error::RoleError;
use crate::events::{self, Actor};
use crate::store::{self, RoleRow, parse_id};

/// Moves a custom role to the trash (see `RoleService.DeleteRole`).
pub(crate) async fn delete_role(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::DeleteRoleRequest,
) -> Result<pb::DeleteRoleResponse, RoleError> {
    let id = parse_id("role_id", &request.role_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    if current.built_in {
        return Err(RoleError::BuiltInRole {
            name: current.name,
            why: "built-in roles cannot be trashed",
        });
    }
    if current.deleted_at.is_some() {
        return Err(RoleError::RoleTrashed(id.to_string()));
    }
    let trashed = set_trashed(&mut tx, id, true).await?;
    events::role_lifecycle_changed(&mut tx, &Actor::of(auth), &trashed, LifecycleChange::Trashed).await?;
    tx.commit().await?;
    Ok(pb::DeleteRoleResponse {
        role: Some(trashed.to_pb()),
    })
}

/// Takes a role out of the trash (see `RoleService.RestoreRole`).
pub(crate) async fn restore_role(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreRoleRequest,
) -> Result<pb::RestoreRoleResponse, RoleError> {
    let id = parse_id("role_id", &request.role_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    if current.deleted_at.is_none() {
        return Err(RoleError::RoleNotTrashed(id.to_string()));
    }
    let restored = set_trashed(&mut tx, id, false).await?;
    events::role_lifecycle_changed(&mut tx, &Actor::of(auth), &restored, LifecycleChange::Restored).await?;
    tx.commit().await?;
    Ok(pb::RestoreRoleResponse {
        role: Some(restored.to_pb()),
    })
}

/// Deletes a trashed role for good, with its grants (see `RoleService.PurgeRole`).
pub(crate) async fn purge_role(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeRoleRequest,
) -> Result<pb::PurgeRoleResponse, RoleError> {
    let id = parse_id("role_id", &request.role_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    if current.deleted_at.is_none() {
        return Err(RoleError::RoleNotTrashed(id.to_string()));
    }
    purge(&mut tx, &Actor::of(auth), &[current]).await?;
    tx.commit().await?;
    Ok(pb::PurgeRoleResponse {})
}

/// Restores every trashed role (see `RoleService.RestoreTrashedRoles`).
pub(crate) async fn restore_trashed_roles(
    ctx: &ModuleContext,
    auth: &AuthContext,
) -> Result<pb::RestoreTrashedRolesResponse, RoleError> {
    let mut tx = ctx.db.begin().await?;
    let restored: Vec<RoleRow> = sqlx::query_as!(
        RoleRow,
        "UPDATE roles.roles SET deleted_at = NULL, updated_at = now() \
         WHERE deleted_at IS NOT NULL \
         RETURNING id, name, description, permissions, built_in, created_at, updated_at, deleted_at",
    )
    .fetch_all(&mut *tx)
    .await?;
    let actor = Actor::of(auth);
    for role in &restored {
        events::role_lifecycle_changed(&mut tx, &actor, role, LifecycleChange::Restored).await?;
    }
    tx.commit().await?;
    Ok(pb::RestoreTrashedRolesResponse {
        affected_count: i64::try_from(restored.len()).unwrap_or(i64::MAX),
    })
}

/// Purges every trashed role with its grants (see `RoleService.PurgeTrashedRoles`).
pub(crate) async fn purge_trashed_roles(
    ctx: &ModuleContext,
    auth: &AuthContext,
) -> Result<pb::PurgeTrashedRolesResponse, RoleError> {
    let mut tx = ctx.db.begin().await?;
    let trashed: Vec<RoleRow> = sqlx::query_as!(
        RoleRow,
        "SELECT id, name, description, permissions, built_in, created_at, updated_at, deleted_at \
         FROM roles.roles WHERE deleted_at IS NOT NULL ORDER BY id FOR UPDATE",
    )
    .fetch_all(&mut *tx)
    .await?;
    purge(&mut tx, &Actor::of(auth), &trashed).await?;
    tx.commit().await?;
    Ok(pb::PurgeTrashedRolesResponse {
        affected_count: i64::try_from(trashed.len()).unwrap_or(i64::MAX),
    })
}

async fn set_trashed(conn: &mut PgConnection, id: Uuid, trashed: bool) -> Result<RoleRow, sqlx::Error> {
    sqlx::query_as!(
        RoleRow,
        "UPDATE roles.roles SET deleted_at = CASE WHEN $2 THEN now() END, updated_at = now() \
         WHERE id = $1 \
         RETURNING id, name, description, permissions, built_in, created_at, updated_at, deleted_at",
        id,
        trashed,
    )
    .fetch_one(conn)
    .await
}

/// Deletes `roles` (locked, trashed) with their grants; publishes `UserRolesChanged` for each
/// user who held one and `RoleLifecycleChanged` for each role.
async fn purge(conn: &mut PgConnection, actor: &Actor, roles: &[RoleRow]) -> Result<(), RoleError> {
    if roles.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = roles.iter().map(|role| role.id).collect();
    let holders: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT DISTINCT user_id FROM roles.grants WHERE role_id = ANY($1) ORDER BY user_id",
        &ids,
    )
    .fetch_all(&mut *conn)
    .await?;
    // Locked in id order, like every other writer of a user's grants, after the roles.
    for user_id in &holders {
        store::lock_user_grants(conn, *user_id).await?;
    }
    sqlx::query!("DELETE FROM roles.grants WHERE role_id = ANY($1)", &ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("DELETE FROM roles.roles WHERE id = ANY($1)", &ids)
        .execute(&mut *conn)
        .await?;
    for user_id in &holders {
        events::user_roles_changed(conn, actor, *user_id).await?;
    }
    for role in roles {
        events::role_lifecycle_changed(conn, actor, role, LifecycleChange::Purged).await?;
    }
    Ok(())
}
