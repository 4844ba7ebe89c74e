//! The consumer of `pos.transaction.v1.events` that records the results of settlements:
//! `SettlementCompleted` makes a REQUESTED settlement COMPLETED with its totals,
//! `SettlementFailed` makes it FAILED with the reason; each publishes `SettlementRecorded` in the
//! same transaction. The updates are conditional (`WHERE state = 'requested'`), so a result
//! arriving twice, or a second result, changes nothing. The merchant row is locked first, as
//! RequestSettlement locks it, so a new request never reads the previous cut-off while a result is
//! being recorded.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::common::v1::Money;
use pos_api::pos::transaction::v1::{SettlementCompleted, SettlementFailed};
use pos_platform::ModuleContext;
use pos_platform::events::{Event, EventHandler, HandlerError};

use super::events;
use super::store::SettlementRow;
use super::time_of;
use crate::owner;
use crate::store as merchants;

/// Records the results the transaction module reports.
pub(crate) struct SettlementResultHandler {
    ctx: ModuleContext,
}

impl SettlementResultHandler {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        SettlementResultHandler { ctx }
    }
}

/// What a result does to a REQUESTED settlement.
enum Outcome {
    Completed {
        period_start: Option<DateTime<Utc>>,
        gross: i64,
        refunds: i64,
        payment_count: i64,
        refund_count: i64,
        complete_time: DateTime<Utc>,
    },
    Failed {
        reason: String,
    },
}

impl EventHandler for SettlementResultHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == SettlementCompleted::full_name() {
                let completed = event.decode::<SettlementCompleted>()?;
                let outcome = Outcome::Completed {
                    period_start: completed.period_start_time.as_ref().and_then(time_of),
                    gross: amount(completed.gross.as_ref()),
                    refunds: amount(completed.refunds.as_ref()).abs(),
                    payment_count: completed.payment_count.max(0),
                    refund_count: completed.refund_count.max(0),
                    complete_time: completed
                        .complete_time
                        .as_ref()
                        .and_then(time_of)
                        .unwrap_or_else(Utc::now),
                };
                self.record(tx, &completed.settlement_id, outcome).await
            } else if event.event_type == SettlementFailed::full_name() {
                let failed = event.decode::<SettlementFailed>()?;
                let reason = if failed.reason.is_empty() {
                    failed.message
                } else {
                    failed.reason
                };
                self.record(tx, &failed.settlement_id, Outcome::Failed { reason })
                    .await
            } else {
                Ok(())
            }
        })
    }
}

fn amount(money: Option<&Money>) -> i64 {
    money.map_or(0, |money| money.amount_minor)
}

impl SettlementResultHandler {
    async fn record(
        &self,
        tx: &mut PgConnection,
        settlement_id: &str,
        outcome: Outcome,
    ) -> Result<(), HandlerError> {
        let Ok(id) = Uuid::parse_str(settlement_id) else {
            tracing::warn!(
                settlement_id,
                "a settlement result without a valid settlement id; ignored"
            );
            return Ok(());
        };
        let found: Option<(Uuid, String)> = sqlx::query!(
            "SELECT merchant_id, state FROM merchants.settlements WHERE id = $1",
            id
        )
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| (row.merchant_id, row.state));
        let Some((merchant_id, state)) = found else {
            tracing::warn!(%id, "a result for an unknown (or purged) settlement; ignored");
            return Ok(());
        };
        if state != "requested" {
            return Ok(());
        }
        // The owner's e-mail comes from the user module: ask before taking any lock.
        let Some(merchant) = merchants::find(&mut *tx, merchant_id).await? else {
            return Ok(());
        };
        let owner = owner::profile(&self.ctx, merchant.owner_user_id)
            .await
            .map_err(|error| anyhow::anyhow!("the owner's profile: {error}"))?;
        let Some(merchant) = merchants::lock(&mut *tx, merchant_id).await? else {
            return Ok(());
        };
        let Some(recorded) = apply(tx, id, &outcome).await? else {
            // Recorded meanwhile by another delivery.
            return Ok(());
        };
        events::recorded(tx, &recorded, &merchant, &owner).await?;
        Ok(())
    }
}

async fn apply(
    conn: &mut PgConnection,
    id: Uuid,
    outcome: &Outcome,
) -> Result<Option<SettlementRow>, sqlx::Error> {
    match outcome {
        Outcome::Completed {
            period_start,
            gross,
            refunds,
            payment_count,
            refund_count,
            complete_time,
        } => {
            sqlx::query_as!(
                SettlementRow,
                "UPDATE merchants.settlements SET state = 'completed', period_start_at = $2, \
                 gross_minor = $3, refunds_minor = $4, net_minor = $3::bigint - $4::bigint, \
                 payment_count = $5, refund_count = $6, completed_at = $7 \
                 WHERE id = $1 AND state = 'requested' \
                 RETURNING id, merchant_id, requester_user_id, cut_off_at, currency_code, state, \
                 period_start_at, gross_minor, refunds_minor, net_minor, payment_count, refund_count, \
                 failure_reason, created_at, completed_at",
                id,
                *period_start,
                *gross,
                *refunds,
                *payment_count,
                *refund_count,
                *complete_time,
            )
            .fetch_optional(conn)
            .await
        }
        Outcome::Failed { reason } => sqlx::query_as!(
            SettlementRow,
            "UPDATE merchants.settlements SET state = 'failed', failure_reason = $2, completed_at = now() \
             WHERE id = $1 AND state = 'requested' \
             RETURNING id, merchant_id, requester_user_id, cut_off_at, currency_code, state, \
             period_start_at, gross_minor, refunds_minor, net_minor, payment_count, refund_count, \
             failure_reason, created_at, completed_at",
            id,
            reason,
        )
        .fetch_optional(conn)
        .await,
    }
}
