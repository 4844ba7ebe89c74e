//! Who may touch which merchant's stock.

use pos_platform::AuthContext;
use pos_platform::auth::{MerchantScope, Principal};

use crate::access::{READ, Reach};
use crate::error::ProductError;

/// Permission to adjust and reserve stock.
pub(crate) const STOCK: &str = "product.stock";

/// Whom `auth` may act on with `permission`, owners and admins only: a cashier's scope is refused
/// (stock movements and reservations are not a cashier's business).
fn owner_or_platform(auth: &AuthContext, permission: &'static str) -> Result<Reach, ProductError> {
    match auth.merchant_scope(permission) {
        Some(MerchantScope::Platform) => Ok(Reach::Platform),
        Some(MerchantScope::Merchant(merchant_id)) => Ok(Reach::Merchant(merchant_id)),
        Some(MerchantScope::Cashier { .. }) | None => Err(ProductError::PermissionMissing(permission)),
    }
}

/// Whose stock `auth` may adjust: platform, or its merchant as owner.
pub(crate) fn stock_reach(auth: &AuthContext) -> Result<Reach, ProductError> {
    owner_or_platform(auth, STOCK)
}

/// Whose ledger and reservations `auth` may read: platform, or its merchant as owner.
pub(crate) fn ledger_reach(auth: &AuthContext) -> Result<Reach, ProductError> {
    owner_or_platform(auth, READ)
}

/// Who sent the request, for idempotency keys: the user id, or `service:<name>`.
pub(crate) fn principal(auth: &AuthContext) -> String {
    match &auth.principal {
        Principal::User { user_id, .. } => user_id.to_string(),
        Principal::Service { name } => format!("service:{name}"),
    }
}
