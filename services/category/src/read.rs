//! GetCategory (through the read-through cache) and ListCategories.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::category::v1 as pb;
use pos_platform::{AuthContext, ModuleContext, paging};

use crate::cache;
use crate::error::CategoryError;
use crate::input::{self, escape_like, parse_id};
use crate::store::{self, CategoryRow};

/// The permission that lets a caller list trashed categories.
const WRITE: &str = "category.write";

/// Returns one category, trashed ones too (see `CategoryService.GetCategory`).
pub(crate) async fn get_category(
    ctx: &ModuleContext,
    request: &pb::GetCategoryRequest,
) -> Result<pb::GetCategoryResponse, CategoryError> {
    let id = parse_id("category_id", &request.category_id)?;
    let category = cache::categories(ctx)
        .get_or_load(&id.to_string(), || async {
            let mut conn = ctx.db.acquire().await?;
            Ok::<_, CategoryError>(store::find(&mut conn, id).await?.map(|row| row.to_pb()))
        })
        .await?
        .ok_or_else(|| CategoryError::NotFound(id.to_string()))?;
    Ok(pb::GetCategoryResponse {
        category: Some(category),
    })
}

/// The filters a page token is bound to.
#[derive(Serialize)]
struct Filters<'a> {
    lifecycle: &'static str,
    query: &'a str,
}

/// Where the next page starts: after this category, in (name, id) order.
#[derive(Serialize, Deserialize)]
struct Cursor {
    name: String,
    id: Uuid,
}

/// Lists categories by name, page by page (see `CategoryService.ListCategories`).
pub(crate) async fn list_categories(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::ListCategoriesRequest,
) -> Result<pb::ListCategoriesResponse, CategoryError> {
    let page_size = paging::page_size(Module::Category, request.page_size)?;
    let lifecycle = input::lifecycle_filter(request.lifecycle)?;
    if lifecycle != "active" && !auth.has_platform_permission(WRITE) {
        return Err(CategoryError::PermissionMissing(WRITE));
    }
    let query = input::query(&request.query)?;
    let filters = Filters { lifecycle, query };
    let cursor: Option<Cursor> = ctx
        .page_tokens
        .decode(Module::Category, &request.page_token, &filters)?;
    let pattern = if query.is_empty() {
        String::new()
    } else {
        format!("%{}%", escape_like(query))
    };

    let mut conn = ctx.db.acquire().await?;
    // The count and the page filter alike: $1 lifecycle, $2 ILIKE pattern (empty: any).
    let total: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"count!\" FROM categories.categories \
         WHERE ($1 = 'all' OR ($1 = 'active' AND deleted_at IS NULL) \
              OR ($1 = 'trashed' AND deleted_at IS NOT NULL)) \
           AND ($2 = '' OR name ILIKE $2 OR slug ILIKE $2)",
        lifecycle,
        &pattern,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows: Vec<CategoryRow> = sqlx::query_as!(
        CategoryRow,
        "SELECT id, name, description, slug, created_at, updated_at, deleted_at FROM categories.categories \
         WHERE ($1 = 'all' OR ($1 = 'active' AND deleted_at IS NULL) \
              OR ($1 = 'trashed' AND deleted_at IS NOT NULL)) \
           AND ($2 = '' OR name ILIKE $2 OR slug ILIKE $2) \
           AND ($3::text IS NULL OR (name, id) > ($3, $4)) ORDER BY name, id LIMIT $5",
        lifecycle,
        &pattern,
        cursor.as_ref().map(|cursor| cursor.name.clone()),
        cursor.as_ref().map(|cursor| cursor.id),
        i64::from(page_size) + 1,
    )
    .fetch_all(&mut *conn)
    .await?;

    let more = rows.len() > page_size as usize;
    rows.truncate(page_size as usize);
    let next_page_token = match rows.last() {
        Some(last) if more => ctx.page_tokens.encode(
            &Cursor {
                name: last.name.clone(),
                id: last.id,
            },
            &filters,
        ),
        _ => String::new(),
    };
    Ok(pb::ListCategoriesResponse {
        categories: rows.iter().map(CategoryRow::to_pb).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}
