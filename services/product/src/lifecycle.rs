//! Trash, restore and purge, one product or every trashed one of a merchant (or of every
//! merchant). Each change publishes `ProductLifecycleChanged` in its transaction; a purge deletes
//! the product's image after it committed. Stock ledger rows are kept (append-only audit data).

use uuid::Uuid;

use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::product::v1 as pb;
use pos_platform::{AuthContext, ModuleContext};

use crate::access::{self, Reach};
use crate::error::ProductError;
use crate::events::{self, Actor};
use crate::store::{self, ProductRow, parse_id};

/// Moves a product to the trash (see `ProductService.DeleteProduct`).
pub(crate) async fn delete_product(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::DeleteProductRequest,
) -> Result<pb::DeleteProductResponse, ProductError> {
    let id = parse_id("product_id", &request.product_id)?;
    let trashed = set_trashed(ctx, auth, id, true).await?;
    Ok(pb::DeleteProductResponse {
        product: Some(trashed.to_pb()),
    })
}

/// Takes a product out of the trash (see `ProductService.RestoreProduct`).
pub(crate) async fn restore_product(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreProductRequest,
) -> Result<pb::RestoreProductResponse, ProductError> {
    let id = parse_id("product_id", &request.product_id)?;
    let restored = set_trashed(ctx, auth, id, false).await?;
    Ok(pb::RestoreProductResponse {
        product: Some(restored.to_pb()),
    })
}

/// Moves product `id` into the trash (`trash`) or out of it, in one transaction with its
/// `ProductLifecycleChanged`; refuses a product already where it is asked to go.
async fn set_trashed(
    ctx: &ModuleContext,
    auth: &AuthContext,
    id: Uuid,
    trash: bool,
) -> Result<ProductRow, ProductError> {
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    access::check_write(auth, current.merchant_id)?;
    match (trash, current.deleted_at.is_some()) {
        (true, true) => return Err(ProductError::Trashed(id.to_string())),
        (false, false) => return Err(ProductError::NotTrashed(id.to_string())),
        _ => {}
    }
    let changed: ProductRow = sqlx::query_as!(
        ProductRow,
        "UPDATE products.products SET deleted_at = CASE WHEN $2 THEN now() END, updated_at = now() \
         WHERE id = $1 \
         RETURNING id, merchant_id, category_id, name, description, brand, weight_grams, price_minor, \
         currency_code, count_in_stock, reserved_quantity, barcode, slug, image_key, \
         image_content_type, created_at, updated_at, deleted_at",
        id,
        trash,
    )
    .fetch_one(&mut *tx)
    .await?;
    let change = if trash {
        LifecycleChange::Trashed
    } else {
        LifecycleChange::Restored
    };
    events::lifecycle_changed(&mut tx, &Actor::of(auth), id, current.merchant_id, change).await?;
    tx.commit().await?;
    crate::cache::invalidate(ctx, id).await;
    Ok(changed)
}

/// Deletes a trashed product for good (see `ProductService.PurgeProduct`).
pub(crate) async fn purge_product(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeProductRequest,
) -> Result<pb::PurgeProductResponse, ProductError> {
    let id = parse_id("product_id", &request.product_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    access::check_write(auth, current.merchant_id)?;
    if current.deleted_at.is_none() {
        return Err(ProductError::NotTrashed(id.to_string()));
    }
    if current.reserved_quantity > 0 {
        return Err(ProductError::HasPendingReservations(id.to_string()));
    }
    sqlx::query!("DELETE FROM products.products WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    events::lifecycle_changed(
        &mut tx,
        &Actor::of(auth),
        id,
        current.merchant_id,
        LifecycleChange::Purged,
    )
    .await?;
    tx.commit().await?;
    crate::cache::invalidate(ctx, id).await;
    delete_images(ctx, [(id, current.image_key)]).await;
    Ok(pb::PurgeProductResponse {})
}

/// Restores every trashed product of one merchant or of all (see
/// `ProductService.RestoreTrashedProducts`).
pub(crate) async fn restore_trashed_products(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreTrashedProductsRequest,
) -> Result<pb::RestoreTrashedProductsResponse, ProductError> {
    let merchant = merchant_in_reach(auth, &request.merchant_id)?;
    let mut tx = ctx.db.begin().await?;
    let restored: Vec<(Uuid, Uuid)> = sqlx::query!(
        "UPDATE products.products SET deleted_at = NULL, updated_at = now() \
         WHERE deleted_at IS NOT NULL AND ($1::uuid IS NULL OR merchant_id = $1) \
         RETURNING id, merchant_id",
        merchant,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| (row.id, row.merchant_id))
    .collect();
    let actor = Actor::of(auth);
    for (id, merchant_id) in &restored {
        events::lifecycle_changed(&mut tx, &actor, *id, *merchant_id, LifecycleChange::Restored).await?;
    }
    tx.commit().await?;
    for (id, _) in &restored {
        crate::cache::invalidate(ctx, *id).await;
    }
    Ok(pb::RestoreTrashedProductsResponse {
        affected_count: i64::try_from(restored.len()).unwrap_or(i64::MAX),
    })
}

/// Purges every trashed product of one merchant or of all, except those with pending
/// reservations (see `ProductService.PurgeTrashedProducts`).
pub(crate) async fn purge_trashed_products(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeTrashedProductsRequest,
) -> Result<pb::PurgeTrashedProductsResponse, ProductError> {
    let merchant = merchant_in_reach(auth, &request.merchant_id)?;
    let mut tx = ctx.db.begin().await?;
    let purged: Vec<(Uuid, Uuid, Option<String>)> = sqlx::query!(
        "DELETE FROM products.products \
         WHERE deleted_at IS NOT NULL AND reserved_quantity = 0 AND ($1::uuid IS NULL OR merchant_id = $1) \
         RETURNING id, merchant_id, image_key",
        merchant,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| (row.id, row.merchant_id, row.image_key))
    .collect();
    let actor = Actor::of(auth);
    for (id, merchant_id, _) in &purged {
        events::lifecycle_changed(&mut tx, &actor, *id, *merchant_id, LifecycleChange::Purged).await?;
    }
    tx.commit().await?;
    for (id, _, _) in &purged {
        crate::cache::invalidate(ctx, *id).await;
    }
    let affected_count = i64::try_from(purged.len()).unwrap_or(i64::MAX);
    delete_images(ctx, purged.into_iter().map(|(id, _, image)| (id, image))).await;
    Ok(pb::PurgeTrashedProductsResponse { affected_count })
}

/// The merchant a collection-level change is limited to: `merchant_id` (required unless the
/// caller has platform scope, and within its reach).
fn merchant_in_reach(auth: &AuthContext, merchant_id: &str) -> Result<Option<Uuid>, ProductError> {
    let requested = if merchant_id.trim().is_empty() {
        None
    } else {
        Some(parse_id("merchant_id", merchant_id)?)
    };
    let reach: Reach = access::write_reach(auth)?;
    reach.merchant_filter(requested, access::WRITE)
}

/// Deletes the images of purged products; a failure is logged (the object is orphaned, not
/// reachable through the API).
async fn delete_images(ctx: &ModuleContext, images: impl IntoIterator<Item = (Uuid, Option<String>)>) {
    for (id, key) in images {
        if let Some(key) = key
            && let Err(error) = ctx.files.delete(&key).await
        {
            tracing::warn!(product_id = %id, key, %error, "the image of a purged product could not be deleted");
        }
    }
}
