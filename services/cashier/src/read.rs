//! GetCashier and ListCashiers.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::cashier::v1 as pb;
use pos_platform::{AuthContext, ModuleContext, paging};

use crate::error::CashierError;
use crate::store::{self, CashierRow, READ, parse_id};

/// Longest free-text query accepted.
const MAX_QUERY_CHARS: usize = 200;

/// Returns one cashier (see `CashierService.GetCashier`).
pub(crate) async fn get_cashier(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::GetCashierRequest,
) -> Result<pb::GetCashierResponse, CashierError> {
    let id = parse_id("cashier_id", &request.cashier_id)?;
    let mut conn = ctx.db.acquire().await?;
    let cashier = store::visible(auth, READ, id, store::find(&mut conn, id).await?)?;
    Ok(pb::GetCashierResponse {
        cashier: Some(cashier.to_pb()),
    })
}

/// The filters a page token is bound to.
#[derive(Serialize)]
struct Filters<'a> {
    merchant_id: Option<Uuid>,
    lifecycle: &'static str,
    query: &'a str,
}

/// Where the next page starts: after this cashier, in (name, id) order.
#[derive(Serialize, Deserialize)]
struct Cursor {
    name: String,
    id: Uuid,
}

/// Lists cashiers by name, page by page (see `CashierService.ListCashiers`).
pub(crate) async fn list_cashiers(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::ListCashiersRequest,
) -> Result<pb::ListCashiersResponse, CashierError> {
    let merchant_id = store::requested_merchant(auth, READ, &request.merchant_id)?;
    let page_size = paging::page_size(Module::Cashier, request.page_size)?;
    let lifecycle = lifecycle_filter(request.lifecycle)?;
    let query = request.query.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(CashierError::invalid(
            "query",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let filters = Filters {
        merchant_id,
        lifecycle,
        query,
    };
    let cursor: Option<Cursor> = ctx
        .page_tokens
        .decode(Module::Cashier, &request.page_token, &filters)?;
    let pattern = if query.is_empty() {
        String::new()
    } else {
        format!("%{}%", escape_like(query))
    };

    let mut conn = ctx.db.acquire().await?;
    // Both statements filter alike: $1 merchant, $2 lifecycle, $3 name pattern.
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM cashiers.cashiers
           WHERE ($1::uuid IS NULL OR merchant_id = $1)
             AND ($2 = 'all' OR ($2 = 'active' AND deleted_at IS NULL)
                  OR ($2 = 'trashed' AND deleted_at IS NOT NULL))
             AND ($3 = '' OR name ILIKE $3)"#,
        merchant_id,
        lifecycle,
        &pattern,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows = sqlx::query_as!(
        CashierRow,
        r#"SELECT id, merchant_id, user_id, name, disabled_at, created_at, updated_at, deleted_at
           FROM cashiers.cashiers
           WHERE ($1::uuid IS NULL OR merchant_id = $1)
             AND ($2 = 'all' OR ($2 = 'active' AND deleted_at IS NULL)
                  OR ($2 = 'trashed' AND deleted_at IS NOT NULL))
             AND ($3 = '' OR name ILIKE $3)
             AND ($4::text IS NULL OR (name, id) > ($4, $5))
           ORDER BY name, id LIMIT $6"#,
        merchant_id,
        lifecycle,
        &pattern,
        cursor.as_ref().map(|cursor| cursor.name.clone()),
        cursor.as_ref().map(|cursor| cursor.id),
        i64::from(page_size) + 1,
    )
    .fetch_all(&mut *conn)
    .await?;

    let page = usize::try_from(page_size).unwrap_or(usize::MAX);
    let more = rows.len() > page;
    rows.truncate(page);
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
    Ok(pb::ListCashiersResponse {
        cashiers: rows.iter().map(CashierRow::to_pb).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// The SQL lifecycle filter of a request's `lifecycle`.
fn lifecycle_filter(value: i32) -> Result<&'static str, CashierError> {
    pos_platform::listing::lifecycle_filter(value)
        .ok_or_else(|| CashierError::invalid("lifecycle", "is not a known lifecycle"))
}

use pos_platform::listing::escape_like;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_matched_literally() {
        assert_eq!(escape_like("a_b%c\\"), "a\\_b\\%c\\\\");
    }

    #[test]
    fn an_unknown_lifecycle_is_refused() {
        assert_eq!(lifecycle_filter(0).unwrap(), "active");
        assert_eq!(lifecycle_filter(2).unwrap(), "trashed");
        assert!(lifecycle_filter(42).is_err());
    }
}
