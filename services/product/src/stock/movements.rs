//! ListStockMovements: ledger rows, newest first (by id: UUIDv7 taken while the product row was
//! locked), for one product or a whole merchant, page by page.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::product::v1 as pb;
use pos_platform::{AuthContext, ModuleContext, paging};

use super::access::ledger_reach;
use super::input::Violations;
use super::ledger::{MovementRow, Reason};
use crate::access::{READ, Reach};
use crate::error::ProductError;

/// The filters of a listing; page tokens are bound to them.
#[derive(Debug, Serialize)]
struct Filters {
    product_id: Option<Uuid>,
    merchant_id: Option<Uuid>,
    reason: Option<&'static str>,
    reference: Option<String>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

/// Lists stock movements (see `ProductService.ListStockMovements`).
pub(crate) async fn list_stock_movements(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::ListStockMovementsRequest,
) -> Result<pb::ListStockMovementsResponse, ProductError> {
    let reach = ledger_reach(auth)?;
    let page_size = paging::page_size(Module::Product, request.page_size)?;
    let mut violations = Violations::default();
    let product_id = violations.optional_id("product_id", &request.product_id);
    let merchant_id = violations.optional_id("merchant_id", &request.merchant_id);
    if request.product_id.is_empty() && request.merchant_id.is_empty() {
        violations.add("merchant_id", "is required unless `product_id` is set");
    }
    let reason = match pb::StockMovementReason::try_from(request.reason) {
        Ok(pb::StockMovementReason::Unspecified) => None,
        Ok(_) => Reason::from_pb(request.reason).map(Reason::as_str),
        Err(_) => {
            violations.add("reason", "is not a stock movement reason");
            None
        }
    };
    let start = violations.time("start_time", request.start_time.as_ref());
    let end = violations.time("end_time", request.end_time.as_ref());
    violations.finish()?;

    let mut conn = ctx.db.acquire().await?;
    let merchant_id = match reach {
        Reach::Platform => merchant_id,
        Reach::Merchant(own) => {
            if merchant_id.is_some_and(|requested| requested != own) {
                return Err(ProductError::PermissionMissing(READ));
            }
            if let Some(product_id) = product_id
                && let Some(owner) = product_merchant(&mut conn, product_id).await?
                && owner != own
            {
                return Err(ProductError::PermissionMissing(READ));
            }
            Some(own)
        }
    };
    let filters = Filters {
        product_id,
        merchant_id,
        reason,
        reference: (!request.reference.is_empty()).then(|| request.reference.clone()),
        start,
        end,
    };
    let after: Option<Uuid> = ctx
        .page_tokens
        .decode(Module::Product, &request.page_token, &filters)?;

    // The page and the count filter alike ($1–$6).
    let mut rows: Vec<MovementRow> = sqlx::query_as!(
        MovementRow,
        "SELECT id, product_id, merchant_id, delta, quantity_before, quantity_after, reason, \
         actor_user_id, reference, note, created_at FROM products.stock_movements \
         WHERE ($1::uuid IS NULL OR product_id = $1) \
           AND ($2::uuid IS NULL OR merchant_id = $2) \
           AND ($3::text IS NULL OR reason = $3) \
           AND ($4::text IS NULL OR reference = $4) \
           AND ($5::timestamptz IS NULL OR created_at >= $5) \
           AND ($6::timestamptz IS NULL OR created_at < $6) \
           AND ($7::uuid IS NULL OR id < $7) ORDER BY id DESC LIMIT $8",
        filters.product_id,
        filters.merchant_id,
        filters.reason,
        filters.reference.as_deref(),
        filters.start,
        filters.end,
        after,
        i64::from(page_size) + 1,
    )
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"count!\" FROM products.stock_movements \
         WHERE ($1::uuid IS NULL OR product_id = $1) \
           AND ($2::uuid IS NULL OR merchant_id = $2) \
           AND ($3::text IS NULL OR reason = $3) \
           AND ($4::text IS NULL OR reference = $4) \
           AND ($5::timestamptz IS NULL OR created_at >= $5) \
           AND ($6::timestamptz IS NULL OR created_at < $6)",
        filters.product_id,
        filters.merchant_id,
        filters.reason,
        filters.reference.as_deref(),
        filters.start,
        filters.end,
    )
    .fetch_one(&mut *conn)
    .await?;

    let more = rows.len() > page_size as usize;
    rows.truncate(page_size as usize);
    let next_page_token = match rows.last() {
        Some(last) if more => ctx.page_tokens.encode(&last.id, &filters),
        _ => String::new(),
    };
    Ok(pb::ListStockMovementsResponse {
        movements: rows.iter().map(MovementRow::to_pb).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// The merchant of a product, from the product or, once it is purged, from its ledger rows.
async fn product_merchant(
    conn: &mut sqlx::PgConnection,
    product_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT merchant_id AS \"merchant_id!\" FROM products.products WHERE id = $1 \
         UNION ALL SELECT merchant_id FROM products.stock_movements WHERE product_id = $1 \
         LIMIT 1",
        product_id,
    )
    .fetch_optional(conn)
    .await
}
