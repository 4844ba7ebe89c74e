//! The order module's consumer of the transaction module's events (`pos.transaction.v1.events`,
//! keyed by order id, so one order's payments arrive in order):
//!
//! - PaymentSucceeded: the payment is applied to the OPEN order's `amount_paid`; a payment of an
//!   order cancelled meanwhile (cancel or expiry while the payment ran) is given back at once by
//!   a compensating refund (reason ORDER_CANCELLED_BEFORE_PAYMENT, nothing restocked).
//! - RefundRecorded of a void (no `refund_id`): the OPEN order's `amount_paid` goes down.
//! - OrderFullyPaid: the OPEN order becomes PAID and OrderPaid is published, in this transaction.

use std::sync::Arc;

use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::transaction::v1 as tx_pb;
use pos_platform::ModuleContext;
use pos_platform::events::{Event, EventHandler, HandlerError, MalformedEvent};
use pos_platform::module::Subscription;

use crate::error::OrderError;
use crate::refund;
use crate::store::{self, OrderRow, timestamp};

/// The subscription to the transaction module's events.
pub(crate) fn subscription(_ctx: &ModuleContext) -> Subscription {
    Subscription::new(
        pos_platform::events::topics::events_topic(Module::Transaction),
        Arc::new(PaymentEvents),
    )
}

/// Applies payments to orders.
struct PaymentEvents;

impl EventHandler for PaymentEvents {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let applied = if event.event_type == tx_pb::PaymentSucceeded::full_name() {
                let succeeded = event.decode::<tx_pb::PaymentSucceeded>()?;
                payment_succeeded(tx, &event.event_type, &succeeded).await
            } else if event.event_type == tx_pb::RefundRecorded::full_name() {
                let recorded = event.decode::<tx_pb::RefundRecorded>()?;
                refund_recorded(tx, &event.event_type, &recorded).await
            } else if event.event_type == tx_pb::OrderFullyPaid::full_name() {
                let paid = event.decode::<tx_pb::OrderFullyPaid>()?;
                fully_paid(tx, &event.event_type, &paid).await
            } else {
                return Ok(());
            };
            applied.map_err(|error| match error {
                Applying::Malformed(malformed) => HandlerError::Malformed(malformed),
                Applying::Failed(error) => HandlerError::Failed(anyhow::anyhow!(error)),
            })
        })
    }
}

/// Why an event could not be applied.
enum Applying {
    Malformed(MalformedEvent),
    Failed(OrderError),
}

impl From<OrderError> for Applying {
    fn from(error: OrderError) -> Self {
        Applying::Failed(error)
    }
}

impl From<sqlx::Error> for Applying {
    fn from(error: sqlx::Error) -> Self {
        Applying::Failed(error.into())
    }
}

/// The order an event names.
fn order_id_of(id: &str, event_type: &str) -> Result<Uuid, Applying> {
    Uuid::parse_str(id).map_err(|_| {
        Applying::Malformed(MalformedEvent::Payload {
            event_type: event_type.to_owned(),
            reason: format!("order id `{id}` is not a UUID"),
        })
    })
}

/// The amount of a transaction.
fn amount_of(transaction: &tx_pb::Transaction) -> i64 {
    transaction
        .amount
        .as_ref()
        .map_or(0, |amount| amount.amount_minor)
}

async fn payment_succeeded(
    conn: &mut PgConnection,
    event_type: &str,
    event: &tx_pb::PaymentSucceeded,
) -> Result<(), Applying> {
    let Some(payment) = event.transaction.as_ref() else {
        return Ok(());
    };
    let order_id = order_id_of(&payment.order_id, event_type)?;
    let amount = amount_of(payment);
    let Some(row) = store::lock(&mut *conn, order_id).await? else {
        tracing::warn!(%order_id, "payment of an unknown order ignored");
        return Ok(());
    };
    if row.is("open") {
        sqlx::query!(
            "UPDATE orders.orders SET amount_paid_minor = amount_paid_minor + $2, updated_at = now() WHERE id = $1",
            order_id,
            amount,
        )
        .execute(&mut *conn)
        .await?;
    } else if row.is("cancelled") {
        refund::compensate(conn, order_id, amount, amount, Some(&payment.id)).await?;
    } else {
        tracing::warn!(%order_id, payment_id = %payment.id, state = %row.state, "payment of an order that is no longer open ignored");
    }
    Ok(())
}

async fn refund_recorded(
    conn: &mut PgConnection,
    event_type: &str,
    event: &tx_pb::RefundRecorded,
) -> Result<(), Applying> {
    let Some(refund) = event.transaction.as_ref() else {
        return Ok(());
    };
    if !refund.refund_id.is_empty() {
        // Money going back for a refund this module recorded: nothing to apply.
        return Ok(());
    }
    let order_id = order_id_of(&refund.order_id, event_type)?;
    sqlx::query!(
        "UPDATE orders.orders SET amount_paid_minor = GREATEST(amount_paid_minor - $2, 0), updated_at = now() \
         WHERE id = $1 AND state = 'open'",
        order_id,
        amount_of(refund),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn fully_paid(
    conn: &mut PgConnection,
    event_type: &str,
    event: &tx_pb::OrderFullyPaid,
) -> Result<(), Applying> {
    let order_id = order_id_of(&event.order_id, event_type)?;
    let paid_at = event.paid_time.as_ref().and_then(|time| {
        chrono::DateTime::from_timestamp(time.seconds, u32::try_from(time.nanos).unwrap_or(0))
    });
    let paid = sqlx::query_as!(
        OrderRow,
        "UPDATE orders.orders SET state = 'paid', paid_at = COALESCE($2, now()), \
           amount_paid_minor = total_minor, expires_at = NULL, updated_at = now() \
         WHERE id = $1 AND state = 'open' RETURNING id, merchant_id, cashier_id, state, currency_code, subtotal_minor, tax_rate_basis_points, \
         tax_minor, total_minor, amount_paid_minor, amount_refunded_minor, cancel_reason, \
         created_at, updated_at, expires_at, paid_at, cancelled_at, deleted_at",
        order_id,
        paid_at,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(paid) = paid else {
        // Already PAID (redelivery), or cancelled meanwhile: its payments were given back one by
        // one as they arrived (PaymentSucceeded).
        return Ok(());
    };
    let items = store::items(&mut *conn, order_id).await?;
    crate::events::paid(conn, &paid, &items).await?;
    tracing::info!(%order_id, paid_time = ?paid.paid_at.map(timestamp), "order paid");
    Ok(())
}
