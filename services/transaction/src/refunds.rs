//! What the transaction module applies from the order module's events (`pos.order.v1.events`):
//! OrderRefunded → REFUND transactions that give the refund back through the order's SUCCEEDED
//! payments, latest first, each at most what is left of it, and one RefundRecorded per transaction.
//!
//! The handler runs in the consumer's inbox transaction: a redelivered event changes nothing.

use std::sync::Arc;

use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::order::v1::OrderRefunded;
use pos_platform::events::{Actor, Event, EventHandler, HandlerError, MalformedEvent};
use pos_platform::module::Subscription;

use crate::events;
use crate::store::{self, Amounts, TransactionRow};

/// The subscription to the order module's events.
pub(crate) fn order_events() -> Subscription {
    Subscription::new(
        pos_platform::events::topics::events_topic(Module::Order),
        Arc::new(OrderEvents),
    )
}

struct OrderEvents;

impl EventHandler for OrderEvents {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == OrderRefunded::full_name() {
                let refunded = event.decode::<OrderRefunded>()?;
                record_refund(tx, &refunded).await
            } else {
                Ok(())
            }
        })
    }
}

/// Parses id `value` of field `field` of event type `event_type`.
pub(crate) fn event_id(value: &str, field: &str, event_type: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(value).map_err(|_| {
        HandlerError::Malformed(MalformedEvent::Payload {
            event_type: event_type.to_owned(),
            reason: format!("{field} `{value}` is not a UUID"),
        })
    })
}

/// The actor of an event: its user and request, as its meta names them.
pub(crate) fn actor_of(meta: Option<&pos_api::pos::common::v1::EventMeta>) -> Actor {
    let meta = meta.cloned().unwrap_or_default();
    Actor {
        user_id: Uuid::parse_str(&meta.actor_user_id).ok(),
        request_id: meta.request_id,
    }
}

/// How much of each payment (latest first) gives back `amount`: (payment, part) pairs.
pub(crate) fn split(amount: i64, payments_latest_first: &[(Uuid, i64)]) -> Vec<(Uuid, i64)> {
    let mut left = amount;
    let mut parts = Vec::new();
    for &(payment, available) in payments_latest_first {
        if left <= 0 {
            break;
        }
        let part = available.min(left);
        if part > 0 {
            parts.push((payment, part));
            left -= part;
        }
    }
    parts
}

async fn record_refund(tx: &mut PgConnection, refunded: &OrderRefunded) -> Result<(), HandlerError> {
    let event_type = OrderRefunded::full_name();
    let order_id = event_id(&refunded.order_id, "order_id", &event_type)?;
    let refund_id = event_id(&refunded.refund_id, "refund_id", &event_type)?;
    let amount = refunded.amount.as_ref().map_or(0, |money| money.amount_minor);
    if amount <= 0 {
        return Ok(());
    }
    if store::lock_existing_order(tx, order_id)
        .await
        .map_err(failed)?
        .is_none()
    {
        tracing::warn!(%order_id, %refund_id, "refund of an order this module took no payment for");
        return Ok(());
    }
    let already = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM transactions.transactions WHERE refund_id = $1) AS \"already!\"",
        refund_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    if already {
        return Ok(());
    }
    let mut all = store::of_order(tx, order_id).await.map_err(failed)?;
    let mut payments: Vec<&TransactionRow> = all
        .iter()
        .filter(|t| t.is_payment() && t.status == store::SUCCEEDED)
        .collect();
    payments.sort_by_key(|t| std::cmp::Reverse((t.completed_at, t.created_at, t.id)));
    let available: Vec<(Uuid, i64)> = payments
        .iter()
        .map(|payment| {
            let given: i64 = all
                .iter()
                .filter(|t| t.kind == store::REFUND && t.refunded_transaction_id == Some(payment.id))
                .map(|t| t.amount_minor)
                .sum();
            (payment.id, payment.amount_minor - given)
        })
        .collect();
    let parts = split(amount, &available);
    let covered: i64 = parts.iter().map(|(_, part)| part).sum();
    if covered < amount {
        tracing::warn!(%order_id, %refund_id, amount, covered, "refund exceeds what the order's payments can give back");
    }
    let actor = actor_of(refunded.meta.as_ref());
    for (payment_id, part) in parts {
        let payment = all
            .iter()
            .find(|t| t.id == payment_id)
            .cloned()
            .ok_or_else(|| HandlerError::Failed(anyhow::anyhow!("payment {payment_id} vanished")))?;
        let refund = sqlx::query_as!(
            TransactionRow,
            "INSERT INTO transactions.transactions (id, order_id, merchant_id, cashier_id, kind, method, status, \
                currency_code, amount_minor, refund_id, refunded_transaction_id, completed_at) \
             VALUES ($1, $2, $3, $4, 'REFUND', $5, 'SUCCEEDED', $6, $7, $8, $9, now()) \
             RETURNING id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
             tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
             refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
             settled_at, created_at, updated_at, completed_at, deleted_at",
            Uuid::now_v7(),
            order_id,
            payment.merchant_id,
            payment.cashier_id,
            &payment.method,
            &payment.currency_code,
            part,
            refund_id,
            payment.id,
        )
        .fetch_one(&mut *tx)
        .await?;
        all.push(refund.clone());
        events::refund_recorded(tx, &actor, &refund, Amounts::of(&all)).await?;
    }
    Ok(())
}

/// A handler failure (retried) from a module error.
pub(crate) fn failed(error: crate::TransactionError) -> HandlerError {
    match error {
        crate::TransactionError::Database(error) => error.into(),
        other => HandlerError::Failed(anyhow::anyhow!(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_is_given_back_through_the_latest_payments_first() {
        let (card, cash) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            split(700, &[(card, 500), (cash, 500)]),
            [(card, 500), (cash, 200)]
        );
        assert_eq!(split(300, &[(card, 0), (cash, 500)]), [(cash, 300)]);
        assert_eq!(split(2000, &[(card, 500)]), [(card, 500)]);
    }
}
