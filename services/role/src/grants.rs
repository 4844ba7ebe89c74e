//! ListUserRoles, GrantRole and RevokeRole.
//!
//! ListUserRoles is on the path of every authenticated request (the access layer resolves the
//! caller's permissions with it), so it is one query on the grants' primary key.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::role::v1 as pb;
use pos_api::pos::user::v1::GetUserRequest;
use pos_platform::{AuthContext, ModuleContext};

use crate::catalogue::{ADMIN_ROLE_ID, BuiltInScope, built_in_scope};
use crate::error::RoleError;
use crate::events::{self, Actor};
use crate::store::{self, RoleRow, UserGrants, parse_id, parse_optional_id};

/// Advisory lock serialising revocations of `admin`, so two admins revoking each other at the
/// same time cannot both succeed ("roleadmn").
const LAST_ADMIN_LOCK: i64 = 0x726f_6c65_6164_6d6e;

/// Lists a user's grants and effective permissions (see `RoleService.ListUserRoles`).
///
/// A user without grants is looked up in the user module (`USER_NOT_FOUND` when unknown), except
/// for calls from services (the access layer asks for every signed-in user on its hot path) and
/// for the caller itself, who exists.
pub(crate) async fn list_user_roles(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::ListUserRolesRequest,
) -> Result<pb::ListUserRolesResponse, RoleError> {
    let user_id = parse_id("user_id", &request.user_id)?;
    if !(auth.is_user(user_id) || auth.has_platform_permission("role.read")) {
        return Err(RoleError::PermissionMissing("role.read"));
    }
    let mut conn = ctx.db.acquire().await?;
    let rows = store::user_grants(&mut conn, user_id).await?;
    drop(conn);
    if rows.is_empty() && !auth.is_service() && !auth.is_user(user_id) {
        find_user(ctx, user_id).await?;
    }
    let grants = UserGrants::from_rows(&rows);
    Ok(pb::ListUserRolesResponse {
        grants: grants.grants,
        permissions: grants.permissions,
    })
}

/// The scope of a grant request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Scope {
    merchant_id: Option<Uuid>,
    cashier_id: Option<Uuid>,
}

/// Grants a role to a user (see `RoleService.GrantRole`).
pub(crate) async fn grant_role(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::GrantRoleRequest,
) -> Result<pb::GrantRoleResponse, RoleError> {
    let user_id = parse_id("user_id", &request.user_id)?;
    let role_id = parse_id("role_id", &request.role_id)?;
    let scope = Scope {
        merchant_id: parse_optional_id("merchant_id", &request.merchant_id)?,
        cashier_id: parse_optional_id("cashier_id", &request.cashier_id)?,
    };
    check_scope(role_id, scope)?;
    match find_user(ctx, user_id).await {
        Ok(user) if user.delete_time.is_some() => return Err(RoleError::UserTrashed(user_id.to_string())),
        Ok(_) => {}
        // A module granting on an event it received (the merchant module on `UserRegistered`) may
        // be ahead of the user module's projection of the same event: it vouches for the user.
        Err(RoleError::UserNotFound(_)) if auth.is_service() => {}
        Err(error) => return Err(error),
    }

    let mut tx = ctx.db.begin().await?;
    // The role first (shared: it may not be trashed or purged meanwhile), then the user's grants.
    let role = sqlx::query_as!(
        RoleRow,
        "SELECT id, name, description, permissions, built_in, created_at, updated_at, deleted_at \
         FROM roles.roles WHERE id = $1 FOR SHARE",
        role_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| RoleError::RoleNotFound(role_id.to_string()))?;
    if role.deleted_at.is_some() {
        return Err(RoleError::RoleTrashed(role_id.to_string()));
    }
    store::lock_user_grants(&mut tx, user_id).await?;
    let existing = store::user_grants(&mut tx, user_id).await?;
    if let Some(held) = existing.iter().find(|grant| grant.role.id == role_id) {
        if held.merchant_id == scope.merchant_id && held.cashier_id == scope.cashier_id {
            return Ok(pb::GrantRoleResponse {
                grant: Some(held.to_pb()),
            });
        }
        return Err(RoleError::RoleAlreadyGranted(role.name));
    }
    let conflict = existing.iter().any(|grant| {
        let other_merchant = matches!(
            (grant.merchant_id, scope.merchant_id),
            (Some(held), Some(wanted)) if held != wanted
        );
        let other_cashier = matches!(
            (grant.cashier_id, scope.cashier_id),
            (Some(held), Some(wanted)) if held != wanted
        );
        other_merchant || other_cashier
    });
    if conflict {
        return Err(RoleError::MerchantScopeConflict);
    }
    sqlx::query!(
        "INSERT INTO roles.grants (user_id, role_id, merchant_id, cashier_id, granted_by_user_id) \
         VALUES ($1, $2, $3, $4, $5)",
        user_id,
        role_id,
        scope.merchant_id,
        scope.cashier_id,
        auth.user_id(),
    )
    .execute(&mut *tx)
    .await?;
    events::user_roles_changed(&mut tx, &Actor::of(auth), user_id).await?;
    let granted = store::user_grants(&mut tx, user_id)
        .await?
        .into_iter()
        .find(|grant| grant.role.id == role_id)
        .ok_or_else(|| anyhow::anyhow!("a grant just inserted is missing"))?;
    tx.commit().await?;
    Ok(pb::GrantRoleResponse {
        grant: Some(granted.to_pb()),
    })
}

