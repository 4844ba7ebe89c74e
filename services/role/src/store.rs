//! The `roles.roles` and `roles.grants` tables: row types, their wire form and the queries more
//! than one handler uses.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::role::v1 as pb;

use crate::catalogue::{self, ADMIN_ROLE_ID};
use crate::error::RoleError;
use pos_platform::db::unique_violation;

/// Name of the unique index on role names.
const NAME_KEY: &str = "roles_name_key";

/// One role as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RoleRow {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) permissions: Vec<String>,
    pub(crate) built_in: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

impl RoleRow {
    /// The role's permissions: the whole catalogue for `admin`, the stored set otherwise.
    pub(crate) fn effective_permissions(&self) -> Vec<String> {
        if self.id == ADMIN_ROLE_ID {
            catalogue::all_permissions()
        } else {
            self.permissions.clone()
        }
    }

    /// The role as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::Role {
        pb::Role {
            id: self.id.to_string(),
            name: self.name.clone(),
            description: self.description.clone(),
            permissions: self.effective_permissions(),
            built_in: self.built_in,
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            delete_time: self.deleted_at.map(timestamp),
        }
    }
}

/// A grant joined with its role.
#[derive(Clone, Debug)]
pub(crate) struct GrantRow {
    pub(crate) user_id: Uuid,
    pub(crate) merchant_id: Option<Uuid>,
    pub(crate) cashier_id: Option<Uuid>,
    pub(crate) granted_by_user_id: Option<Uuid>,
    pub(crate) granted_at: DateTime<Utc>,
    pub(crate) role: RoleRow,
}

impl GrantRow {
    /// The grant as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::RoleGrant {
        pb::RoleGrant {
            user_id: self.user_id.to_string(),
            role: Some(self.role.to_pb()),
            merchant_id: self.merchant_id.map(|id| id.to_string()).unwrap_or_default(),
            cashier_id: self.cashier_id.map(|id| id.to_string()).unwrap_or_default(),
            create_time: Some(timestamp(self.granted_at)),
            granted_by_user_id: self
                .granted_by_user_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        }
    }
}

/// Every grant of a user, and what they add up to.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct UserGrants {
    /// The grants, by role name.
    pub(crate) grants: Vec<pb::RoleGrant>,
    /// Union of the permissions of the granted active roles, sorted.
    pub(crate) permissions: Vec<String>,
    /// The merchant the user acts for through an active role.
    pub(crate) merchant_id: Option<Uuid>,
    /// The cashier the user acts as through an active role.
    pub(crate) cashier_id: Option<Uuid>,
}

impl UserGrants {
    /// What `rows` (one user's grants) add up to; trashed roles confer nothing.
    pub(crate) fn from_rows(rows: &[GrantRow]) -> Self {
        let mut permissions = BTreeSet::new();
        let mut merchant_id = None;
        let mut cashier_id = None;
        for row in rows.iter().filter(|row| row.role.deleted_at.is_none()) {
            permissions.extend(row.role.effective_permissions());
            merchant_id = merchant_id.or(row.merchant_id);
            cashier_id = cashier_id.or(row.cashier_id);
        }
        UserGrants {
            grants: rows.iter().map(GrantRow::to_pb).collect(),
            permissions: permissions.into_iter().collect(),
            merchant_id,
            cashier_id,
        }
    }
}

/// A protobuf timestamp of `time`.
pub(crate) fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// Parses the required id in request field `field`.
pub(crate) fn parse_id(field: &str, value: &str) -> Result<Uuid, RoleError> {
    if value.is_empty() {
        return Err(RoleError::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| RoleError::invalid(field, "must be a UUID"))
}

/// Parses the optional id in request field `field` (empty: none).
pub(crate) fn parse_optional_id(field: &str, value: &str) -> Result<Option<Uuid>, RoleError> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse_id(field, value).map(Some)
    }
}

