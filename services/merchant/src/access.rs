//! Which merchants a caller may act on. The access layer already checked the RPC's permission at
//! its scope; here the row is checked: platform callers act on any merchant, a merchant-bound or
//! cashier-bound grant on its own merchant only, and the owner (`owner_user_id`) on its merchant
//! even before it holds the `merchant` role. A caller outside the scope gets PERMISSION_DENIED,
//! also for ids that do not exist (only platform callers learn NOT_FOUND).

use uuid::Uuid;

use pos_platform::AuthContext;
use pos_platform::auth::MerchantScope;

use crate::error::MerchantError;

/// Whether any of `permissions` is granted platform-wide to the caller.
pub(crate) fn is_platform(auth: &AuthContext, permissions: &[&str]) -> bool {
    permissions
        .iter()
        .any(|permission| auth.has_platform_permission(permission))
}

/// Whether the caller may use one of `permissions` on merchant `merchant_id` owned by `owner`.
pub(crate) fn may(auth: &AuthContext, permissions: &[&str], merchant_id: Uuid, owner: Uuid) -> bool {
    auth.is_user(owner)
        || permissions
            .iter()
            .any(|permission| match auth.merchant_scope(permission) {
                Some(MerchantScope::Platform) => true,
                Some(MerchantScope::Merchant(id) | MerchantScope::Cashier { merchant_id: id, .. }) => {
                    id == merchant_id
                }
                None => false,
            })
}

/// Checks the caller against a merchant looked up by id (`None`: it does not exist).
pub(crate) fn check(
    auth: &AuthContext,
    permissions: &[&'static str],
    merchant_id: Uuid,
    owner: Option<Uuid>,
) -> Result<(), MerchantError> {
    match owner {
        Some(owner) if may(auth, permissions, merchant_id, owner) => Ok(()),
        None if is_platform(auth, permissions) => Err(MerchantError::NotFound(merchant_id.to_string())),
        _ => Err(MerchantError::PermissionMissing(permissions[0])),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use pos_platform::auth::Principal;

    use super::*;

    fn user(
        merchant: Option<Uuid>,
        merchant_permissions: &[&str],
        permissions: &[&str],
        cashier: Option<Uuid>,
    ) -> AuthContext {
        AuthContext {
            principal: Principal::User {
                user_id: Uuid::now_v7(),
                session_id: Uuid::now_v7(),
            },
            roles: BTreeSet::new(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            platform_permissions: BTreeSet::new(),
            merchant_permissions: merchant_permissions.iter().map(|p| (*p).to_owned()).collect(),
            merchant_id: merchant,
            cashier_id: cashier,
        }
    }

    #[test]
    fn an_owner_acts_on_its_merchant_only() {
        let merchant = Uuid::now_v7();
        let owner = user(Some(merchant), &["merchant.write"], &["merchant.write"], None);
        assert!(may(&owner, &["merchant.write"], merchant, Uuid::now_v7()));
        assert!(!may(&owner, &["merchant.write"], Uuid::now_v7(), Uuid::now_v7()));
    }

    #[test]
    fn a_cashier_reads_its_merchant_but_cannot_write_it() {
        let merchant = Uuid::now_v7();
        let cashier = user(Some(merchant), &[], &["merchant.read"], Some(Uuid::now_v7()));
        assert!(may(&cashier, &["merchant.read"], merchant, Uuid::now_v7()));
        assert!(!may(&cashier, &["merchant.write"], merchant, Uuid::now_v7()));
    }

    #[test]
    fn only_platform_callers_learn_that_an_id_does_not_exist() {
        let id = Uuid::now_v7();
        let service = AuthContext::service("pos");
        assert!(matches!(
            check(&service, &["merchant.read"], id, None),
            Err(MerchantError::NotFound(_))
        ));
        let stranger = user(None, &[], &[], None);
        assert!(matches!(
            check(&stranger, &["merchant.read"], id, None),
            Err(MerchantError::PermissionMissing(_))
        ));
    }
}