/// Revokes a role from a user (see `RoleService.RevokeRole`).
pub(crate) async fn revoke_role(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RevokeRoleRequest,
) -> Result<pb::RevokeRoleResponse, RoleError> {
    let user_id = parse_id("user_id", &request.user_id)?;
    let role_id = parse_id("role_id", &request.role_id)?;
    let mut tx = ctx.db.begin().await?;
    if role_id == ADMIN_ROLE_ID {
        sqlx::query!("SELECT pg_advisory_xact_lock($1)", LAST_ADMIN_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    store::lock_user_grants(&mut tx, user_id).await?;
    let held: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM roles.grants WHERE user_id = $1 AND role_id = $2) AS "held!""#,
        user_id,
        role_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    if !held {
        return Err(RoleError::RoleNotGranted(role_id.to_string()));
    }
    if role_id == ADMIN_ROLE_ID && is_last_active_admin(&mut tx, user_id).await? {
        return Err(RoleError::LastAdmin);
    }
    sqlx::query!(
        "DELETE FROM roles.grants WHERE user_id = $1 AND role_id = $2",
        user_id,
        role_id,
    )
    .execute(&mut *tx)
    .await?;
    events::user_roles_changed(&mut tx, &Actor::of(auth), user_id).await?;
    tx.commit().await?;
    Ok(pb::RevokeRoleResponse {})
}

/// Refuses scopes the role does not take.
fn check_scope(role_id: Uuid, scope: Scope) -> Result<(), RoleError> {
    match (built_in_scope(role_id), scope.merchant_id, scope.cashier_id) {
        (_, None, Some(_)) => Err(RoleError::ScopeRequired(
            "a grant limited to a cashier needs the cashier's merchant_id",
        )),
        (Some(BuiltInScope::Platform), Some(_), _) => Err(RoleError::ScopeNotAllowed(
            "admin is granted platform-wide, without merchant_id or cashier_id",
        )),
        (Some(BuiltInScope::Merchant), None, _) => Err(RoleError::ScopeRequired(
            "merchant is granted for one merchant: merchant_id is required",
        )),
        (Some(BuiltInScope::Merchant), Some(_), Some(_)) => Err(RoleError::ScopeNotAllowed(
            "merchant is granted for a whole merchant, without cashier_id",
        )),
        (Some(BuiltInScope::Cashier), None, _) | (Some(BuiltInScope::Cashier), Some(_), None) => {
            Err(RoleError::ScopeRequired(
                "cashier is granted for one cashier: merchant_id and cashier_id are required",
            ))
        }
        _ => Ok(()),
    }
}

/// Whether `user_id` is an active (untrashed) holder of `admin` and no other active user holds
/// it. Trashed users come from the projection of the user module's events.
async fn is_last_active_admin(conn: &mut PgConnection, user_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT NOT EXISTS (SELECT 1 FROM roles.trashed_users WHERE user_id = $1)
            AND NOT EXISTS (SELECT 1 FROM roles.grants AS g WHERE g.role_id = $2 AND g.user_id <> $1
                            AND NOT EXISTS (SELECT 1 FROM roles.trashed_users AS t WHERE t.user_id = g.user_id))
            AS "last!""#,
        user_id,
        ADMIN_ROLE_ID,
    )
    .fetch_one(conn)
    .await
}

