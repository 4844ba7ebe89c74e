//! The merchant check of ReserveStock: only an ACTIVE, non-trashed merchant can sell.

use uuid::Uuid;

use pos_api::pos::merchant::v1 as merchant_pb;
use pos_platform::ModuleContext;

use crate::error::ProductError;

/// Refuses a merchant that does not exist (NOT_FOUND) or cannot sell (FAILED_PRECONDITION /
/// MERCHANT_NOT_ACTIVE: PENDING, SUSPENDED, REJECTED or trashed), asking the merchant module.
pub(crate) async fn check_selling(ctx: &ModuleContext, id: Uuid) -> Result<(), ProductError> {
    let merchant = crate::upstream::merchant(ctx, id).await?;
    let active = merchant.status == i32::from(merchant_pb::MerchantStatus::Active);
    if active && merchant.delete_time.is_none() {
        Ok(())
    } else {
        Err(ProductError::MerchantNotActive(id.to_string()))
    }
}
