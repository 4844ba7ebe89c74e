//! Which carts a caller may touch. The access layer already checked that it holds the RPC's
//! permission at some scope; here the scope meets the cart's merchant and cashier.

use uuid::Uuid;

use pos_platform::AuthContext;
use pos_platform::auth::MerchantScope;

use crate::error::OrderError;

/// Permission of the changing RPCs.
pub(crate) const WRITE: &str = "order.write";
/// Permission of GetCart.
pub(crate) const READ: &str = "order.read";

/// Refuses a caller that may not use `permission` on the carts of `merchant_id`: admins may on
/// every merchant's, owners on their merchant's, cashiers on their merchant's (any cashier's).
pub(crate) fn require_merchant(
    auth: &AuthContext,
    permission: &'static str,
    merchant_id: Uuid,
) -> Result<(), OrderError> {
    let allowed = match auth.merchant_scope(permission) {
        Some(MerchantScope::Platform) => true,
        Some(MerchantScope::Merchant(own) | MerchantScope::Cashier { merchant_id: own, .. }) => {
            own == merchant_id
        }
        None => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(OrderError::PermissionMissing(permission))
    }
}

/// Refuses a caller that may not open a cart for `merchant_id` and `cashier_id`: a cashier only
/// as itself for its merchant, an owner for its merchant, an admin for any.
pub(crate) fn require_opener(
    auth: &AuthContext,
    merchant_id: Uuid,
    cashier_id: Uuid,
) -> Result<(), OrderError> {
    let allowed = match auth.merchant_scope(WRITE) {
        Some(MerchantScope::Platform) => true,
        Some(MerchantScope::Merchant(own)) => own == merchant_id,
        Some(MerchantScope::Cashier {
            merchant_id: own,
            cashier_id: me,
        }) => own == merchant_id && me == cashier_id,
        None => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(OrderError::PermissionMissing(WRITE))
    }
}