/// The user `user_id`, from the user module (trashed users too); `USER_NOT_FOUND` when unknown.
async fn find_user(ctx: &ModuleContext, user_id: Uuid) -> Result<pos_api::pos::user::v1::User, RoleError> {
    let response = ctx
        .clients
        .user()?
        .get_user(GetUserRequest {
            user_id: user_id.to_string(),
        })
        .await;
    match response {
        Ok(response) => response
            .into_inner()
            .user
            .ok_or_else(|| anyhow::anyhow!("GetUser answered without a user").into()),
        Err(status) if status.code() == tonic::Code::NotFound => {
            Err(RoleError::UserNotFound(user_id.to_string()))
        }
        Err(status) => Err(status.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{CASHIER_ROLE_ID, MERCHANT_ROLE_ID};

    fn scope(merchant: bool, cashier: bool) -> Scope {
        Scope {
            merchant_id: merchant.then(Uuid::now_v7),
            cashier_id: cashier.then(Uuid::now_v7),
        }
    }

    fn reason(result: &Result<(), RoleError>) -> &'static str {
        match result {
            Ok(()) => "OK",
            Err(RoleError::ScopeRequired(_)) => "SCOPE_REQUIRED",
            Err(RoleError::ScopeNotAllowed(_)) => "SCOPE_NOT_ALLOWED",
            Err(_) => "OTHER",
        }
    }

    #[test]
    fn built_in_roles_take_exactly_their_scope() {
        let custom = Uuid::now_v7();
        let cases = [
            (ADMIN_ROLE_ID, scope(false, false), "OK"),
            (ADMIN_ROLE_ID, scope(true, false), "SCOPE_NOT_ALLOWED"),
            (MERCHANT_ROLE_ID, scope(true, false), "OK"),
            (MERCHANT_ROLE_ID, scope(false, false), "SCOPE_REQUIRED"),
            (MERCHANT_ROLE_ID, scope(true, true), "SCOPE_NOT_ALLOWED"),
            (CASHIER_ROLE_ID, scope(true, true), "OK"),
            (CASHIER_ROLE_ID, scope(true, false), "SCOPE_REQUIRED"),
            (CASHIER_ROLE_ID, scope(false, false), "SCOPE_REQUIRED"),
            (custom, scope(false, false), "OK"),
            (custom, scope(true, false), "OK"),
            (custom, scope(true, true), "OK"),
            (custom, scope(false, true), "SCOPE_REQUIRED"),
        ];
        for (role, scope, expected) in cases {
            assert_eq!(reason(&check_scope(role, scope)), expected, "{role} {scope:?}");
        }
    }

    async fn grant_admin(pool: &sqlx::PgPool, user_id: Uuid) {
        sqlx::query!(
            "INSERT INTO roles.grants (user_id, role_id) VALUES ($1, $2)",
            user_id,
            ADMIN_ROLE_ID,
        )
        .execute(pool)
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_trashed_admin_does_not_count_as_another_active_admin() {
        let db = pos_platform::testkit::TestDatabase::migrated().await.unwrap();
        let (active, trashed) = (Uuid::now_v7(), Uuid::now_v7());
        grant_admin(&db.pool, active).await;
        grant_admin(&db.pool, trashed).await;
        let mut conn = db.pool.acquire().await.unwrap();
        assert!(!is_last_active_admin(&mut conn, active).await.unwrap());

        sqlx::query!("INSERT INTO roles.trashed_users (user_id) VALUES ($1)", trashed)
            .execute(&mut *conn)
            .await
            .unwrap();

        assert!(is_last_active_admin(&mut conn, active).await.unwrap());
        assert!(
            !is_last_active_admin(&mut conn, trashed).await.unwrap(),
            "a trashed admin may lose admin"
        );
        drop(conn);
        db.drop_database().await.unwrap();
    }
}
