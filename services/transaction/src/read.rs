//! GetTransaction and ListTransactions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::transaction::v1 as pb;
use pos_platform::listing::escape_like;
use pos_platform::{AuthContext, ModuleContext, paging};

use crate::access::Reach;
use crate::error::TransactionError;
use crate::store::{self, READ, TransactionRow, parse_id, parse_optional_id};

/// Longest free-text query accepted.
const MAX_QUERY_CHARS: usize = 200;

/// Returns one transaction (see `TransactionService.GetTransaction`).
pub(crate) async fn get_transaction(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::GetTransactionRequest,
) -> Result<pb::GetTransactionResponse, TransactionError> {
    let id = parse_id("transaction_id", &request.transaction_id)?;
    let reach = Reach::of(auth, READ)?;
    let found = store::find(&mut *ctx.db.acquire().await?, id).await?;
    let transaction = reach.visible(id, found)?;
    Ok(pb::GetTransactionResponse {
        transaction: Some(transaction.to_pb()),
    })
}

/// The filters a page token is bound to.
#[derive(Serialize, Debug, PartialEq, Eq)]
struct Filters {
    merchant_id: Option<Uuid>,
    order_id: Option<Uuid>,
    cashier_id: Option<Uuid>,
    settlement_id: Option<Uuid>,
    kind: Option<&'static str>,
    method: Option<&'static str>,
    status: Option<&'static str>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    lifecycle: &'static str,
    query: String,
}

/// Where the next page starts: after this transaction, in (create time, id) descending order.
#[derive(Serialize, Deserialize)]
struct Cursor {
    created_at: DateTime<Utc>,
    id: Uuid,
}

