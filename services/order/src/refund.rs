//! RefundOrder, and the compensating refund of money paid on an order that was cancelled.
//!
//! A refund locks the order row, so refunds of one order are serialised; item quantities are
//! raised with conditional updates (never past the quantity sold) and the money never exceeds
//! `amount_paid - amount_refunded`: the refund that completes the order gives back exactly the
//! rest.

use std::collections::HashSet;

use prost::Message as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::order::v1 as pb;
use pos_platform::idempotency::Claim;
use pos_platform::{AuthContext, ModuleContext};

use crate::access::{self, REFUND};
use crate::error::OrderError;
use crate::events::{self, Cause};
use crate::money;
use crate::store::{self, ItemRow, OrderRow, RefundLineRow, RefundRow, parse_id};

const OPERATION: &str = "RefundOrder";
/// Longest refund reason.
const MAX_REASON_CHARS: usize = 500;
/// The reason of the refund that gives back a payment made on an order cancelled meanwhile.
pub(crate) const COMPENSATION_REASON: &str = "ORDER_CANCELLED_BEFORE_PAYMENT";

/// A checked refund line: the item, the units, whether they go back into stock.
struct Line {
    item: ItemRow,
    quantity: i64,
    restock: bool,
}

/// Refunds a paid order in full or by lines (see `OrderService.RefundOrder`).
pub(crate) async fn refund_order(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RefundOrderRequest,
) -> Result<pb::RefundOrderResponse, OrderError> {
    let order_id = parse_id("order_id", &request.order_id)?;
    let reason = request.reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(OrderError::invalid(
            "reason",
            format!("must be 1–{MAX_REASON_CHARS} characters"),
        ));
    }
    let mut asked = Vec::with_capacity(request.lines.len());
    let mut seen = HashSet::new();
    for (index, line) in request.lines.iter().enumerate() {
        let item_id = parse_id(&format!("lines[{index}].order_item_id"), &line.order_item_id)?;
        if line.quantity < 1 {
            return Err(OrderError::invalid(
                format!("lines[{index}].quantity"),
                "must be at least 1",
            ));
        }
        if !seen.insert(item_id) {
            return Err(OrderError::invalid(
                format!("lines[{index}].order_item_id"),
                "appears on another line",
            ));
        }
        asked.push((item_id, line.quantity, line.restock));
    }
    let mut content = format!(
        "refund:{order_id}:{reason}:{}",
        request.lines.is_empty() && request.restock_all
    );
    let mut sorted = asked.clone();
    sorted.sort_unstable();
    for (item_id, quantity, restock) in &sorted {
        content.push_str(&format!(";{item_id}x{quantity}:{restock}"));
    }
    let key = crate::idem::key(
        OPERATION,
        access::principal(auth),
        &request.request_id,
        content.as_bytes(),
    )?;

    let mut tx = ctx.db.begin().await?;
    if let Claim::Replay(response) = key.claim(&mut tx).await? {
        return Ok(pb::RefundOrderResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored RefundOrder response: {error}"))?);
    }
    let row = access::writable(
        auth,
        REFUND,
        false,
        order_id,
        store::lock(&mut tx, order_id).await?,
    )?;
    if row.is("open") || row.is("cancelled") {
        return Err(OrderError::NotPaid(order_id.to_string()));
    }
    let items = store::items(&mut tx, order_id).await?;
    let lines = choose_lines(&items, &asked, request.restock_all)?;
    let cause = Cause {
        actor_user_id: auth.user_id(),
        request_id: request.request_id.clone(),
    };
    let (after, refund) = record(&mut tx, &row, &lines, reason, &cause).await?;
    let (refunds, refund_lines) = store::refunds(&mut tx, order_id).await?;
    let refund_pb = refunds
        .iter()
        .find(|candidate| candidate.id == refund.id)
        .map(|candidate| candidate.to_pb(&after.currency_code, &refund_lines))
        .ok_or_else(|| anyhow::anyhow!("refund {} vanished", refund.id))?;
    let response = pb::RefundOrderResponse {
        order: Some(store::full(&mut tx, &after).await?),
        refund: Some(refund_pb),
    };
    key.complete(&mut tx, &response).await?;
    tx.commit().await?;
    Ok(response)
}

