//! Trash, restore and purge, one user or every trashed one. Each change publishes
//! `UserLifecycleChanged` in its transaction: the auth module revokes the sessions of a trashed
//! user, the role module drops the grants of a purged one.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::role::v1::ListUserRolesRequest;
use pos_api::pos::user::v1 as pb;
use pos_platform::{AuthContext, ModuleContext};

use crate::error::UserError;
use crate::events::{self, Actor};
use crate::store::{self, UserRow, parse_id};

/// Name of the built-in role whose last active holder cannot be trashed.
pub(crate) const ADMIN_ROLE: &str = "admin";

/// Advisory lock serialising the trashing of admins, so two admins trashing each other at the
/// same time cannot both succeed ("useradmn").
const LAST_ADMIN_LOCK: i64 = 0x7573_6572_6164_6d6e;

/// Moves a user to the trash (see `UserService.DeleteUser`).
pub(crate) async fn delete_user(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::DeleteUserRequest,
) -> Result<pb::DeleteUserResponse, UserError> {
    let id = parse_id("user_id", &request.user_id)?;
    if auth.is_user(id) {
        return Err(UserError::SelfDelete);
    }
    let mut conn = ctx.db.acquire().await?;
    check_trashable(store::find(&mut conn, id).await?, id)?;
    drop(conn);
    // The role module is the authority on grants; the other admins are counted from the
    // projection of its events (`users.admin_holders`).
    let is_admin = holds_admin(ctx, id).await?;

    let mut tx = ctx.db.begin().await?;
    if is_admin {
        sqlx::query!("SELECT pg_advisory_xact_lock($1)", LAST_ADMIN_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    check_trashable(Some(store::lock(&mut tx, id).await?), id)?;
    if is_admin && other_active_admins(&mut tx, id).await? == 0 {
        return Err(UserError::LastAdmin(id.to_string()));
    }
    let trashed: UserRow = sqlx::query_as!(
        UserRow,
        "UPDATE users.users SET deleted_at = now(), updated_at = now() WHERE id = $1 RETURNING \
         id, email, first_name, last_name, email_verified, created_at, updated_at, deleted_at",
        id,
    )
    .fetch_one(&mut *tx)
    .await?;
    events::lifecycle_changed(&mut tx, &Actor::of(auth), id, LifecycleChange::Trashed).await?;
    tx.commit().await?;
    Ok(pb::DeleteUserResponse {
        user: Some(trashed.to_pb()),
    })
}

/// Takes a user out of the trash (see `UserService.RestoreUser`).
pub(crate) async fn restore_user(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreUserRequest,
) -> Result<pb::RestoreUserResponse, UserError> {
    let id = parse_id("user_id", &request.user_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    if current.deleted_at.is_none() {
        return Err(UserError::NotTrashed(id.to_string()));
    }
    let restored: UserRow = sqlx::query_as!(
        UserRow,
        "UPDATE users.users SET deleted_at = NULL, updated_at = now() WHERE id = $1 RETURNING \
         id, email, first_name, last_name, email_verified, created_at, updated_at, deleted_at",
        id,
    )
    .fetch_one(&mut *tx)
    .await?;
    events::lifecycle_changed(&mut tx, &Actor::of(auth), id, LifecycleChange::Restored).await?;
    tx.commit().await?;
    Ok(pb::RestoreUserResponse {
        user: Some(restored.to_pb()),
    })
}

/// Deletes a trashed user for good (see `UserService.PurgeUser`).
pub(crate) async fn purge_user(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeUserRequest,
) -> Result<pb::PurgeUserResponse, UserError> {
    let id = parse_id("user_id", &request.user_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    if current.deleted_at.is_none() {
        return Err(UserError::NotTrashed(id.to_string()));
    }
    purge(&mut tx, &[id]).await?;
    events::lifecycle_changed(&mut tx, &Actor::of(auth), id, LifecycleChange::Purged).await?;
    tx.commit().await?;
    Ok(pb::PurgeUserResponse {})
}

/// Restores every trashed user (see `UserService.RestoreTrashedUsers`).
pub(crate) async fn restore_trashed_users(
    ctx: &ModuleContext,
    auth: &AuthContext,
) -> Result<pb::RestoreTrashedUsersResponse, UserError> {
    let mut tx = ctx.db.begin().await?;
    let restored: Vec<Uuid> = sqlx::query_scalar!(
        "UPDATE users.users SET deleted_at = NULL, updated_at = now() \
         WHERE deleted_at IS NOT NULL RETURNING id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let actor = Actor::of(auth);
    for id in &restored {
        events::lifecycle_changed(&mut tx, &actor, *id, LifecycleChange::Restored).await?;
    }
    tx.commit().await?;
    Ok(pb::RestoreTrashedUsersResponse {
        affected_count: i64::try_from(restored.len()).unwrap_or(i64::MAX),
    })
}

/// Purges every trashed user (see `UserService.PurgeTrashedUsers`).
pub(crate) async fn purge_trashed_users(
    ctx: &ModuleContext,
    auth: &AuthContext,
) -> Result<pb::PurgeTrashedUsersResponse, UserError> {
    let mut tx = ctx.db.begin().await?;
    let trashed: Vec<Uuid> =
        sqlx::query_scalar!("SELECT id FROM users.users WHERE deleted_at IS NOT NULL FOR UPDATE")
            .fetch_all(&mut *tx)
            .await?;
    purge(&mut tx, &trashed).await?;
    let actor = Actor::of(auth);
    for id in &trashed {
        events::lifecycle_changed(&mut tx, &actor, *id, LifecycleChange::Purged).await?;
    }
    tx.commit().await?;
    Ok(pb::PurgeTrashedUsersResponse {
        affected_count: i64::try_from(trashed.len()).unwrap_or(i64::MAX),
    })
}

/// Refuses to trash a user that does not exist or is already trashed.
fn check_trashable(user: Option<UserRow>, id: Uuid) -> Result<(), UserError> {
    match user {
        None => Err(UserError::NotFound(id.to_string())),
        Some(user) if user.deleted_at.is_some() => Err(UserError::Trashed(id.to_string())),
        Some(_) => Ok(()),
    }
}

/// Whether `id` holds the active built-in `admin` role, according to the role module.
async fn holds_admin(ctx: &ModuleContext, id: Uuid) -> Result<bool, UserError> {
    let grants = ctx
        .clients
        .role()?
        .list_user_roles(ListUserRolesRequest {
            user_id: id.to_string(),
        })
        .await?
        .into_inner()
        .grants;
    Ok(grants.iter().any(|grant| {
        grant
            .role
            .as_ref()
            .is_some_and(|role| role.built_in && role.name == ADMIN_ROLE && role.delete_time.is_none())
    }))
}

/// Active (untrashed) users other than `id` that hold `admin`.
async fn other_active_admins(conn: &mut PgConnection, id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM users.admin_holders AS holder
           JOIN users.users AS account ON account.id = holder.user_id
           WHERE account.deleted_at IS NULL AND account.id <> $1"#,
        id,
    )
    .fetch_one(conn)
    .await
}

/// Deletes the users `ids` and what the module keeps about them.
async fn purge(conn: &mut PgConnection, ids: &[Uuid]) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM users.admin_holders WHERE user_id = ANY($1)", ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("DELETE FROM users.users WHERE id = ANY($1)", ids)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
