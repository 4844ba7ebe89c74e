//! What carts ask other modules, through their contracts (`ctx.clients`, with the process's
//! service credential, so the caller's scope is checked before): the merchant (status,
//! currency), the cashier, and products by id or barcode.

use tonic::Code;
use uuid::Uuid;

use pos_api::pos::cashier::v1 as cashier_pb;
use pos_api::pos::merchant::v1 as merchant_pb;
use pos_api::pos::product::v1 as product_pb;
use pos_platform::ModuleContext;

use crate::error::OrderError;

/// Merchant `id`, or FAILED_PRECONDITION / MERCHANT_NOT_ACTIVE when it does not exist.
pub(crate) async fn merchant(ctx: &ModuleContext, id: Uuid) -> Result<merchant_pb::Merchant, OrderError> {
    let answer = ctx
        .clients
        .merchant()?
        .get_merchant(merchant_pb::GetMerchantRequest {
            merchant_id: id.to_string(),
        })
        .await;
    match answer {
        Ok(response) => Ok(response.into_inner().merchant.unwrap_or_default()),
        Err(status) if status.code() == Code::NotFound => Err(OrderError::MerchantNotActive(id.to_string())),
        Err(status) => Err(status.into()),
    }
}

/// Merchant `id` when it may sell (ACTIVE, not trashed), else FAILED_PRECONDITION /
/// MERCHANT_NOT_ACTIVE.
pub(crate) async fn selling_merchant(
    ctx: &ModuleContext,
    id: Uuid,
) -> Result<merchant_pb::Merchant, OrderError> {
    let merchant = merchant(ctx, id).await?;
    let active =
        merchant_pb::MerchantStatus::try_from(merchant.status) == Ok(merchant_pb::MerchantStatus::Active);
    if merchant.delete_time.is_some() || !active {
        return Err(OrderError::MerchantNotActive(id.to_string()));
    }
    Ok(merchant)
}

/// Refuses, with FAILED_PRECONDITION / CASHIER_NOT_ACTIVE, a cashier that does not exist, sells
/// for another merchant, is disabled or is trashed.
pub(crate) async fn require_selling_cashier(
    ctx: &ModuleContext,
    merchant_id: Uuid,
    cashier_id: Uuid,
) -> Result<(), OrderError> {
    let answer = ctx
        .clients
        .cashier()?
        .get_cashier(cashier_pb::GetCashierRequest {
            cashier_id: cashier_id.to_string(),
        })
        .await;
    let cashier = match answer {
        Ok(response) => response.into_inner().cashier.unwrap_or_default(),
        Err(status) if status.code() == Code::NotFound => {
            return Err(OrderError::CashierNotActive(cashier_id.to_string()));
        }
        Err(status) => return Err(status.into()),
    };
    if cashier.merchant_id != merchant_id.to_string() || cashier.disabled || cashier.delete_time.is_some() {
        return Err(OrderError::CashierNotActive(cashier_id.to_string()));
    }
    Ok(())
}

/// Product `id` whatever its merchant or state, or `None` when it does not exist.
pub(crate) async fn product(
    ctx: &ModuleContext,
    id: Uuid,
) -> Result<Option<product_pb::Product>, OrderError> {
    let answer = ctx
        .clients
        .product()?
        .get_product(product_pb::GetProductRequest {
            product_id: id.to_string(),
        })
        .await;
    match answer {
        Ok(response) => Ok(response.into_inner().product),
        Err(status) if status.code() == Code::NotFound => Ok(None),
        Err(status) => Err(status.into()),
    }
}

/// Product `id` of merchant `merchant_id` that can be sold: NOT_FOUND / PRODUCT_NOT_FOUND when
/// it does not exist or is another merchant's, FAILED_PRECONDITION / PRODUCT_NOT_AVAILABLE when
/// it is in the trash.
pub(crate) async fn sellable_product(
    ctx: &ModuleContext,
    merchant_id: Uuid,
    id: Uuid,
) -> Result<product_pb::Product, OrderError> {
    let product = product(ctx, id)
        .await?
        .filter(|product| product.merchant_id == merchant_id.to_string())
        .ok_or_else(|| OrderError::ProductNotFound(id.to_string()))?;
    if product.delete_time.is_some() {
        return Err(OrderError::ProductNotAvailable(id.to_string()));
    }
    Ok(product)
}

/// The active product of merchant `merchant_id` carrying `barcode`, or NOT_FOUND /
/// BARCODE_NOT_FOUND.
pub(crate) async fn product_by_barcode(
    ctx: &ModuleContext,
    merchant_id: Uuid,
    barcode: &str,
) -> Result<product_pb::Product, OrderError> {
    let answer = ctx
        .clients
        .product()?
        .lookup_product_by_barcode(product_pb::LookupProductByBarcodeRequest {
            merchant_id: merchant_id.to_string(),
            barcode: barcode.to_owned(),
        })
        .await;
    match answer {
        Ok(response) => response
            .into_inner()
            .product
            .filter(|product| product.merchant_id == merchant_id.to_string())
            .ok_or_else(|| OrderError::BarcodeNotFound(barcode.to_owned())),
        Err(status) if matches!(status.code(), Code::NotFound | Code::InvalidArgument) => {
            Err(OrderError::BarcodeNotFound(barcode.to_owned()))
        }
        Err(status) => Err(status.into()),
    }
}