/// The lines to refund: the asked ones checked against the items, or every unit not refunded yet.
fn choose_lines(
    items: &[ItemRow],
    asked: &[(Uuid, i64, bool)],
    restock_all: bool,
) -> Result<Vec<Line>, OrderError> {
    if asked.is_empty() {
        let lines: Vec<Line> = items
            .iter()
            .filter(|item| item.quantity > item.refunded_quantity)
            .map(|item| Line {
                item: item.clone(),
                quantity: item.quantity - item.refunded_quantity,
                restock: restock_all,
            })
            .collect();
        if lines.is_empty() {
            let first = items.first().map(|item| item.id.to_string()).unwrap_or_default();
            return Err(OrderError::RefundExceedsPaid {
                order_item_id: first,
                refundable: 0,
            });
        }
        return Ok(lines);
    }
    asked
        .iter()
        .map(|(item_id, quantity, restock)| {
            let item = items
                .iter()
                .find(|item| item.id == *item_id)
                .ok_or_else(|| OrderError::ItemNotFound(item_id.to_string()))?;
            let refundable = item.quantity - item.refunded_quantity;
            if *quantity > refundable {
                return Err(OrderError::RefundExceedsPaid {
                    order_item_id: item_id.to_string(),
                    refundable,
                });
            }
            Ok(Line {
                item: item.clone(),
                quantity: *quantity,
                restock: *restock,
            })
        })
        .collect()
}

