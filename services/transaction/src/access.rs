//! Which transactions a caller may touch: admins every merchant's, merchant owners their
//! merchant's, cashiers those of their merchant's orders (reads and voids only).

use uuid::Uuid;

use pos_platform::AuthContext;
use pos_platform::auth::MerchantScope;

use crate::error::TransactionError;
use crate::store::TransactionRow;

/// The reach of a caller for one permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Every merchant.
    Platform,
    /// One merchant, as its owner.
    Owner(Uuid),
    /// One merchant, as one of its cashiers.
    Cashier {
        /// The cashier's merchant.
        merchant_id: Uuid,
        /// The cashier.
        cashier_id: Uuid,
    },
}

impl Reach {
    /// The caller's reach with `permission`; PERMISSION_DENIED without it.
    pub(crate) fn of(auth: &AuthContext, permission: &'static str) -> Result<Self, TransactionError> {
        match auth.merchant_scope(permission) {
            Some(MerchantScope::Platform) => Ok(Reach::Platform),
            Some(MerchantScope::Merchant(merchant_id)) => Ok(Reach::Owner(merchant_id)),
            Some(MerchantScope::Cashier {
                merchant_id,
                cashier_id,
            }) => Ok(Reach::Cashier {
                merchant_id,
                cashier_id,
            }),
            None => Err(TransactionError::PermissionMissing(permission)),
        }
    }

    /// The caller's reach at merchant scope or wider; cashiers get PERMISSION_DENIED.
    pub(crate) fn owner_or_admin(
        auth: &AuthContext,
        permission: &'static str,
    ) -> Result<Self, TransactionError> {
        match Reach::of(auth, permission)? {
            Reach::Cashier { .. } => Err(TransactionError::PermissionMissing(permission)),
            reach => Ok(reach),
        }
    }

    /// The one merchant the caller is limited to (`None`: every merchant).
    pub(crate) fn merchant(self) -> Option<Uuid> {
        match self {
            Reach::Platform => None,
            Reach::Owner(merchant_id) | Reach::Cashier { merchant_id, .. } => Some(merchant_id),
        }
    }

    /// Whether the caller may see or act on `transaction`.
    pub(crate) fn covers(self, transaction: &TransactionRow) -> bool {
        self.merchant()
            .is_none_or(|merchant_id| merchant_id == transaction.merchant_id)
    }

    /// `found` when within reach; NOT_FOUND / TRANSACTION_NOT_FOUND otherwise (missing or not).
    pub(crate) fn visible(
        self,
        id: Uuid,
        found: Option<TransactionRow>,
    ) -> Result<TransactionRow, TransactionError> {
        match found {
            Some(transaction) if self.covers(&transaction) => Ok(transaction),
            _ => Err(TransactionError::NotFound(id.to_string())),
        }
    }

    /// The merchant a collection request (`merchant_id`, empty: every merchant in reach) is
    /// limited to; PERMISSION_DENIED / TRANSACTION_SCOPE_DENIED outside the caller's merchant.
    pub(crate) fn requested_merchant(
        self,
        requested: Option<Uuid>,
    ) -> Result<Option<Uuid>, TransactionError> {
        match (self.merchant(), requested) {
            (None, requested) => Ok(requested),
            (Some(own), None) => Ok(Some(own)),
            (Some(own), Some(wanted)) if own == wanted => Ok(Some(own)),
            _ => Err(TransactionError::ScopeDenied(
                "merchant_id is outside the caller's merchant",
            )),
        }
    }
}
