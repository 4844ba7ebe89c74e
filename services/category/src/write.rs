//! CreateCategory and UpdateCategory.
//!
//! A category's slug is derived from its name: CreateCategory gives it the first free slug of
//! the name, and a rename derives it again from the new name (unless the current slug already
//! derives from it, e.g. `Books` → `BOOKS`), so the slug always matches the name. Uniqueness is
//! enforced by the unique index alone (see `store::insert` and `store::change_slug`).

use prost::Message as _;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::category::v1 as pb;
use pos_platform::auth::Principal;
use pos_platform::idempotency::{Claim, IdempotencyKey};
use pos_platform::{AuthContext, ModuleContext};

use crate::cache;
use crate::error::CategoryError;
use crate::events::{self, Actor};
use crate::input::{CategoryChanges, NewCategory, parse_id};
use crate::slug::{self, Candidates};
use crate::store::{self, CategoryRow};

/// Creates a category with a unique slug (see `CategoryService.CreateCategory`).
pub(crate) async fn create_category(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::CreateCategoryRequest,
) -> Result<pb::CreateCategoryResponse, CategoryError> {
    let new = NewCategory::from_pb(request.category.as_ref())?;
    let canonical = pb::Category {
        name: new.name.clone(),
        description: new.description.clone(),
        ..Default::default()
    }
    .encode_to_vec();
    let key = IdempotencyKey::new(
        Module::Category,
        "CreateCategory",
        principal(auth),
        request.request_id.trim(),
        &canonical,
    )?;
    let actor = Actor::of(auth).with_request_id(request.request_id.trim());

    let mut tx = ctx.db.begin().await?;
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        return pb::CreateCategoryResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored CreateCategory response: {error}").into());
    }
    let category = store::insert(
        &mut tx,
        Uuid::now_v7(),
        &new.name,
        &new.description,
        Candidates::new(slug::base(&new.name)),
    )
    .await?;
    events::category_created(&mut tx, &actor, &category).await?;
    let response = pb::CreateCategoryResponse {
        category: Some(category.to_pb()),
    };
    if let Some(key) = &key {
        key.complete(&mut tx, &response).await?;
    }
    tx.commit().await?;
    cache::invalidate(ctx, [category.id]).await;
    Ok(response)
}

/// Changes a category's name or description (see `CategoryService.UpdateCategory`).
pub(crate) async fn update_category(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::UpdateCategoryRequest,
) -> Result<pb::UpdateCategoryResponse, CategoryError> {
    let category = request.category.clone().unwrap_or_default();
    let id = parse_id("category.id", &category.id)?;
    let changes = CategoryChanges::from_pb(&category, request.update_mask.as_ref())?;

    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    if current.deleted_at.is_some() {
        return Err(CategoryError::Trashed(id.to_string()));
    }
    let name = changes.name.filter(|name| *name != current.name);
    let description = changes.description.filter(|text| *text != current.description);
    if name.is_none() && description.is_none() {
        return Ok(pb::UpdateCategoryResponse {
            category: Some(current.to_pb()),
        });
    }
    if let Some(name) = &name {
        let base = slug::base(name);
        if !slug::derives_from(&current.slug, &base) {
            store::change_slug(&mut tx, id, Candidates::new(base)).await?;
        }
    }
    let updated: CategoryRow = sqlx::query_as!(
        CategoryRow,
        "UPDATE categories.categories SET name = COALESCE($2, name), \
         description = COALESCE($3, description), updated_at = now() WHERE id = $1 RETURNING id, name, description, slug, created_at, updated_at, deleted_at",
        id,
        name,
        description,
    )
    .fetch_one(&mut *tx)
    .await?;
    events::category_updated(&mut tx, &Actor::of(auth), &updated).await?;
    tx.commit().await?;
    cache::invalidate(ctx, [id]).await;
    Ok(pb::UpdateCategoryResponse {
        category: Some(updated.to_pb()),
    })
}

/// Who sent the request, for idempotency keys: the user id, or `service:<name>`.
fn principal(auth: &AuthContext) -> String {
    match &auth.principal {
        Principal::User { user_id, .. } => user_id.to_string(),
        Principal::Service { name } => format!("service:{name}"),
    }
}
