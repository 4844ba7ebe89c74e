//! RequestSettlement: a REQUESTED settlement and its `SettlementRequested` event in one
//! transaction, idempotent by `request_id`. The merchant row is locked for the transaction, so
//! requests of one merchant (and the recording of their results) run one at a time; the partial
//! unique index on REQUESTED settlements is what refuses a second one in flight.

use chrono::{DateTime, Utc};
use prost::Message as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::merchant::v1 as pb;
use pos_platform::AuthContext;
use pos_platform::db::unique_violation;
use pos_platform::events::Actor;
use pos_platform::idempotency::{Claim, IdempotencyKey};

use super::store::{self, ONE_REQUESTED_PER_MERCHANT, SettlementRow};
use super::{SETTLE, events, time_of};
use crate::Shared;
use crate::access;
use crate::create::principal;
use crate::error::MerchantError;
use crate::store::{self as merchants, MerchantRow, parse_id};

/// A checked RequestSettlement request.
struct Checked {
    merchant_id: Uuid,
    cut_off: DateTime<Utc>,
}

fn check(request: &pb::RequestSettlementRequest, now: DateTime<Utc>) -> Result<Checked, MerchantError> {
    let merchant_id = parse_id("merchant_id", &request.merchant_id)?;
    if request.request_id.trim().is_empty() {
        return Err(MerchantError::invalid("request_id", "is required"));
    }
    let cut_off = match &request.cut_off_time {
        None => now,
        Some(time) => {
            time_of(time).ok_or_else(|| MerchantError::invalid("cut_off_time", "is not a valid time"))?
        }
    };
    if cut_off > now {
        return Err(MerchantError::Refused {
            reason: "CUT_OFF_IN_FUTURE",
            field: "cut_off_time".to_owned(),
            description: "must not be in the future".to_owned(),
        });
    }
    Ok(Checked { merchant_id, cut_off })
}

/// Requests a settlement (see `MerchantService.RequestSettlement`).
pub(crate) async fn request_settlement(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::RequestSettlementRequest,
) -> Result<pb::RequestSettlementResponse, MerchantError> {
    let checked = check(request, Utc::now())?;
    let content = pb::RequestSettlementRequest {
        request_id: String::new(),
        ..request.clone()
    }
    .encode_to_vec();
    let key = IdempotencyKey::new(
        Module::Merchant,
        "RequestSettlement",
        principal(auth),
        &request.request_id,
        &content,
    )?;
    let actor = Actor::of(auth).with_request_id(&request.request_id);

    let mut tx = shared.ctx.db.begin().await?;
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        let first = pb::RequestSettlementResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored RequestSettlement response: {error}"))?;
        return current_state(&mut tx, first).await;
    }
    let merchant = merchants::lock(&mut tx, checked.merchant_id).await?;
    access::check(
        auth,
        &[SETTLE],
        checked.merchant_id,
        merchant.as_ref().map(|row| row.owner_user_id),
    )?;
    let merchant = merchant.ok_or_else(|| MerchantError::NotFound(checked.merchant_id.to_string()))?;
    may_settle(&merchant)?;
    if let Some(previous) = store::last_completed_cut_off(&mut tx, merchant.id).await?
        && checked.cut_off <= previous
    {
        return Err(MerchantError::CutOffNotAfterPrevious {
            id: merchant.id.to_string(),
            previous,
        });
    }
    let settlement = insert(&mut tx, &merchant, auth.user_id(), checked.cut_off).await?;
    events::requested(&mut tx, &actor, &settlement).await?;
    let response = pb::RequestSettlementResponse {
        settlement: Some(settlement.to_pb()),
    };
    if let Some(key) = &key {
        key.complete(&mut tx, &response).await?;
    }
    tx.commit().await?;
    Ok(response)
}

/// ACTIVE and SUSPENDED merchants may settle; PENDING, REJECTED and trashed ones may not.
fn may_settle(merchant: &MerchantRow) -> Result<(), MerchantError> {
    let status = merchant.status();
    let settles = matches!(status, pb::MerchantStatus::Active | pb::MerchantStatus::Suspended);
    if settles && merchant.deleted_at.is_none() {
        Ok(())
    } else {
        Err(MerchantError::NotActive(merchant.id.to_string()))
    }
}

/// The replayed response with the settlement as it is now.
async fn current_state(
    conn: &mut PgConnection,
    first: pb::RequestSettlementResponse,
) -> Result<pb::RequestSettlementResponse, MerchantError> {
    let Some(id) = first
        .settlement
        .as_ref()
        .and_then(|settlement| Uuid::parse_str(&settlement.id).ok())
    else {
        return Ok(first);
    };
    Ok(match store::find_with_owner(conn, id).await? {
        Some((row, _)) => pb::RequestSettlementResponse {
            settlement: Some(row.to_pb()),
        },
        // Purged with its merchant since: the first answer is all there is.
        None => first,
    })
}

async fn insert(
    conn: &mut PgConnection,
    merchant: &MerchantRow,
    requester: Option<Uuid>,
    cut_off: DateTime<Utc>,
) -> Result<SettlementRow, MerchantError> {
    sqlx::query_as!(
        SettlementRow,
        "INSERT INTO merchants.settlements (id, merchant_id, requester_user_id, cut_off_at, currency_code) \
         VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, merchant_id, requester_user_id, cut_off_at, currency_code, state, period_start_at, \
         gross_minor, refunds_minor, net_minor, payment_count, refund_count, failure_reason, \
         created_at, completed_at",
        Uuid::now_v7(),
        merchant.id,
        requester,
        cut_off,
        &merchant.currency_code,
    )
    .fetch_one(conn)
    .await
    .map_err(|error| {
        if unique_violation(&error) == Some(ONE_REQUESTED_PER_MERCHANT) {
            MerchantError::SettlementInProgress(merchant.id.to_string())
        } else {
            MerchantError::Database(error)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cut_off: Option<DateTime<Utc>>) -> pb::RequestSettlementRequest {
        pb::RequestSettlementRequest {
            merchant_id: Uuid::now_v7().to_string(),
            cut_off_time: cut_off.map(crate::store::timestamp),
            request_id: Uuid::now_v7().to_string(),
        }
    }

    #[test]
    fn an_unset_cut_off_means_now() {
        let now = Utc::now();
        assert_eq!(check(&request(None), now).unwrap().cut_off, now);
    }

    #[test]
    fn a_cut_off_in_the_future_is_refused() {
        let now = Utc::now();
        let later = now + chrono::Duration::seconds(1);
        assert!(matches!(
            check(&request(Some(later)), now),
            Err(MerchantError::Refused {
                reason: "CUT_OFF_IN_FUTURE",
                ..
            })
        ));
    }

    #[test]
    fn a_request_id_is_required() {
        let mut without = request(None);
        without.request_id.clear();
        assert!(matches!(
            check(&without, Utc::now()),
            Err(MerchantError::InvalidField { .. })
        ));
    }
}
