//! Which orders a caller may touch: the access layer checked the permission, these functions check
//! the row (merchant, cashier).

use uuid::Uuid;

use pos_platform::AuthContext;
use pos_platform::auth::MerchantScope;

use crate::error::OrderError;
use crate::store::OrderRow;

/// Reading orders.
pub(crate) const READ: &str = "order.read";
/// Creating, changing, cancelling and trashing orders.
pub(crate) const WRITE: &str = "order.write";
/// Refunding orders.
pub(crate) const REFUND: &str = "order.refund";

/// The caller's scope for `permission`, PERMISSION_DENIED when it has none.
pub(crate) fn scope(auth: &AuthContext, permission: &'static str) -> Result<MerchantScope, OrderError> {
    auth.merchant_scope(permission)
        .ok_or(OrderError::PermissionMissing(permission))
}

/// The merchant a scope is limited to (`None`: every merchant).
pub(crate) fn merchant_of(scope: MerchantScope) -> Option<Uuid> {
    match scope {
        MerchantScope::Platform => None,
        MerchantScope::Merchant(merchant_id) | MerchantScope::Cashier { merchant_id, .. } => {
            Some(merchant_id)
        }
    }
}

/// Whether `scope` reaches the orders of `merchant_id` (a cashier reaches its merchant's orders).
pub(crate) fn reaches(scope: MerchantScope, merchant_id: Uuid) -> bool {
    merchant_of(scope).is_none_or(|own| own == merchant_id)
}

/// Creating an order for `merchant_id` rung up by `cashier_id`: a cashier only as itself.
pub(crate) fn may_create(auth: &AuthContext, merchant_id: Uuid, cashier_id: Uuid) -> Result<(), OrderError> {
    let allowed = match scope(auth, WRITE)? {
        MerchantScope::Platform => true,
        MerchantScope::Merchant(own) => own == merchant_id,
        MerchantScope::Cashier {
            merchant_id: own,
            cashier_id: me,
        } => own == merchant_id && me == cashier_id,
    };
    if allowed {
        Ok(())
    } else {
        Err(OrderError::PermissionMissing(WRITE))
    }
}

/// `row` if the caller may read it; NOT_FOUND otherwise (its existence is not revealed).
pub(crate) fn readable(auth: &AuthContext, id: Uuid, row: Option<OrderRow>) -> Result<OrderRow, OrderError> {
    let scope = scope(auth, READ)?;
    match row {
        Some(row) if reaches(scope, row.merchant_id) => Ok(row),
        _ => Err(OrderError::NotFound(id.to_string())),
    }
}

/// `row` if the caller may change it with `permission` (cashiers allowed unless `owners_only`);
/// NOT_FOUND when it does not exist, PERMISSION_DENIED when it is another merchant's.
pub(crate) fn writable(
    auth: &AuthContext,
    permission: &'static str,
    owners_only: bool,
    id: Uuid,
    row: Option<OrderRow>,
) -> Result<OrderRow, OrderError> {
    let scope = scope(auth, permission)?;
    if owners_only && matches!(scope, MerchantScope::Cashier { .. }) {
        return Err(OrderError::PermissionMissing(permission));
    }
    let row = row.ok_or_else(|| OrderError::NotFound(id.to_string()))?;
    if reaches(scope, row.merchant_id) {
        Ok(row)
    } else {
        Err(OrderError::PermissionMissing(permission))
    }
}

/// The merchant filter of a bulk or list request: `requested` (empty: every merchant) checked
/// against the caller's scope; owners and cashiers must name their own merchant.
pub(crate) fn requested_merchant(
    scope: MerchantScope,
    permission: &'static str,
    requested: Option<Uuid>,
) -> Result<Option<Uuid>, OrderError> {
    match (merchant_of(scope), requested) {
        (None, requested) => Ok(requested),
        (Some(own), Some(requested)) if own == requested => Ok(Some(own)),
        _ => Err(OrderError::PermissionMissing(permission)),
    }
}

/// The idempotency principal of the caller: its user id, or its service name.
pub(crate) fn principal(auth: &AuthContext) -> String {
    match &auth.principal {
        pos_platform::auth::Principal::User { user_id, .. } => user_id.to_string(),
        pos_platform::auth::Principal::Service { name } => format!("service:{name}"),
    }
}
