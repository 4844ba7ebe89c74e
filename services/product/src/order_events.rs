//! The consumer of `pos.order.v1.events`: what an order's life does to stock.
//!
//! - `OrderPaid` commits the order's reservation (SALE ledger rows), as
//!   `ProductService.CommitReservation` does. The order is paid, so the goods are gone: a
//!   reservation still PENDING past its expiry (not yet swept) is committed too.
//! - `OrderRefunded` puts the refunded units of the lines with `restock` back on hand (REFUND
//!   ledger rows whose reference is the refund id, with `StockAdjusted`); a product already
//!   restocked for that refund is skipped, so a refund is restocked once even if it were
//!   published twice.
//! - `OrderCancelled` releases the order's reservation (the order module released it already
//!   through `ProductService.ReleaseReservation`; this is the idempotent backup).
//!
//! Every write happens on the handler's connection, in the transaction that records the event
//! in the inbox, so a redelivered event changes nothing. The cached products are invalidated by
//! the after-apply hook, once that transaction committed.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::order::v1::{OrderCancelled, OrderPaid, OrderRefunded};
use pos_platform::ModuleContext;
use pos_platform::events::{Actor, AfterApply, Event, EventHandler, HandlerError};
use pos_platform::module::Subscription;

use crate::error::ProductError;
use crate::stock::ledger::{self, Change, Reason};
use crate::stock::reservation::{self, Read, State};
use crate::stock::settle::commit_pending;

/// The subscription of the module to the order topic.
pub(crate) fn subscription(ctx: &ModuleContext) -> Subscription {
    let mut subscription = Subscription::new(
        pos_platform::events::topics::events_topic(pos_api::Module::Order),
        Arc::new(OrderStockHandler),
    );
    subscription.after_apply = Some(invalidate_hook(ctx.clone()));
    subscription
}

/// Applies order events to stock.
struct OrderStockHandler;

impl EventHandler for OrderStockHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == OrderPaid::full_name() {
                let paid = event.decode::<OrderPaid>()?;
                commit(tx, &actor(paid.meta.as_ref()), &paid.order_id).await?;
            } else if event.event_type == OrderRefunded::full_name() {
                let refunded = event.decode::<OrderRefunded>()?;
                restock(tx, &actor(refunded.meta.as_ref()), &refunded).await?;
            } else if event.event_type == OrderCancelled::full_name() {
                let cancelled = event.decode::<OrderCancelled>()?;
                release(tx, &actor(cancelled.meta.as_ref()), &cancelled.order_id).await?;
            }
            Ok(())
        })
    }
}

impl From<ProductError> for HandlerError {
    fn from(error: ProductError) -> Self {
        HandlerError::Failed(anyhow::anyhow!("{error}"))
    }
}

/// The user whose request caused the event, when there was one.
fn actor(meta: Option<&pos_api::pos::common::v1::EventMeta>) -> Actor {
    Actor {
        user_id: meta.and_then(|meta| Uuid::parse_str(&meta.actor_user_id).ok()),
        request_id: meta.map(|meta| meta.request_id.clone()).unwrap_or_default(),
    }
}

fn order_id(value: &str) -> Option<Uuid> {
    let parsed = Uuid::parse_str(value).ok();
    if parsed.is_none() {
        tracing::warn!(
            order_id = value,
            "an order event without a valid order id; ignored"
        );
    }
    parsed
}

/// Commits the order's reservation unless it was committed already.
async fn commit(conn: &mut PgConnection, actor: &Actor, order_id: &str) -> Result<(), ProductError> {
    let Some(order_id) = self::order_id(order_id) else {
        return Ok(());
    };
    let Some(current) = reservation::load(conn, order_id, Read::ForUpdate).await? else {
        tracing::warn!(%order_id, "a paid order without a stock reservation; nothing to commit");
        return Ok(());
    };
    match current.state {
        State::Pending => {
            commit_pending(conn, actor, &current).await?;
        }
        State::Committed => {}
        State::Released | State::Expired => {
            // The order module compensates an order paid after it was cancelled; stock was
            // given back already, so there is nothing to sell here.
            tracing::error!(%order_id, state = current.state.as_str(), "a paid order whose reservation was closed; stock not committed");
        }
    }
    Ok(())
}

