//! Trash, restore and purge of categories, one or every trashed one. Each change publishes
//! `CategoryLifecycleChanged` in its transaction and invalidates the cache once committed.
//!
//! A purge is refused while products reference the category (asked of the product module before
//! the purge's transaction). Products cannot be given a trashed category, and only trashed
//! categories are purged, so the answer stays true while the category waits in the trash.

use uuid::Uuid;

use pos_api::pos::category::v1 as pb;
use pos_api::pos::common::v1::LifecycleChange;
use pos_platform::{AuthContext, ModuleContext};

use crate::cache;
use crate::error::CategoryError;
use crate::events::{self, Actor};
use crate::input::parse_id;
use crate::store::{self, CategoryRow};
use crate::usage::used_by_products;

/// Moves a category to the trash (see `CategoryService.DeleteCategory`).
pub(crate) async fn delete_category(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::DeleteCategoryRequest,
) -> Result<pb::DeleteCategoryResponse, CategoryError> {
    let id = parse_id("category_id", &request.category_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    if current.deleted_at.is_some() {
        return Err(CategoryError::Trashed(id.to_string()));
    }
    let trashed = set_trashed(&mut tx, id, true).await?;
    events::category_lifecycle_changed(&mut tx, &Actor::of(auth), id, LifecycleChange::Trashed).await?;
    tx.commit().await?;
    cache::invalidate(ctx, [id]).await;
    Ok(pb::DeleteCategoryResponse {
        category: Some(trashed.to_pb()),
    })
}

/// Takes a category out of the trash (see `CategoryService.RestoreCategory`).
pub(crate) async fn restore_category(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreCategoryRequest,
) -> Result<pb::RestoreCategoryResponse, CategoryError> {
    let id = parse_id("category_id", &request.category_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    if current.deleted_at.is_none() {
        return Err(CategoryError::NotTrashed(id.to_string()));
    }
    let restored = set_trashed(&mut tx, id, false).await?;
    events::category_lifecycle_changed(&mut tx, &Actor::of(auth), id, LifecycleChange::Restored).await?;
    tx.commit().await?;
    cache::invalidate(ctx, [id]).await;
    Ok(pb::RestoreCategoryResponse {
        category: Some(restored.to_pb()),
    })
}

/// Deletes a trashed category that no product references (see `CategoryService.PurgeCategory`).
pub(crate) async fn purge_category(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeCategoryRequest,
) -> Result<pb::PurgeCategoryResponse, CategoryError> {
    let id = parse_id("category_id", &request.category_id)?;
    {
        let mut conn = ctx.db.acquire().await?;
        let current = store::find(&mut conn, id)
            .await?
            .ok_or_else(|| CategoryError::NotFound(id.to_string()))?;
        if current.deleted_at.is_none() {
            return Err(CategoryError::NotTrashed(id.to_string()));
        }
    }
    if used_by_products(ctx, id).await? {
        return Err(CategoryError::InUse(id.to_string()));
    }
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    if current.deleted_at.is_none() {
        // Restored while the product module was asked.
        return Err(CategoryError::NotTrashed(id.to_string()));
    }
    sqlx::query!("DELETE FROM categories.categories WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    events::category_lifecycle_changed(&mut tx, &Actor::of(auth), id, LifecycleChange::Purged).await?;
    tx.commit().await?;
    cache::invalidate(ctx, [id]).await;
    Ok(pb::PurgeCategoryResponse {})
}

/// Restores every trashed category (see `CategoryService.RestoreTrashedCategories`).
pub(crate) async fn restore_trashed_categories(
    ctx: &ModuleContext,
    auth: &AuthContext,
) -> Result<pb::RestoreTrashedCategoriesResponse, CategoryError> {
    let mut tx = ctx.db.begin().await?;
    let restored: Vec<Uuid> = sqlx::query_scalar!(
        "UPDATE categories.categories SET deleted_at = NULL, updated_at = now() \
         WHERE deleted_at IS NOT NULL RETURNING id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let actor = Actor::of(auth);
    for id in &restored {
        events::category_lifecycle_changed(&mut tx, &actor, *id, LifecycleChange::Restored).await?;
    }
    tx.commit().await?;
    cache::invalidate(ctx, restored.iter().copied()).await;
    Ok(pb::RestoreTrashedCategoriesResponse {
        affected_count: i64::try_from(restored.len()).unwrap_or(i64::MAX),
    })
}

/// Purges every trashed category no product references; the others stay in the trash (see
/// `CategoryService.PurgeTrashedCategories`).
pub(crate) async fn purge_trashed_categories(
    ctx: &ModuleContext,
    auth: &AuthContext,
) -> Result<pb::PurgeTrashedCategoriesResponse, CategoryError> {
    let trashed: Vec<Uuid> =
        sqlx::query_scalar!("SELECT id FROM categories.categories WHERE deleted_at IS NOT NULL ORDER BY id")
            .fetch_all(&ctx.db)
            .await?;
    let mut unused = Vec::with_capacity(trashed.len());
    for id in trashed {
        if !used_by_products(ctx, id).await? {
            unused.push(id);
        }
    }
    if unused.is_empty() {
        return Ok(pb::PurgeTrashedCategoriesResponse { affected_count: 0 });
    }
    let mut tx = ctx.db.begin().await?;
    // Only those still in the trash: one restored meanwhile stays.
    let purged: Vec<Uuid> = sqlx::query_scalar!(
        "DELETE FROM categories.categories WHERE id = ANY($1) AND deleted_at IS NOT NULL RETURNING id",
        &unused[..],
    )
    .fetch_all(&mut *tx)
    .await?;
    let actor = Actor::of(auth);
    for id in &purged {
        events::category_lifecycle_changed(&mut tx, &actor, *id, LifecycleChange::Purged).await?;
    }
    tx.commit().await?;
    cache::invalidate(ctx, purged.iter().copied()).await;
    Ok(pb::PurgeTrashedCategoriesResponse {
        affected_count: i64::try_from(purged.len()).unwrap_or(i64::MAX),
    })
}

async fn set_trashed(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    trashed: bool,
) -> Result<CategoryRow, sqlx::Error> {
    sqlx::query_as!(
        CategoryRow,
        "UPDATE categories.categories SET deleted_at = CASE WHEN $2 THEN now() END, updated_at = now() \
         WHERE id = $1 RETURNING id, name, description, slug, created_at, updated_at, deleted_at",
        id,
        trashed,
    )
    .fetch_one(conn)
    .await
}
