//! The `merchants.settlements` table: the row type, its wire form and the queries more than one
//! handler uses.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::common::v1::Money;
use pos_api::pos::merchant::v1 as pb;

use crate::store::timestamp;

/// The index that keeps at most one REQUESTED settlement per merchant.
pub(crate) const ONE_REQUESTED_PER_MERCHANT: &str = "settlements_one_requested_per_merchant_idx";

/// One settlement as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SettlementRow {
    pub(crate) id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) requester_user_id: Option<Uuid>,
    pub(crate) cut_off_at: DateTime<Utc>,
    pub(crate) currency_code: String,
    pub(crate) state: String,
    pub(crate) period_start_at: Option<DateTime<Utc>>,
    pub(crate) gross_minor: i64,
    pub(crate) refunds_minor: i64,
    pub(crate) net_minor: i64,
    pub(crate) payment_count: i64,
    pub(crate) refund_count: i64,
    pub(crate) failure_reason: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) completed_at: Option<DateTime<Utc>>,
}

impl SettlementRow {
    /// The settlement as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::Settlement {
        let money = |amount_minor| {
            Some(Money {
                currency_code: self.currency_code.clone(),
                amount_minor,
            })
        };
        pb::Settlement {
            id: self.id.to_string(),
            merchant_id: self.merchant_id.to_string(),
            requester_user_id: self
                .requester_user_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            cut_off_time: Some(timestamp(self.cut_off_at)),
            period_start_time: self.period_start_at.map(timestamp),
            period_end_time: Some(timestamp(self.cut_off_at)),
            state: state_from_db(&self.state).into(),
            gross: money(self.gross_minor),
            refunds: money(self.refunds_minor),
            net: money(self.net_minor),
            payment_count: self.payment_count,
            refund_count: self.refund_count,
            failure_reason: self.failure_reason.clone(),
            create_time: Some(timestamp(self.created_at)),
            complete_time: self.completed_at.map(timestamp),
        }
    }
}

/// The database spelling of a state (`None` for UNSPECIFIED).
pub(crate) fn state_to_db(state: pb::SettlementState) -> Option<&'static str> {
    match state {
        pb::SettlementState::Unspecified => None,
        pb::SettlementState::Requested => Some("requested"),
        pb::SettlementState::Completed => Some("completed"),
        pb::SettlementState::Failed => Some("failed"),
    }
}

/// The state stored as `value`.
pub(crate) fn state_from_db(value: &str) -> pb::SettlementState {
    match value {
        "requested" => pb::SettlementState::Requested,
        "completed" => pb::SettlementState::Completed,
        "failed" => pb::SettlementState::Failed,
        _ => pb::SettlementState::Unspecified,
    }
}

/// The settlement `id` with the owner of its merchant.
pub(crate) async fn find_with_owner(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<(SettlementRow, Uuid)>, sqlx::Error> {
    let found = sqlx::query!(
        "SELECT s.id, s.merchant_id, s.requester_user_id, s.cut_off_at, s.currency_code, s.state, \
         s.period_start_at, s.gross_minor, s.refunds_minor, s.net_minor, s.payment_count, \
         s.refund_count, s.failure_reason, s.created_at, s.completed_at, m.owner_user_id \
         FROM merchants.settlements s JOIN merchants.merchants m ON m.id = s.merchant_id WHERE s.id = $1",
        id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|found| {
        let settlement = SettlementRow {
            id: found.id,
            merchant_id: found.merchant_id,
            requester_user_id: found.requester_user_id,
            cut_off_at: found.cut_off_at,
            currency_code: found.currency_code,
            state: found.state,
            period_start_at: found.period_start_at,
            gross_minor: found.gross_minor,
            refunds_minor: found.refunds_minor,
            net_minor: found.net_minor,
            payment_count: found.payment_count,
            refund_count: found.refund_count,
            failure_reason: found.failure_reason,
            created_at: found.created_at,
            completed_at: found.completed_at,
        };
        (settlement, found.owner_user_id)
    }))
}

/// Whether a settlement of `merchant_id` is REQUESTED (call with the merchant row locked, which
/// RequestSettlement also locks, so the answer holds until the transaction ends).
pub(crate) async fn in_progress(conn: &mut PgConnection, merchant_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM merchants.settlements WHERE merchant_id = $1 AND state = 'requested')
           AS "exists!""#,
        merchant_id,
    )
    .fetch_one(conn)
    .await
}

/// Whether a settlement of `merchant_id` settled payments or refunds: the transaction module
/// still holds them, so the merchant is in use.
pub(crate) async fn settled_transactions(
    conn: &mut PgConnection,
    merchant_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM merchants.settlements WHERE merchant_id = $1
           AND (state = 'requested' OR payment_count > 0 OR refund_count > 0)) AS "exists!""#,
        merchant_id,
    )
    .fetch_one(conn)
    .await
}

/// The cut-off of the merchant's last COMPLETED settlement.
pub(crate) async fn last_completed_cut_off(
    conn: &mut PgConnection,
    merchant_id: Uuid,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT max(cut_off_at) FROM merchants.settlements WHERE merchant_id = $1 AND state = 'completed'",
        merchant_id,
    )
    .fetch_one(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_the_database() {
        for state in [
            pb::SettlementState::Requested,
            pb::SettlementState::Completed,
            pb::SettlementState::Failed,
        ] {
            assert_eq!(state_from_db(state_to_db(state).unwrap()), state);
        }
        assert_eq!(state_to_db(pb::SettlementState::Unspecified), None);
    }
}
