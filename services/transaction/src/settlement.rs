//! What the transaction module applies from the merchant module's events (`pos.merchant.v1.events`):
//! SettlementRequested → every SUCCEEDED, unsettled payment and refund of the merchant completed
//! before the cut-off (the period is half-open: a later settlement takes what completes at it) is
//! stamped with the settlement id (a conditional UPDATE, so nothing is
//! settled twice), the totals are stored (one row per settlement id, so a repeated request yields
//! the same result) and SettlementCompleted is published — or SettlementFailed when the request
//! cannot be processed (cut-off in the future, unsettled transactions in another currency).
//!
//! The handler runs in the consumer's inbox transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::merchant::v1::SettlementRequested;
use pos_platform::events::{Actor, Event, EventHandler, HandlerError, MalformedEvent};
use pos_platform::module::Subscription;

use crate::events::{self, SettlementRow};
use crate::refunds::{actor_of, event_id};
use crate::store::{self, PAYMENT};

/// Clock skew tolerated between the merchant module's cut-off and this process.
const CLOCK_SKEW_SECONDS: i64 = 60;

/// The subscription to the merchant module's events.
pub(crate) fn merchant_events() -> Subscription {
    Subscription::new(
        pos_platform::events::topics::events_topic(Module::Merchant),
        Arc::new(MerchantEvents),
    )
}

struct MerchantEvents;

impl EventHandler for MerchantEvents {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == SettlementRequested::full_name() {
                let requested = event.decode::<SettlementRequested>()?;
                settle(tx, &requested).await
            } else {
                Ok(())
            }
        })
    }
}

async fn settle(tx: &mut PgConnection, requested: &SettlementRequested) -> Result<(), HandlerError> {
    let event_type = SettlementRequested::full_name();
    let settlement_id = event_id(&requested.settlement_id, "settlement_id", &event_type)?;
    let merchant_id = event_id(&requested.merchant_id, "merchant_id", &event_type)?;
    let cut_off = requested
        .cut_off_time
        .as_ref()
        .and_then(store::from_timestamp)
        .ok_or_else(|| {
            HandlerError::Malformed(MalformedEvent::Payload {
                event_type: event_type.clone(),
                reason: "cut_off_time is missing or out of range".to_owned(),
            })
        })?;
    let currency = requested.currency_code.as_str();
    let actor = actor_of(requested.meta.as_ref());

    let existing = sqlx::query_as!(
        SettlementRow,
        "SELECT id, merchant_id, currency_code, period_start, cut_off, gross_minor, refunds_minor, \
           payment_count, refund_count, completed_at \
         FROM transactions.settlements WHERE id = $1",
        settlement_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(existing) = existing {
        events::settlement_completed(tx, &actor, &existing).await?;
        return Ok(());
    }
    if cut_off > Utc::now() + chrono::Duration::seconds(CLOCK_SKEW_SECONDS) {
        return fail(
            tx,
            &actor,
            settlement_id,
            merchant_id,
            "CUT_OFF_IN_FUTURE",
            format!("the cut-off {cut_off} is in the future"),
        )
        .await;
    }
    // Serialise settlements of one merchant, so each one's period starts where the previous ended.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('transactions.settle:' || $1::uuid::text, 0))",
        merchant_id,
    )
    .execute(&mut *tx)
    .await?;
    let currencies = sqlx::query_scalar!(
        "SELECT DISTINCT currency_code FROM transactions.transactions \
         WHERE merchant_id = $1 AND status = 'SUCCEEDED' AND settlement_id IS NULL AND completed_at < $2",
        merchant_id,
        cut_off,
    )
    .fetch_all(&mut *tx)
    .await?;
    if let Some(other) = currencies.iter().find(|code| *code != currency) {
        return fail(
            tx,
            &actor,
            settlement_id,
            merchant_id,
            "CURRENCY_MISMATCH",
            format!("unsettled transactions are in {other}, the request in {currency}"),
        )
        .await;
    }
    let previous_cut_off = sqlx::query_scalar!(
        "SELECT max(cut_off) FROM transactions.settlements WHERE merchant_id = $1",
        merchant_id,
    )
    .fetch_one(&mut *tx)
    .await?;

    // `completed_at < $3` keeps NULL completion times out.
    let stamped: Vec<(String, i64, DateTime<Utc>)> = sqlx::query!(
        "UPDATE transactions.transactions SET settlement_id = $1, settled_at = now(), updated_at = now() \
         WHERE merchant_id = $2 AND status = 'SUCCEEDED' AND settlement_id IS NULL AND completed_at < $3 \
         RETURNING kind, amount_minor, completed_at AS \"completed_at!\"",
        settlement_id,
        merchant_id,
        cut_off,
    )
    .map(|row| (row.kind, row.amount_minor, row.completed_at))
    .fetch_all(&mut *tx)
    .await?;
    let totals = Totals::of(&stamped);
    let period_start = previous_cut_off
        .or_else(|| stamped.iter().map(|(_, _, completed)| *completed).min())
        .unwrap_or(cut_off);
    let settlement = sqlx::query_as!(
        SettlementRow,
        "INSERT INTO transactions.settlements (id, merchant_id, currency_code, period_start, cut_off, \
            gross_minor, refunds_minor, payment_count, refund_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING id, merchant_id, currency_code, period_start, cut_off, gross_minor, refunds_minor, \
           payment_count, refund_count, completed_at",
        settlement_id,
        merchant_id,
        currency,
        period_start.min(cut_off),
        cut_off,
        totals.gross,
        totals.refunds,
        totals.payments,
        totals.refund_count,
    )
    .fetch_one(&mut *tx)
    .await?;
    events::settlement_completed(tx, &actor, &settlement).await?;
    Ok(())
}

async fn fail(
    tx: &mut PgConnection,
    actor: &Actor,
    settlement_id: Uuid,
    merchant_id: Uuid,
    reason: &str,
    message: String,
) -> Result<(), HandlerError> {
    tracing::warn!(%settlement_id, %merchant_id, reason, "settlement failed");
    events::settlement_failed(tx, actor, settlement_id, merchant_id, reason, message).await?;
    Ok(())
}

/// The totals of the transactions of one settlement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) gross: i64,
    pub(crate) refunds: i64,
    pub(crate) payments: i64,
    pub(crate) refund_count: i64,
}

impl Totals {
    /// Sums (kind, amount, completed) rows.
    pub(crate) fn of(rows: &[(String, i64, DateTime<Utc>)]) -> Self {
        let mut totals = Totals::default();
        for (kind, amount, _) in rows {
            if kind == PAYMENT {
                totals.gross += amount;
                totals.payments += 1;
            } else {
                totals.refunds += amount;
                totals.refund_count += 1;
            }
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payments_are_gross_and_refunds_are_counted_apart() {
        let now = Utc::now();
        let rows = [
            ("PAYMENT".to_owned(), 1000, now),
            ("PAYMENT".to_owned(), 500, now),
            ("REFUND".to_owned(), 200, now),
        ];
        assert_eq!(
            Totals::of(&rows),
            Totals {
                gross: 1500,
                refunds: 200,
                payments: 2,
                refund_count: 1
            }
        );
    }
}
