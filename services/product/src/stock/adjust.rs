//! AdjustStock: one conditional UPDATE of the quantity on hand (never read-modify-write), its
//! ledger row and its `StockAdjusted` event, in one transaction, idempotent by `request_id`.

use prost::Message as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::product::v1 as pb;
use pos_platform::events::Actor;
use pos_platform::idempotency::{Claim, IdempotencyKey};
use pos_platform::{AuthContext, ModuleContext};

use super::access::{STOCK, principal, stock_reach};
use super::input::Violations;
use super::ledger::{self, Change, Reason};
use crate::access::Reach;
use crate::error::ProductError;
use crate::store::{self, ProductRow};

/// Longest note of a manual adjustment.
const MAX_NOTE_CHARS: usize = 500;
/// Longest caller reference of a manual adjustment.
const MAX_REFERENCE_CHARS: usize = 100;
/// How often a refused update whose cause vanished meanwhile (a concurrent change) is tried
/// again before the refusal is returned.
const ATTEMPTS: usize = 3;

/// A checked AdjustStock request.
struct Adjustment {
    product_id: Uuid,
    delta: i64,
    reason: Reason,
    expected_quantity: Option<i64>,
}

fn check(request: &pb::AdjustStockRequest) -> Result<Adjustment, ProductError> {
    let mut violations = Violations::default();
    let product_id = violations.id("product_id", &request.product_id);
    let reason = Reason::from_pb(request.reason);
    if request.delta == 0 {
        violations.add("delta", "must not be 0");
    }
    match reason {
        None => violations.add("reason", "is required"),
        Some(reason) if request.delta != 0 && !reason.fits(request.delta) => {
            violations.add("delta", "its sign does not fit `reason`");
        }
        Some(_) => {}
    }
    if request.expected_quantity.is_some_and(|expected| expected < 0) {
        violations.add("expected_quantity", "must not be negative");
    }
    violations.max_chars("note", &request.note, MAX_NOTE_CHARS);
    violations.max_chars("reference", &request.reference, MAX_REFERENCE_CHARS);
    if request.request_id.is_empty() {
        violations.add("request_id", "is required");
    }
    violations.finish()?;
    match (product_id, reason) {
        (Some(product_id), Some(reason)) => Ok(Adjustment {
            product_id,
            delta: request.delta,
            reason,
            expected_quantity: request.expected_quantity,
        }),
        _ => Err(anyhow::anyhow!("checked AdjustStock fields missing").into()),
    }
}

/// Adjusts a product's stock (see `ProductService.AdjustStock`).
pub(crate) async fn adjust_stock(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::AdjustStockRequest,
) -> Result<pb::AdjustStockResponse, ProductError> {
    let reach = stock_reach(auth)?;
    let adjustment = check(&request)?;
    let content = pb::AdjustStockRequest {
        request_id: String::new(),
        ..request.clone()
    }
    .encode_to_vec();
    let key = IdempotencyKey::new(
        Module::Product,
        "AdjustStock",
        principal(auth),
        &request.request_id,
        &content,
    )?;
    let actor = Actor::of(auth).with_request_id(&request.request_id);

    let mut tx = ctx.db.begin().await?;
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        return pb::AdjustStockResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored AdjustStock response: {error}").into());
    }
    let product = apply(&mut tx, reach, &adjustment).await?;
    let movement = ledger::record(
        &mut tx,
        &actor,
        &Change {
            product_id: product.id,
            merchant_id: product.merchant_id,
            delta: adjustment.delta,
            quantity_after: product.count_in_stock,
            reserved_after: product.reserved_quantity,
            reason: adjustment.reason,
            reference: &request.reference,
            note: &request.note,
        },
    )
    .await?;
    let response = pb::AdjustStockResponse {
        product: Some(product.to_pb()),
        movement: Some(movement.to_pb()),
    };
    if let Some(key) = &key {
        key.complete(&mut tx, &response).await?;
    }
    tx.commit().await?;
    crate::cache::invalidate(ctx, product.id).await;
    Ok(response)
}

/// Applies the change with one conditional UPDATE; when it matches no row, says why.
async fn apply(
    conn: &mut PgConnection,
    reach: Reach,
    adjustment: &Adjustment,
) -> Result<ProductRow, ProductError> {
    let merchant = match reach {
        Reach::Platform => None,
        Reach::Merchant(merchant_id) => Some(merchant_id),
    };
    for _ in 0..ATTEMPTS {
        let updated: Option<ProductRow> = sqlx::query_as!(
            ProductRow,
            "UPDATE products.products \
             SET count_in_stock = count_in_stock + $2, updated_at = now() \
             WHERE id = $1 AND deleted_at IS NULL \
               AND count_in_stock + $2 >= reserved_quantity \
               AND ($3::bigint IS NULL OR count_in_stock = $3) \
               AND ($4::uuid IS NULL OR merchant_id = $4) \
             RETURNING id, merchant_id, category_id, name, description, brand, weight_grams, price_minor, \
             currency_code, count_in_stock, reserved_quantity, barcode, slug, image_key, \
             image_content_type, created_at, updated_at, deleted_at",
            adjustment.product_id,
            adjustment.delta,
            adjustment.expected_quantity,
            merchant,
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(product) = updated {
            return Ok(product);
        }
        if let Some(refusal) = refusal(conn, reach, adjustment).await? {
            return Err(refusal);
        }
    }
    // The row kept changing between the update and the diagnosis: report what it is now.
    refusal(conn, reach, adjustment).await?.map_or_else(
        || Err(anyhow::anyhow!("AdjustStock kept racing concurrent changes").into()),
        Err,
    )
}

/// Why the conditional update matched no row, read after it (`None`: the row now accepts the
/// change, a concurrent change made room; try again).
async fn refusal(
    conn: &mut PgConnection,
    reach: Reach,
    adjustment: &Adjustment,
) -> Result<Option<ProductError>, ProductError> {
    let id = adjustment.product_id.to_string();
    let Some(product) = store::find(conn, adjustment.product_id).await? else {
        return Ok(Some(ProductError::NotFound(id)));
    };
    if !reach.covers(product.merchant_id) {
        return Ok(Some(ProductError::PermissionMissing(STOCK)));
    }
    if product.deleted_at.is_some() {
        return Ok(Some(ProductError::Trashed(id)));
    }
    if let Some(expected) = adjustment.expected_quantity
        && expected != product.count_in_stock
    {
        return Ok(Some(ProductError::StockQuantityMismatch {
            product_id: id,
            current: product.count_in_stock,
        }));
    }
    let available = product.count_in_stock - product.reserved_quantity;
    if available + adjustment.delta < 0 {
        return Ok(Some(ProductError::InsufficientStock {
            product_id: id,
            available,
            requested: -adjustment.delta,
        }));
    }
    Ok(None)
}
