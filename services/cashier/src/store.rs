//! The `cashiers.cashiers` table: the row type, its wire form, the queries more than one handler
//! uses, and which rows a caller may touch.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::cashier::v1 as pb;
use pos_platform::AuthContext;
use pos_platform::auth::MerchantScope;

use crate::error::CashierError;

/// Permission to read cashiers.
pub(crate) const READ: &str = "cashier.read";
/// Permission to change cashiers.
pub(crate) const WRITE: &str = "cashier.write";

/// One cashier as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CashierRow {
    pub(crate) id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) name: String,
    pub(crate) disabled_at: Option<DateTime<Utc>>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

impl CashierRow {
    /// The cashier as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::Cashier {
        pb::Cashier {
            id: self.id.to_string(),
            merchant_id: self.merchant_id.to_string(),
            user_id: self.user_id.to_string(),
            name: self.name.clone(),
            disabled: self.disabled_at.is_some(),
            disable_time: self.disabled_at.map(timestamp),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            delete_time: self.deleted_at.map(timestamp),
        }
    }
}

/// `time` as a protobuf timestamp.
pub(crate) fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or_default(),
    }
}

/// Parses the id in request field `field`.
pub(crate) fn parse_id(field: &str, value: &str) -> Result<Uuid, CashierError> {
    if value.is_empty() {
        return Err(CashierError::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| CashierError::invalid(field, "must be a UUID"))
}

/// Parses the optional id in request field `field` (empty: none).
pub(crate) fn parse_optional_id(field: &str, value: &str) -> Result<Option<Uuid>, CashierError> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse_id(field, value).map(Some)
    }
}

