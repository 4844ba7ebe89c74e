//! The merchant check of ReserveStock: only an ACTIVE, non-trashed merchant can sell.

use tonic::Code;
use uuid::Uuid;

use pos_api::pos::merchant::v1 as merchant_pb;
use pos_platform::ModuleContext;

use crate::error::ProductError;

/// Refuses a merchant that does not exist (NOT_FOUND) or cannot sell (FAILED_PRECONDITION /
/// MERCHANT_NOT_ACTIVE: PENDING, SUSPENDED, REJECTED or trashed), asking the merchant module.
pub(crate) async fn check_selling(ctx: &ModuleContext, id: Uuid) -> Result<(), ProductError> {
    let answer = ctx
        .clients
        .merchant()?
        .get_merchant(merchant_pb::GetMerchantRequest {
            merchant_id: id.to_string(),
        })
        .await;
    let merchant = match answer {
        Ok(response) => response.into_inner().merchant.unwrap_or_default(),
        Err(status) if status.code() == Code::NotFound => {
            return Err(ProductError::MerchantNotFound(id.to_string()));
        }
        Err(status) => return Err(status.into()),
    };
    let active = merchant.status == i32::from(merchant_pb::MerchantStatus::Active);
    if active && merchant.delete_time.is_none() {
        Ok(())
    } else {
        Err(ProductError::MerchantNotActive(id.to_string()))
    }
}
