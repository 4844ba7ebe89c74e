//! UpdateOrderLines: replaces the lines of an OPEN order without payments, with its reservation.
//!
//! The order row stays locked from the check to the write, so two changes of one order (or a
//! change and a payment, cancel or expiry) never interleave; the reservation is set (all lines
//! or none) before the new lines are written, and set back to the old lines if the write fails.

use std::collections::HashMap;

use chrono::Utc;
use prost::Message as _;
use uuid::Uuid;

use pos_api::pos::order::v1 as pb;
use pos_platform::idempotency::Claim;
use pos_platform::{AuthContext, ModuleContext};

use crate::access::{self, WRITE};
use crate::create::{self, Snapshot};
use crate::error::OrderError;
use crate::events::{self, Cause};
use crate::store::{self, ItemRow, OrderRow, parse_id};
use crate::{money, upstream};

const OPERATION: &str = "UpdateOrderLines";

/// The product lines of a request's items.
pub(crate) fn lines_of(field: &str, items: &[pb::OrderItem]) -> Result<Vec<(Uuid, i64)>, OrderError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            parse_id(&format!("{field}[{index}].product_id"), &item.product_id).map(|id| (id, item.quantity))
        })
        .collect()
}

/// Replaces the lines of an order (see `OrderService.UpdateOrderLines`).
pub(crate) async fn update_order_lines(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::UpdateOrderLinesRequest,
) -> Result<pb::UpdateOrderLinesResponse, OrderError> {
    let order_id = parse_id("order_id", &request.order_id)?;
    if request.items.is_empty() {
        return Err(OrderError::invalid(
            "items",
            "must hold 1–200 items (cancel the order instead)",
        ));
    }
    let lines = create::merge_lines("items", &lines_of("items", &request.items)?)?;
    let mut content = format!("update:{order_id}:").into_bytes();
    content.extend(create::fingerprint(Uuid::nil(), Uuid::nil(), &lines));
    let key = crate::idem::key(OPERATION, access::principal(auth), &request.request_id, &content)?;

    let mut tx = ctx.db.begin().await?;
    if let Claim::Replay(response) = key.claim(&mut tx).await? {
        return Ok(pb::UpdateOrderLinesResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored UpdateOrderLines response: {error}"))?);
    }
    let row = access::writable(
        auth,
        WRITE,
        false,
        order_id,
        store::lock(&mut tx, order_id).await?,
    )?;
    if !row.is("open") {
        return Err(OrderError::NotOpen(order_id.to_string()));
    }
    if row.amount_paid_minor > 0 {
        return Err(OrderError::HasPayments(order_id.to_string()));
    }
    upstream::active_merchant(ctx, row.merchant_id).await?;
    let old_items = store::items(&mut tx, order_id).await?;
    let reservation = upstream::reserve(ctx, order_id, row.merchant_id, &lines).await?;
    let snapshots = create::snapshots(&reservation)?;
    let written = async {
        let order = write(&mut tx, ctx, &row, &old_items, &lines, &snapshots).await?;
        let cause = Cause {
            actor_user_id: auth.user_id(),
            request_id: request.request_id.clone(),
        };
        events::lines_changed(&mut tx, &order, order_id, &cause).await?;
        let response = pb::UpdateOrderLinesResponse { order: Some(order) };
        key.complete(&mut tx, &response).await?;
        Ok::<_, OrderError>(response)
    }
    .await;
    let committed = match written {
        Ok(response) => tx.commit().await.map(|()| response).map_err(OrderError::from),
        Err(error) => Err(error),
    };
    if committed.is_err() {
        let old: Vec<(Uuid, i64)> = old_items
            .iter()
            .map(|item| (item.product_id, item.quantity))
            .collect();
        if let Err(error) = upstream::reserve(ctx, order_id, row.merchant_id, &old).await {
            tracing::warn!(%order_id, %error, "could not set the reservation back after a failed line change");
        }
    }
    committed
}

/// Writes the new lines and totals of `row`; kept products keep their price snapshot.
async fn write(
    conn: &mut sqlx::PgConnection,
    ctx: &ModuleContext,
    row: &OrderRow,
    old_items: &[ItemRow],
    lines: &[(Uuid, i64)],
    snapshots: &HashMap<Uuid, Snapshot>,
) -> Result<pb::Order, OrderError> {
    let now = Utc::now();
    let kept: HashMap<Uuid, &ItemRow> = old_items.iter().map(|item| (item.product_id, item)).collect();
    let wanted: Vec<Uuid> = lines.iter().map(|(product_id, _)| *product_id).collect();
    sqlx::query!(
        "DELETE FROM orders.order_items WHERE order_id = $1 AND NOT (product_id = ANY($2))",
        row.id,
        &wanted,
    )
    .execute(&mut *conn)
    .await?;
    let mut priced = Vec::with_capacity(lines.len());
    for (position, (product_id, quantity)) in lines.iter().enumerate() {
        if let Some(item) = kept.get(product_id) {
            sqlx::query!(
                "UPDATE orders.order_items SET quantity = $2, position = $3, \
                   updated_at = CASE WHEN quantity = $2 AND position = $3 THEN updated_at ELSE $4 END \
                 WHERE id = $1",
                item.id,
                *quantity,
                i32::try_from(position).unwrap_or(i32::MAX),
                now,
            )
            .execute(&mut *conn)
            .await?;
            priced.push((*quantity, item.unit_price_minor));
        } else {
            let snapshot = snapshots
                .get(product_id)
                .ok_or_else(|| anyhow::anyhow!("reservation without product {product_id}"))?;
            create::insert_item(
                conn,
                row.id,
                row.merchant_id,
                position,
                *product_id,
                *quantity,
                snapshot,
                now,
            )
            .await?;
            priced.push((*quantity, snapshot.unit_price_minor));
        }
    }
    let (subtotal, tax, total) = money::totals(priced, row.tax_rate_basis_points);
    let expires_at =
        now + chrono::Duration::from_std(upstream::order_hold(ctx)).map_err(anyhow::Error::from)?;
    sqlx::query!(
        "UPDATE orders.orders SET subtotal_minor = $2, tax_minor = $3, total_minor = $4, \
           updated_at = $5, expires_at = $6 WHERE id = $1",
        row.id,
        subtotal,
        tax,
        total,
        now,
        expires_at,
    )
    .execute(&mut *conn)
    .await?;
    store::reload(conn, row.id).await
}
