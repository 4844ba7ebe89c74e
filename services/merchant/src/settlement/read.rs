//! GetSettlement and ListSettlements.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::merchant::v1 as pb;
use pos_platform::{AuthContext, paging};

use super::store::{self, SettlementRow};
use super::{SETTLE, time_of};
use crate::Shared;
use crate::access;
use crate::error::MerchantError;
use crate::store::{self as merchants, parse_id};

/// Returns one settlement (see `MerchantService.GetSettlement`).
pub(crate) async fn get_settlement(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::GetSettlementRequest,
) -> Result<pb::GetSettlementResponse, MerchantError> {
    let id = parse_id("settlement_id", &request.settlement_id)?;
    let mut conn = shared.ctx.db.acquire().await?;
    match store::find_with_owner(&mut conn, id).await? {
        Some((settlement, owner)) => {
            access::check(auth, &[SETTLE], settlement.merchant_id, Some(owner))?;
            Ok(pb::GetSettlementResponse {
                settlement: Some(settlement.to_pb()),
            })
        }
        None if access::is_platform(auth, &[SETTLE]) => {
            Err(MerchantError::SettlementNotFound(id.to_string()))
        }
        None => Err(MerchantError::PermissionMissing(SETTLE)),
    }
}

/// The filters a page token is bound to.
#[derive(Serialize)]
struct Filters {
    merchant: Option<Uuid>,
    state: Option<&'static str>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

/// Where the next page starts: after this settlement, in (cut-off, id) descending order.
#[derive(Serialize, Deserialize)]
struct Cursor {
    cut_off: DateTime<Utc>,
    id: Uuid,
}

/// Lists settlements, newest cut-off first (see `MerchantService.ListSettlements`).
pub(crate) async fn list_settlements(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::ListSettlementsRequest,
) -> Result<pb::ListSettlementsResponse, MerchantError> {
    let ctx = &shared.ctx;
    let page_size = paging::page_size(Module::Merchant, request.page_size)?;
    let state = match pb::SettlementState::try_from(request.state) {
        Ok(state) => store::state_to_db(state),
        Err(_) => return Err(MerchantError::invalid("state", "is not a known state")),
    };
    let start = optional_time("start_time", request.start_time.as_ref())?;
    let end = optional_time("end_time", request.end_time.as_ref())?;
    let merchant = match request.merchant_id.trim() {
        "" if access::is_platform(auth, &[SETTLE]) => None,
        "" => return Err(MerchantError::PermissionMissing(SETTLE)),
        id => {
            let id = parse_id("merchant_id", id)?;
            let mut conn = ctx.db.acquire().await?;
            let owner = merchants::find(&mut conn, id).await?.map(|row| row.owner_user_id);
            access::check(auth, &[SETTLE], id, owner)?;
            Some(id)
        }
    };
    let filters = Filters {
        merchant,
        state,
        start,
        end,
    };
    let cursor: Option<Cursor> = ctx
        .page_tokens
        .decode(Module::Merchant, &request.page_token, &filters)?;

    let mut conn = ctx.db.acquire().await?;
    // Both statements filter alike: $1 merchant (NULL: any), $2 state (NULL: any), $3/$4 cut-off
    // range (NULL: unbounded).
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM merchants.settlements
           WHERE ($1::uuid IS NULL OR merchant_id = $1)
             AND ($2::text IS NULL OR state = $2)
             AND ($3::timestamptz IS NULL OR cut_off_at >= $3)
             AND ($4::timestamptz IS NULL OR cut_off_at < $4)"#,
        merchant,
        state,
        start,
        end,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows = sqlx::query_as!(
        SettlementRow,
        r#"SELECT id, merchant_id, requester_user_id, cut_off_at, currency_code, state, period_start_at,
                  gross_minor, refunds_minor, net_minor, payment_count, refund_count, failure_reason,
                  created_at, completed_at
           FROM merchants.settlements
           WHERE ($1::uuid IS NULL OR merchant_id = $1)
             AND ($2::text IS NULL OR state = $2)
             AND ($3::timestamptz IS NULL OR cut_off_at >= $3)
             AND ($4::timestamptz IS NULL OR cut_off_at < $4)
             AND ($5::timestamptz IS NULL OR (cut_off_at, id) < ($5, $6))
           ORDER BY cut_off_at DESC, id DESC LIMIT $7"#,
        merchant,
        state,
        start,
        end,
        cursor.as_ref().map(|cursor| cursor.cut_off),
        cursor.as_ref().map(|cursor| cursor.id),
        i64::from(page_size) + 1,
    )
    .fetch_all(&mut *conn)
    .await?;

    let more = rows.len() > page_size as usize;
    rows.truncate(page_size as usize);
    let next_page_token = match rows.last() {
        Some(last) if more => ctx.page_tokens.encode(
            &Cursor {
                cut_off: last.cut_off_at,
                id: last.id,
            },
            &filters,
        ),
        _ => String::new(),
    };
    Ok(pb::ListSettlementsResponse {
        settlements: rows.iter().map(SettlementRow::to_pb).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

fn optional_time(
    field: &str,
    time: Option<&prost_types::Timestamp>,
) -> Result<Option<DateTime<Utc>>, MerchantError> {
    time.map(|time| time_of(time).ok_or_else(|| MerchantError::invalid(field, "is not a valid time")))
        .transpose()
}
