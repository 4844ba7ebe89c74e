//! Whether products still reference a category, asked of the product module through its API
//! (`ProductService.ListProducts` filtered by category, trashed products included), with the
//! process's service credential: only admins reach the purges that ask, so no caller learns
//! more than it may.

use uuid::Uuid;

use pos_api::pos::common::v1::Lifecycle;
use pos_api::pos::product::v1::ListProductsRequest;
use pos_platform::ModuleContext;

use crate::error::CategoryError;

/// Whether any product, trashed or not, of any merchant references category `id`.
pub(crate) async fn used_by_products(ctx: &ModuleContext, id: Uuid) -> Result<bool, CategoryError> {
    let response = ctx
        .clients
        .product()?
        .list_products(ListProductsRequest {
            page_size: 1,
            lifecycle: Lifecycle::All.into(),
            category_id: id.to_string(),
            ..Default::default()
        })
        .await
        .inspect_err(|status| {
            tracing::warn!(category_id = %id, code = ?status.code(), message = status.message(), "the product module could not say whether products use a category");
        })?
        .into_inner();
    Ok(response.total_size > 0 || !response.products.is_empty())
}