/// Releases the order's reservation while it is PENDING.
async fn release(conn: &mut PgConnection, actor: &Actor, order_id: &str) -> Result<(), ProductError> {
    let Some(order_id) = self::order_id(order_id) else {
        return Ok(());
    };
    let Some(current) = reservation::load(conn, order_id, Read::ForUpdate).await? else {
        return Ok(());
    };
    match current.state {
        State::Pending => {
            let (actor, state) = if current.lapsed {
                (Actor::default(), State::Expired)
            } else {
                (actor.clone(), State::Released)
            };
            reservation::close(conn, &actor, &current, state).await?;
        }
        State::Released | State::Expired => {}
        State::Committed => {
            tracing::error!(%order_id, "a cancelled order whose reservation was committed; nothing released");
        }
    }
    Ok(())
}

/// Puts the units of the lines marked `restock` back on hand, once per (refund, product).
async fn restock(
    conn: &mut PgConnection,
    actor: &Actor,
    refunded: &OrderRefunded,
) -> Result<(), ProductError> {
    let reference = if refunded.refund_id.is_empty() {
        refunded.order_id.clone()
    } else {
        refunded.refund_id.clone()
    };
    let note = format!("refund of order {}", refunded.order_id);
    // One change per product, in id order (the order every stock writer locks rows in).
    let mut quantities: BTreeMap<Uuid, i64> = BTreeMap::new();
    for line in refunded
        .lines
        .iter()
        .filter(|line| line.restock && line.quantity > 0)
    {
        match Uuid::parse_str(&line.product_id) {
            Ok(product_id) => *quantities.entry(product_id).or_default() += line.quantity,
            Err(_) => tracing::warn!(
                product_id = line.product_id,
                "a refunded line without a valid product id; not restocked"
            ),
        }
    }
    for (product_id, quantity) in quantities {
        let after: Option<(Uuid, i64, i64)> = sqlx::query!(
            "UPDATE products.products SET count_in_stock = count_in_stock + $2, updated_at = now() \
             WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM products.stock_movements \
                 WHERE product_id = $1 AND reason = 'refund' AND reference = $3) \
             RETURNING merchant_id, count_in_stock, reserved_quantity",
            product_id,
            quantity,
            &reference,
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| (row.merchant_id, row.count_in_stock, row.reserved_quantity));
        let Some((merchant_id, quantity_after, reserved_after)) = after else {
            // Purged since, or restocked for this refund already.
            continue;
        };
        ledger::record(
            conn,
            actor,
            &Change {
                product_id,
                merchant_id,
                delta: quantity,
                quantity_after,
                reserved_after,
                reason: Reason::Refund,
                reference: &reference,
                note: &note,
            },
        )
        .await?;
    }
    Ok(())
}

/// After an order event committed: drops the cached products it changed (the reservation's
/// products, and the refunded lines').
fn invalidate_hook(ctx: ModuleContext) -> AfterApply {
    Arc::new(move |event: &Event| {
        let ctx = ctx.clone();
        let products = touched(event);
        async move {
            let Some((order_id, mut products)) = products else {
                return;
            };
            match sqlx::query_scalar!(
                "SELECT product_id FROM products.stock_reservation_lines WHERE order_id = $1",
                order_id,
            )
            .fetch_all(&ctx.db)
            .await
            {
                Ok(reserved) => products.extend(reserved),
                Err(error) => {
                    tracing::warn!(%error, %order_id, "the reserved products of an order could not be read")
                }
            }
            products.sort_unstable();
            products.dedup();
            reservation::invalidate(&ctx, products).await;
        }
        .boxed()
    })
}

/// The order of a stock-relevant event and the products its payload names.
fn touched(event: &Event) -> Option<(Uuid, Vec<Uuid>)> {
    let (order_id, products) = if event.event_type == OrderPaid::full_name() {
        let paid = event.decode::<OrderPaid>().ok()?;
        let products = paid
            .lines
            .iter()
            .map(|line| line.product_id.clone())
            .collect::<Vec<_>>();
        (paid.order_id, products)
    } else if event.event_type == OrderRefunded::full_name() {
        let refunded = event.decode::<OrderRefunded>().ok()?;
        let products = refunded
            .lines
            .iter()
            .map(|line| line.product_id.clone())
            .collect();
        (refunded.order_id, products)
    } else if event.event_type == OrderCancelled::full_name() {
        (event.decode::<OrderCancelled>().ok()?.order_id, Vec::new())
    } else {
        return None;
    };
    let order_id = Uuid::parse_str(&order_id).ok()?;
    Some((
        order_id,
        products
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect(),
    ))
}