/// The role with `id`, trashed or not.
pub(crate) async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<RoleRow>, sqlx::Error> {
    sqlx::query_as!(
        RoleRow,
        "SELECT id, name, description, permissions, built_in, created_at, updated_at, deleted_at \
         FROM roles.roles WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// The role with `id`, locked for update until the transaction ends; `NOT_FOUND` when there is
/// none.
pub(crate) async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<RoleRow, RoleError> {
    sqlx::query_as!(
        RoleRow,
        "SELECT id, name, description, permissions, built_in, created_at, updated_at, deleted_at \
         FROM roles.roles WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| RoleError::RoleNotFound(id.to_string()))
}

/// Whether a role other than `except` is named `name`, trashed ones included.
pub(crate) async fn name_taken(
    conn: &mut PgConnection,
    name: &str,
    except: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM roles.roles WHERE name = $1 AND id IS DISTINCT FROM $2) AS "taken!""#,
        name,
        except,
    )
    .fetch_one(conn)
    .await
}

/// Maps a write's error: a duplicate name (a concurrent writer won the race) is
/// `ROLE_NAME_TAKEN`.
pub(crate) fn write_error(error: sqlx::Error, name: &str) -> RoleError {
    if unique_violation(&error) == Some(NAME_KEY) {
        RoleError::NameTaken(name.to_owned())
    } else {
        RoleError::Database(error)
    }
}

/// Every grant of `user_id` with its role, by role name: one query on the grants' primary key.
pub(crate) async fn user_grants(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Vec<GrantRow>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT g.user_id, g.merchant_id, g.cashier_id, g.granted_by_user_id, \
                g.created_at AS granted_at, r.id, r.name, r.description, r.permissions, \
                r.built_in, r.created_at, r.updated_at, r.deleted_at \
         FROM roles.grants AS g JOIN roles.roles AS r ON r.id = g.role_id \
         WHERE g.user_id = $1 ORDER BY r.name",
        user_id,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| GrantRow {
            user_id: row.user_id,
            merchant_id: row.merchant_id,
            cashier_id: row.cashier_id,
            granted_by_user_id: row.granted_by_user_id,
            granted_at: row.granted_at,
            role: RoleRow {
                id: row.id,
                name: row.name,
                description: row.description,
                permissions: row.permissions,
                built_in: row.built_in,
                created_at: row.created_at,
                updated_at: row.updated_at,
                deleted_at: row.deleted_at,
            },
        })
        .collect())
}

/// Serialises changes to one user's grants until the transaction ends, so that concurrent
/// grants cannot bind the user to two merchants and each `UserRolesChanged` sees the previous
/// change.
pub(crate) async fn lock_user_grants(conn: &mut PgConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('roles.grants:' || $1::uuid::text, 0))",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::MERCHANT_ROLE_ID;

    fn role(id: Uuid, name: &str, permissions: &[&str], trashed: bool) -> RoleRow {
        let now = Utc::now();
        RoleRow {
            id,
            name: name.into(),
            description: String::new(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            built_in: false,
            created_at: now,
            updated_at: now,
            deleted_at: trashed.then_some(now),
        }
    }

    fn grant(role: RoleRow, merchant: Option<Uuid>, cashier: Option<Uuid>) -> GrantRow {
        GrantRow {
            user_id: Uuid::nil(),
            merchant_id: merchant,
            cashier_id: cashier,
            granted_by_user_id: None,
            granted_at: Utc::now(),
            role,
        }
    }

    #[test]
    fn admin_always_holds_the_whole_catalogue() {
        let admin = role(ADMIN_ROLE_ID, "admin", &[], false);
        assert_eq!(admin.to_pb().permissions, catalogue::all_permissions());
    }

    #[test]
    fn effective_permissions_are_the_union_of_active_roles_only() {
        let merchant = Uuid::now_v7();
        let rows = vec![
            grant(
                role(Uuid::now_v7(), "auditor", &["report.read"], true),
                None,
                None,
            ),
            grant(
                role(
                    MERCHANT_ROLE_ID,
                    "merchant",
                    &["order.read", "product.read"],
                    false,
                ),
                Some(merchant),
                None,
            ),
            grant(
                role(Uuid::now_v7(), "stock", &["product.read", "product.stock"], false),
                None,
                None,
            ),
        ];
        let grants = UserGrants::from_rows(&rows);
        assert_eq!(grants.grants.len(), 3);
        assert_eq!(
            grants.permissions,
            ["order.read", "product.read", "product.stock"]
        );
        assert_eq!(grants.merchant_id, Some(merchant));
        assert_eq!(grants.cashier_id, None);
        assert_eq!(grants.grants[1].merchant_id, merchant.to_string());
    }
}
