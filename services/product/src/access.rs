//! Which merchants' products a caller may read or write (the access layer already checked that
//! it holds the permission at some scope; these check the rows).

use uuid::Uuid;

use pos_platform::AuthContext;
use pos_platform::auth::MerchantScope;

use crate::error::ProductError;

/// Permission to read products.
pub(crate) const READ: &str = "product.read";
/// Permission to change products.
pub(crate) const WRITE: &str = "product.write";

/// The merchants whose products the caller may touch with a permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Every merchant (admins, services).
    Platform,
    /// One merchant (its owner, or one of its cashiers for reads).
    Merchant(Uuid),
}

impl Reach {
    /// Whether the caller may touch products of `merchant_id`.
    pub(crate) fn covers(self, merchant_id: Uuid) -> bool {
        match self {
            Reach::Platform => true,
            Reach::Merchant(own) => own == merchant_id,
        }
    }

    /// The merchant a listing is limited to: the one asked for (which the caller must reach),
    /// or the caller's own when it has no platform scope.
    pub(crate) fn merchant_filter(
        self,
        requested: Option<Uuid>,
        permission: &'static str,
    ) -> Result<Option<Uuid>, ProductError> {
        match (self, requested) {
            (Reach::Platform, requested) => Ok(requested),
            (Reach::Merchant(own), Some(requested)) if requested == own => Ok(Some(own)),
            (Reach::Merchant(_), Some(_)) => Err(ProductError::PermissionMissing(permission)),
            (Reach::Merchant(_), None) => Err(ProductError::invalid(
                "merchant_id",
                "is required unless the caller has platform scope",
            )),
        }
    }
}

/// Whom `auth` may read products of: platform, its merchant as owner, its merchant as cashier.
pub(crate) fn read_reach(auth: &AuthContext) -> Result<Reach, ProductError> {
    match auth.merchant_scope(READ) {
        Some(MerchantScope::Platform) => Ok(Reach::Platform),
        Some(MerchantScope::Merchant(merchant_id) | MerchantScope::Cashier { merchant_id, .. }) => {
            Ok(Reach::Merchant(merchant_id))
        }
        None => Err(ProductError::PermissionMissing(READ)),
    }
}

/// Whom `auth` may change products of: platform, or its merchant as owner (never as cashier).
pub(crate) fn write_reach(auth: &AuthContext) -> Result<Reach, ProductError> {
    match auth.merchant_scope(WRITE) {
        Some(MerchantScope::Platform) => Ok(Reach::Platform),
        Some(MerchantScope::Merchant(merchant_id)) => Ok(Reach::Merchant(merchant_id)),
        Some(MerchantScope::Cashier { .. }) | None => Err(ProductError::PermissionMissing(WRITE)),
    }
}

/// Whether `auth` may see trashed products (LIFECYCLE_TRASHED / ALL need `product.write`) of
/// `merchant` (`None`: every merchant).
pub(crate) fn may_see_trash(auth: &AuthContext, merchant: Option<Uuid>) -> bool {
    match (write_reach(auth), merchant) {
        (Ok(Reach::Platform), _) => true,
        (Ok(reach), Some(merchant)) => reach.covers(merchant),
        _ => false,
    }
}

/// Refuses a write to a product of a merchant outside the caller's reach.
pub(crate) fn check_write(auth: &AuthContext, merchant_id: Uuid) -> Result<(), ProductError> {
    if write_reach(auth)?.covers(merchant_id) {
        Ok(())
    } else {
        Err(ProductError::PermissionMissing(WRITE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_reaches_only_its_merchant() {
        let own = Uuid::now_v7();
        let reach = Reach::Merchant(own);
        assert!(reach.covers(own));
        assert!(!reach.covers(Uuid::now_v7()));
        assert_eq!(reach.merchant_filter(Some(own), READ).unwrap(), Some(own));
        assert!(matches!(
            reach.merchant_filter(Some(Uuid::now_v7()), READ),
            Err(ProductError::PermissionMissing(_))
        ));
        assert!(reach.merchant_filter(None, READ).is_err());
        assert_eq!(Reach::Platform.merchant_filter(None, READ).unwrap(), None);
    }

    #[test]
    fn services_reach_every_merchant() {
        let service = AuthContext::service("order");
        assert_eq!(read_reach(&service).unwrap(), Reach::Platform);
        assert_eq!(write_reach(&service).unwrap(), Reach::Platform);
        assert!(may_see_trash(&service, None));
    }
}