/// Lists transactions newest first, page by page (see `TransactionService.ListTransactions`).
pub(crate) async fn list_transactions(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::ListTransactionsRequest,
) -> Result<pb::ListTransactionsResponse, TransactionError> {
    let filters = filters(auth, request)?;
    let page_size = paging::page_size(Module::Transaction, request.page_size)?;
    let cursor: Option<Cursor> =
        ctx.page_tokens
            .decode(Module::Transaction, &request.page_token, &filters)?;
    let pattern = escape_like(&filters.query);

    let mut conn = ctx.db.acquire().await?;
    // The count and the page filter alike ($1–$11, see [`Filters`]).
    let total = sqlx::query_scalar!(
        "SELECT count(*) AS \"count!\" FROM transactions.transactions \
         WHERE ($1::uuid IS NULL OR merchant_id = $1) \
           AND ($2::uuid IS NULL OR order_id = $2) \
           AND ($3::uuid IS NULL OR cashier_id = $3) \
           AND ($4::uuid IS NULL OR settlement_id = $4) \
           AND ($5::text IS NULL OR kind = $5) \
           AND ($6::text IS NULL OR method = $6) \
           AND ($7::text IS NULL OR status = $7) \
           AND ($8::timestamptz IS NULL OR created_at >= $8) \
           AND ($9::timestamptz IS NULL OR created_at < $9) \
           AND ($10 = 'all' OR ($10 = 'active' AND deleted_at IS NULL) \
                OR ($10 = 'trashed' AND deleted_at IS NOT NULL)) \
           AND ($11 = '' OR id::text ILIKE $11 || '%' OR order_id::text ILIKE $11 || '%' \
                OR processor_reference ILIKE $11 || '%' OR failure_message ILIKE '%' || $11 || '%')",
        filters.merchant_id,
        filters.order_id,
        filters.cashier_id,
        filters.settlement_id,
        filters.kind,
        filters.method,
        filters.status,
        filters.start,
        filters.end,
        filters.lifecycle,
        &pattern,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows = sqlx::query_as!(
        TransactionRow,
        "SELECT id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
         tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
         refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
         settled_at, created_at, updated_at, completed_at, deleted_at \
         FROM transactions.transactions \
         WHERE ($1::uuid IS NULL OR merchant_id = $1) \
           AND ($2::uuid IS NULL OR order_id = $2) \
           AND ($3::uuid IS NULL OR cashier_id = $3) \
           AND ($4::uuid IS NULL OR settlement_id = $4) \
           AND ($5::text IS NULL OR kind = $5) \
           AND ($6::text IS NULL OR method = $6) \
           AND ($7::text IS NULL OR status = $7) \
           AND ($8::timestamptz IS NULL OR created_at >= $8) \
           AND ($9::timestamptz IS NULL OR created_at < $9) \
           AND ($10 = 'all' OR ($10 = 'active' AND deleted_at IS NULL) \
                OR ($10 = 'trashed' AND deleted_at IS NOT NULL)) \
           AND ($11 = '' OR id::text ILIKE $11 || '%' OR order_id::text ILIKE $11 || '%' \
                OR processor_reference ILIKE $11 || '%' OR failure_message ILIKE '%' || $11 || '%') \
           AND ($12::timestamptz IS NULL OR (created_at, id) < ($12, $13)) \
         ORDER BY created_at DESC, id DESC LIMIT $14",
        filters.merchant_id,
        filters.order_id,
        filters.cashier_id,
        filters.settlement_id,
        filters.kind,
        filters.method,
        filters.status,
        filters.start,
        filters.end,
        filters.lifecycle,
        &pattern,
        cursor.as_ref().map(|cursor| cursor.created_at),
        cursor.as_ref().map(|cursor| cursor.id),
        i64::from(page_size) + 1,
    )
    .fetch_all(&mut *conn)
    .await?;

    let page = usize::try_from(page_size).unwrap_or(usize::MAX);
    let more = rows.len() > page;
    rows.truncate(page);
    let next_page_token = match rows.last() {
        Some(last) if more => ctx.page_tokens.encode(
            &Cursor {
                created_at: last.created_at,
                id: last.id,
            },
            &filters,
        ),
        _ => String::new(),
    };
    Ok(pb::ListTransactionsResponse {
        transactions: rows.iter().map(TransactionRow::to_pb).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// The request's filters, checked and narrowed to the caller's scope.
fn filters(auth: &AuthContext, request: &pb::ListTransactionsRequest) -> Result<Filters, TransactionError> {
    let merchant_id = parse_optional_id("merchant_id", &request.merchant_id)?;
    let order_id = parse_optional_id("order_id", &request.order_id)?;
    let mut cashier_id = parse_optional_id("cashier_id", &request.cashier_id)?;
    let settlement_id = parse_optional_id("settlement_id", &request.settlement_id)?;
    let known = |value: i32, parsed: Option<&'static str>, field: &str| {
        if value != 0 && parsed.is_none() {
            Err(TransactionError::invalid(field, "is not a known value"))
        } else {
            Ok(parsed)
        }
    };
    let kind = known(request.kind, store::kind_from_pb(request.kind), "kind")?;
    let method = known(request.method, store::method_from_pb(request.method), "method")?;
    let status = known(request.status, store::status_from_pb(request.status), "status")?;
    let lifecycle = pos_platform::listing::lifecycle_filter(request.lifecycle)
        .ok_or_else(|| TransactionError::invalid("lifecycle", "is not a known lifecycle"))?;
    let start = request
        .create_time_start
        .as_ref()
        .map(time("create_time_start"))
        .transpose()?;
    let end = request
        .create_time_end
        .as_ref()
        .map(time("create_time_end"))
        .transpose()?;
    if let (Some(start), Some(end)) = (start, end)
        && end <= start
    {
        return Err(TransactionError::invalid(
            "create_time_end",
            "must be after create_time_start",
        ));
    }
    let query = request.query.trim().to_owned();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(TransactionError::invalid(
            "query",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }

    let reach = Reach::of(auth, READ)?;
    let merchant_id = reach.requested_merchant(merchant_id)?;
    if let Reach::Cashier { cashier_id: own, .. } = reach
        && order_id.is_none()
    {
        match cashier_id {
            Some(wanted) if wanted != own => {
                return Err(TransactionError::ScopeDenied(
                    "cashiers list their own transactions, or those of one order",
                ));
            }
            _ => cashier_id = Some(own),
        }
    }
    Ok(Filters {
        merchant_id,
        order_id,
        cashier_id,
        settlement_id,
        kind,
        method,
        status,
        start,
        end,
        lifecycle,
        query,
    })
}

fn time(field: &'static str) -> impl Fn(&prost_types::Timestamp) -> Result<DateTime<Utc>, TransactionError> {
    move |value| {
        store::from_timestamp(value).ok_or_else(|| TransactionError::invalid(field, "is not a valid time"))
    }
}