/// The cashier `id`, if it exists.
pub(crate) async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<CashierRow>, CashierError> {
    Ok(sqlx::query_as!(
        CashierRow,
        "SELECT id, merchant_id, user_id, name, disabled_at, created_at, updated_at, deleted_at \
         FROM cashiers.cashiers WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await?)
}

/// The cashier `id`, locked for the rest of the transaction.
pub(crate) async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<CashierRow>, CashierError> {
    Ok(sqlx::query_as!(
        CashierRow,
        "SELECT id, merchant_id, user_id, name, disabled_at, created_at, updated_at, deleted_at \
         FROM cashiers.cashiers WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await?)
}

/// The merchants whose cashiers `auth` may touch with `permission`: every merchant (`None`) or one.
/// Callers without the permission at merchant scope (cashiers) get PERMISSION_DENIED.
pub(crate) fn merchant_filter(
    auth: &AuthContext,
    permission: &'static str,
) -> Result<Option<Uuid>, CashierError> {
    match auth.merchant_scope(permission) {
        Some(MerchantScope::Platform) => Ok(None),
        Some(MerchantScope::Merchant(merchant_id)) => Ok(Some(merchant_id)),
        Some(MerchantScope::Cashier { .. }) | None => Err(CashierError::PermissionMissing(permission)),
    }
}

/// The merchant a collection request (`merchant_id`, empty for every merchant) is limited to,
/// once `auth` may touch it with `permission`: an empty `merchant_id` needs the platform scope,
/// an owner names its own merchant.
pub(crate) fn requested_merchant(
    auth: &AuthContext,
    permission: &'static str,
    requested: &str,
) -> Result<Option<Uuid>, CashierError> {
    let requested = parse_optional_id("merchant_id", requested)?;
    match (merchant_filter(auth, permission)?, requested) {
        (None, requested) => Ok(requested),
        (Some(own), Some(wanted)) if own == wanted => Ok(Some(own)),
        _ => Err(CashierError::PermissionMissing(permission)),
    }
}

/// Refuses a caller that may not touch `merchant_id`'s cashiers with `permission`.
pub(crate) fn check_merchant(
    auth: &AuthContext,
    permission: &'static str,
    merchant_id: Uuid,
) -> Result<(), CashierError> {
    match merchant_filter(auth, permission)? {
        Some(own) if own != merchant_id => Err(CashierError::PermissionMissing(permission)),
        _ => Ok(()),
    }
}

/// Whether `auth` may see `cashier` with `permission` (a cashier may read its own record).
fn may_touch(auth: &AuthContext, permission: &'static str, cashier: &CashierRow) -> bool {
    match auth.merchant_scope(permission) {
        Some(MerchantScope::Platform) => true,
        Some(MerchantScope::Merchant(merchant_id)) => cashier.merchant_id == merchant_id,
        Some(MerchantScope::Cashier { cashier_id, .. }) => permission == READ && cashier.id == cashier_id,
        None => false,
    }
}

/// `found` when `auth` may touch it with `permission`; NOT_FOUND for platform callers asking for a
/// missing id, PERMISSION_DENIED for everyone else outside their scope (missing ids included).
pub(crate) fn visible(
    auth: &AuthContext,
    permission: &'static str,
    id: Uuid,
    found: Option<CashierRow>,
) -> Result<CashierRow, CashierError> {
    match found {
        Some(cashier) if may_touch(auth, permission, &cashier) => Ok(cashier),
        None if matches!(auth.merchant_scope(permission), Some(MerchantScope::Platform)) => {
            Err(CashierError::NotFound(id.to_string()))
        }
        _ => Err(CashierError::PermissionMissing(permission)),
    }
}

/// Maps a write's unique violation on the user key to USER_ALREADY_CASHIER.
pub(crate) fn write_error(error: sqlx::Error, user_id: Uuid) -> CashierError {
    if pos_platform::db::unique_violation(&error) == Some("cashiers_user_key") {
        CashierError::UserAlreadyCashier(user_id.to_string())
    } else {
        error.into()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use pos_platform::auth::Principal;

    use super::*;

    fn row(merchant_id: Uuid) -> CashierRow {
        let now = Utc::now();
        CashierRow {
            id: Uuid::now_v7(),
            merchant_id,
            user_id: Uuid::now_v7(),
            name: "Ana".into(),
            disabled_at: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }

    fn user(
        permissions: &[&str],
        merchant_permissions: &[&str],
        merchant_id: Option<Uuid>,
        cashier_id: Option<Uuid>,
    ) -> AuthContext {
        let set = |names: &[&str]| {
            names
                .iter()
                .map(|name| (*name).to_owned())
                .collect::<BTreeSet<_>>()
        };
        AuthContext {
            principal: Principal::User {
                user_id: Uuid::now_v7(),
                session_id: Uuid::now_v7(),
            },
            roles: BTreeSet::new(),
            permissions: set(permissions),
            platform_permissions: BTreeSet::new(),
            merchant_permissions: set(merchant_permissions),
            merchant_id,
            cashier_id,
        }
    }

    #[test]
    fn an_owner_sees_its_merchants_cashiers_only() {
        let merchant = Uuid::now_v7();
        let owner = user(&[READ], &[READ], Some(merchant), None);
        let own = row(merchant);
        assert!(visible(&owner, READ, own.id, Some(own.clone())).is_ok());
        let other = row(Uuid::now_v7());
        assert!(matches!(
            visible(&owner, READ, other.id, Some(other.clone())),
            Err(CashierError::PermissionMissing(_))
        ));
        assert!(matches!(
            visible(&owner, READ, other.id, None),
            Err(CashierError::PermissionMissing(_))
        ));
    }

    #[test]
    fn a_cashier_reads_itself_and_nothing_else() {
        let merchant = Uuid::now_v7();
        let me = row(merchant);
        let cashier = user(&[READ], &[], Some(merchant), Some(me.id));
        assert!(visible(&cashier, READ, me.id, Some(me.clone())).is_ok());
        let colleague = row(merchant);
        assert!(visible(&cashier, READ, colleague.id, Some(colleague.clone())).is_err());
        assert!(merchant_filter(&cashier, READ).is_err());
    }

    #[test]
    fn platform_callers_learn_that_an_id_does_not_exist() {
        let service = AuthContext::service("pos");
        assert!(matches!(
            visible(&service, WRITE, Uuid::now_v7(), None),
            Err(CashierError::NotFound(_))
        ));
        assert_eq!(merchant_filter(&service, WRITE).unwrap(), None);
    }
}
