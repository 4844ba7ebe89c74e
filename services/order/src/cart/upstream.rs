//! What carts ask the product module, through its contract (`ctx.clients`, with the process's
//! service credential, so the caller's scope is checked before): products by id or barcode.
//! Merchants and cashiers are checked through `crate::upstream`, as orders do.

use tonic::Code;
use uuid::Uuid;

use pos_api::pos::product::v1 as product_pb;
use pos_platform::ModuleContext;

use crate::error::OrderError;

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
