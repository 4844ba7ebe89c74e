//! CancelOrder, and the background task that cancels OPEN orders past their `expire_time`.
//!
//! Both lock the order row, release its reservation (ProductService.ReleaseReservation,
//! idempotent) and mark it CANCELLED with its OrderCancelled event in one transaction.

use std::time::Duration;

use futures::FutureExt as _;
use tokio::sync::watch;
use uuid::Uuid;

use pos_api::pos::order::v1 as pb;
use pos_platform::background::BackgroundTask;
use pos_platform::{AuthContext, ModuleContext};

use crate::access::{self, WRITE};
use crate::error::OrderError;
use crate::events::{self, Cause};
use crate::refund;
use crate::store::{self, OrderRow, parse_id};
use crate::upstream;

/// Longest cancel reason.
const MAX_REASON_CHARS: usize = 500;
/// The reason of an automatic cancellation.
pub(crate) const EXPIRED_REASON: &str = "expired: not paid before expire_time";
/// How often the task looks for expired orders.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Cancels an OPEN order (see `OrderService.CancelOrder`).
pub(crate) async fn cancel_order(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::CancelOrderRequest,
) -> Result<pb::CancelOrderResponse, OrderError> {
    let order_id = parse_id("order_id", &request.order_id)?;
    let reason = request.reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(OrderError::invalid(
            "reason",
            format!("must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    let mut tx = ctx.db.begin().await?;
    let row = access::writable(
        auth,
        WRITE,
        false,
        order_id,
        store::lock(&mut tx, order_id).await?,
    )?;
    if row.is("cancelled") {
        return Ok(pb::CancelOrderResponse {
            order: Some(store::full(&mut tx, &row).await?),
        });
    }
    if !row.is("open") {
        return Err(OrderError::NotOpen(order_id.to_string()));
    }
    if row.amount_paid_minor > 0 {
        return Err(OrderError::HasPayments(order_id.to_string()));
    }
    upstream::release(ctx, order_id).await?;
    let cause = Cause {
        actor_user_id: auth.user_id(),
        request_id: String::new(),
    };
    mark_cancelled(&mut tx, &row, reason, &cause).await?;
    let order = store::reload(&mut tx, order_id).await?;
    tx.commit().await?;
    Ok(pb::CancelOrderResponse { order: Some(order) })
}

/// Marks the locked OPEN order `row` CANCELLED and appends OrderCancelled.
async fn mark_cancelled(
    conn: &mut sqlx::PgConnection,
    row: &OrderRow,
    reason: &str,
    cause: &Cause,
) -> Result<OrderRow, OrderError> {
    let cancelled = sqlx::query_as!(
        OrderRow,
        "UPDATE orders.orders SET state = 'cancelled', cancel_reason = $2, cancelled_at = now(), \
           expires_at = NULL, updated_at = now() WHERE id = $1 AND state = 'open' \
         RETURNING id, merchant_id, cashier_id, state, currency_code, subtotal_minor, tax_rate_basis_points, \
         tax_minor, total_minor, amount_paid_minor, amount_refunded_minor, cancel_reason, \
         created_at, updated_at, expires_at, paid_at, cancelled_at, deleted_at",
        row.id,
        reason,
    )
    .fetch_one(&mut *conn)
    .await?;
    events::cancelled(conn, &cancelled, cause).await?;
    Ok(cancelled)
}

/// The order-expiry task.
pub(crate) fn expiry_task(ctx: &ModuleContext) -> BackgroundTask {
    let ctx = ctx.clone();
    BackgroundTask::new("order.expiry", move |stop| run(ctx, stop).boxed())
}

async fn run(ctx: ModuleContext, mut stop: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        loop {
            match expire_one(&ctx).await {
                Ok(Some(_)) => {
                    if *stop.borrow() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, "cancelling expired orders failed; retrying at the next tick");
                    break;
                }
            }
        }
    }
}

/// Cancels one OPEN order past its `expire_time` that no other transaction holds; `None` when
/// there is none. Money already paid on it (a partial payment) is given back by a compensating
/// refund.
pub(crate) async fn expire_one(ctx: &ModuleContext) -> Result<Option<Uuid>, OrderError> {
    let mut tx = ctx.db.begin().await?;
    let due = sqlx::query_as!(
        OrderRow,
        "SELECT id, merchant_id, cashier_id, state, currency_code, subtotal_minor, tax_rate_basis_points, \
         tax_minor, total_minor, amount_paid_minor, amount_refunded_minor, cancel_reason, \
         created_at, updated_at, expires_at, paid_at, cancelled_at, deleted_at \
         FROM orders.orders WHERE state = 'open' AND expires_at <= now() \
           AND (amount_paid_minor = 0 OR amount_paid_minor < total_minor) \
         ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = due else {
        return Ok(None);
    };
    if let Err(error) = upstream::release(ctx, row.id).await {
        // Try this order again later, so one order the product module refuses does not hold up
        // the expiry of every other one.
        sqlx::query!(
            "UPDATE orders.orders SET expires_at = now() + interval '1 minute' WHERE id = $1",
            row.id,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Err(error);
    }
    let cancelled = mark_cancelled(&mut tx, &row, EXPIRED_REASON, &Cause::default()).await?;
    let outstanding = cancelled.amount_paid_minor - cancelled.amount_refunded_minor;
    if outstanding > 0 {
        refund::compensate(&mut tx, row.id, 0, outstanding, None).await?;
    }
    tx.commit().await?;
    tracing::info!(order_id = %row.id, "unpaid order expired and was cancelled");
    Ok(Some(row.id))
}