/// Writes the refund of `lines` on the locked order `row` and its OrderRefunded event; returns
/// the order after it and the refund.
async fn record(
    conn: &mut PgConnection,
    row: &OrderRow,
    lines: &[Line],
    reason: &str,
    cause: &Cause,
) -> Result<(OrderRow, RefundRow), OrderError> {
    let lines_sum = lines.iter().fold(0_i64, |sum, line| {
        sum.saturating_add(line.quantity.saturating_mul(line.item.unit_price_minor))
    });
    for line in lines {
        let raised = sqlx::query!(
            "UPDATE orders.order_items SET refunded_quantity = refunded_quantity + $2, updated_at = now() \
             WHERE id = $1 AND refunded_quantity + $2 <= quantity",
            line.item.id,
            line.quantity,
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if raised != 1 {
            return Err(OrderError::RefundExceedsPaid {
                order_item_id: line.item.id.to_string(),
                refundable: line.item.quantity - line.item.refunded_quantity,
            });
        }
    }
    // Never NULL: the lines are items of this order, so it has some.
    let everything = sqlx::query_scalar!(
        "SELECT bool_and(refunded_quantity = quantity) AS \"everything!\" \
         FROM orders.order_items WHERE order_id = $1",
        row.id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let outstanding = (row.amount_paid_minor - row.amount_refunded_minor).max(0);
    let (amount, tax) = if everything {
        (outstanding, (outstanding - lines_sum).max(0))
    } else {
        let tax = money::tax(lines_sum, row.tax_rate_basis_points);
        ((lines_sum.saturating_add(tax)).min(outstanding), tax)
    };
    let refund = sqlx::query_as!(
        RefundRow,
        "INSERT INTO orders.refunds (id, order_id, tax_minor, amount_minor, reason, actor_user_id) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING id, order_id, tax_minor, amount_minor, reason, actor_user_id, created_at",
        Uuid::now_v7(),
        row.id,
        tax.min(amount),
        amount,
        reason,
        cause.actor_user_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut line_rows = Vec::with_capacity(lines.len());
    for (position, line) in lines.iter().enumerate() {
        let line_row = RefundLineRow {
            refund_id: refund.id,
            order_item_id: line.item.id,
            product_id: line.item.product_id,
            quantity: line.quantity,
            amount_minor: line.quantity.saturating_mul(line.item.unit_price_minor),
            restock: line.restock,
        };
        sqlx::query!(
            "INSERT INTO orders.refund_lines (refund_id, position, order_item_id, product_id, quantity, \
               amount_minor, restock) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            refund.id,
            i32::try_from(position).unwrap_or(i32::MAX),
            line_row.order_item_id,
            line_row.product_id,
            line_row.quantity,
            line_row.amount_minor,
            line_row.restock,
        )
        .execute(&mut *conn)
        .await?;
        line_rows.push(line_row);
    }
    let after = sqlx::query_as!(
        OrderRow,
        "UPDATE orders.orders SET amount_refunded_minor = amount_refunded_minor + $2, \
           state = CASE WHEN $3 THEN 'refunded' ELSE 'partially_refunded' END, updated_at = now() \
         WHERE id = $1 RETURNING id, merchant_id, cashier_id, state, currency_code, subtotal_minor, tax_rate_basis_points, \
         tax_minor, total_minor, amount_paid_minor, amount_refunded_minor, cancel_reason, \
         created_at, updated_at, expires_at, paid_at, cancelled_at, deleted_at",
        row.id,
        amount,
        everything,
    )
    .fetch_one(&mut *conn)
    .await?;
    let items = store::items(&mut *conn, row.id).await?;
    events::refunded(conn, &after, &items, &refund, &line_rows, cause).await?;
    Ok((after, refund))
}

/// Gives back `amount` paid on order `order_id` that is no longer OPEN (cancelled while a payment
/// ran): raises `amount_paid` by `add_paid` (the payment being applied, 0 when it was counted
/// already) and `amount_refunded` by `amount`, records a refund without lines (nothing is
/// restocked: the stock was released) and publishes OrderRefunded, so the transaction module
/// gives the money back. Once per payment when `payment_id` is given.
pub(crate) async fn compensate(
    conn: &mut PgConnection,
    order_id: Uuid,
    add_paid: i64,
    amount: i64,
    payment_id: Option<&str>,
) -> Result<(), OrderError> {
    if let Some(payment_id) = payment_id {
        let done = sqlx::query_scalar!(
            "SELECT EXISTS (SELECT 1 FROM orders.refunds WHERE payment_id = $1) AS \"done!\"",
            payment_id,
        )
        .fetch_one(&mut *conn)
        .await?;
        if done {
            return Ok(());
        }
    }
    let after = sqlx::query_as!(
        OrderRow,
        "UPDATE orders.orders SET amount_paid_minor = amount_paid_minor + $2, \
           amount_refunded_minor = amount_refunded_minor + $3, updated_at = now() \
         WHERE id = $1 RETURNING id, merchant_id, cashier_id, state, currency_code, subtotal_minor, tax_rate_basis_points, \
         tax_minor, total_minor, amount_paid_minor, amount_refunded_minor, cancel_reason, \
         created_at, updated_at, expires_at, paid_at, cancelled_at, deleted_at",
        order_id,
        add_paid,
        amount,
    )
    .fetch_one(&mut *conn)
    .await?;
    let refund = sqlx::query_as!(
        RefundRow,
        "INSERT INTO orders.refunds (id, order_id, tax_minor, amount_minor, reason, payment_id) \
         VALUES ($1, $2, 0, $3, $4, $5) \
         RETURNING id, order_id, tax_minor, amount_minor, reason, actor_user_id, created_at",
        Uuid::now_v7(),
        order_id,
        amount,
        COMPENSATION_REASON,
        payment_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    events::refunded(conn, &after, &[], &refund, &[], &Cause::default()).await?;
    tracing::info!(%order_id, amount, "money paid on a cancelled order is given back");
    Ok(())
}
