//! GetOrder, ListOrders and OrderItemService.ListOrderItems.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::order::v1 as pb;
use pos_platform::auth::MerchantScope;
use pos_platform::{AuthContext, ModuleContext, paging};

use crate::access::{self, READ};
use crate::error::OrderError;
use crate::store::{self, ItemRow, OrderRow, parse_id, parse_optional_id};

/// Returns one order with its items and refunds (see `OrderService.GetOrder`).
pub(crate) async fn get_order(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::GetOrderRequest,
) -> Result<pb::GetOrderResponse, OrderError> {
    let id = parse_id("order_id", &request.order_id)?;
    let mut conn = ctx.db.acquire().await?;
    let row = access::readable(auth, id, store::find(&mut conn, id).await?)?;
    Ok(pb::GetOrderResponse {
        order: Some(store::full(&mut conn, &row).await?),
    })
}

/// The SQL lifecycle filter of a request's `lifecycle`.
fn lifecycle_filter(value: i32) -> Result<&'static str, OrderError> {
    pos_platform::listing::lifecycle_filter(value)
        .ok_or_else(|| OrderError::invalid("lifecycle", "is not a known lifecycle"))
}

/// A time filter of a request.
fn time_of(timestamp: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    timestamp.and_then(|time| DateTime::from_timestamp(time.seconds, u32::try_from(time.nanos).unwrap_or(0)))
}

/// The filters a ListOrders page token is bound to.
#[derive(Serialize)]
struct OrderFilters {
    merchant_id: Option<Uuid>,
    cashier_id: Option<Uuid>,
    state: Option<&'static str>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    lifecycle: &'static str,
}

/// Where the next page starts: after this order, in (created_at, id) descending order.
#[derive(Serialize, Deserialize)]
struct OrderCursor {
    created_at: DateTime<Utc>,
    id: Uuid,
}

/// Lists orders, newest first (see `OrderService.ListOrders`).
pub(crate) async fn list_orders(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::ListOrdersRequest,
) -> Result<pb::ListOrdersResponse, OrderError> {
    let scope = access::scope(auth, READ)?;
    let requested = parse_optional_id("merchant_id", &request.merchant_id)?;
    let merchant_id = access::requested_merchant(scope, READ, requested)?;
    let cashier_id = parse_optional_id("cashier_id", &request.cashier_id)?;
    let state = pb::OrderState::try_from(request.state)
        .map_err(|_| OrderError::invalid("state", "is not a known state"))?;
    let lifecycle = lifecycle_filter(request.lifecycle)?;
    if lifecycle != "active" && matches!(scope, MerchantScope::Cashier { .. }) {
        return Err(OrderError::PermissionMissing(READ));
    }
    let start = time_of(request.create_time_start.as_ref());
    let end = time_of(request.create_time_end.as_ref());
    if let (Some(start), Some(end)) = (start, end)
        && end <= start
    {
        return Err(OrderError::invalid(
            "create_time_end",
            "must be after create_time_start",
        ));
    }
    let full = pb::OrderView::try_from(request.view) == Ok(pb::OrderView::Full);
    let page_size = paging::page_size(Module::Order, request.page_size)?;
    let filters = OrderFilters {
        merchant_id,
        cashier_id,
        state: store::state_name(state),
        start,
        end,
        lifecycle,
    };
    let cursor: Option<OrderCursor> = ctx
        .page_tokens
        .decode(Module::Order, &request.page_token, &filters)?;

    let mut conn = ctx.db.acquire().await?;
    // The count and the page filter alike: $1 merchant, $2 cashier, $3 state, $4 start, $5 end,
    // $6 lifecycle (NULL filters match everything).
    let total = sqlx::query_scalar!(
        "SELECT count(*) AS \"count!\" FROM orders.orders \
         WHERE ($1::uuid IS NULL OR merchant_id = $1) \
           AND ($2::uuid IS NULL OR cashier_id = $2) \
           AND ($3::text IS NULL OR state = $3) \
           AND ($4::timestamptz IS NULL OR created_at >= $4) \
           AND ($5::timestamptz IS NULL OR created_at < $5) \
           AND ($6 = 'all' OR ($6 = 'active' AND deleted_at IS NULL) \
                OR ($6 = 'trashed' AND deleted_at IS NOT NULL))",
        filters.merchant_id,
        filters.cashier_id,
        filters.state,
        filters.start,
        filters.end,
        lifecycle,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows = sqlx::query_as!(
        OrderRow,
        "SELECT id, merchant_id, cashier_id, state, currency_code, subtotal_minor, tax_rate_basis_points, \
         tax_minor, total_minor, amount_paid_minor, amount_refunded_minor, cancel_reason, \
         created_at, updated_at, expires_at, paid_at, cancelled_at, deleted_at \
         FROM orders.orders \
         WHERE ($1::uuid IS NULL OR merchant_id = $1) \
           AND ($2::uuid IS NULL OR cashier_id = $2) \
           AND ($3::text IS NULL OR state = $3) \
           AND ($4::timestamptz IS NULL OR created_at >= $4) \
           AND ($5::timestamptz IS NULL OR created_at < $5) \
           AND ($6 = 'all' OR ($6 = 'active' AND deleted_at IS NULL) \
                OR ($6 = 'trashed' AND deleted_at IS NOT NULL)) \
           AND ($7::timestamptz IS NULL OR (created_at, id) < ($7, $8)) \
         ORDER BY created_at DESC, id DESC LIMIT $9",
        filters.merchant_id,
        filters.cashier_id,
        filters.state,
        filters.start,
        filters.end,
        lifecycle,
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
            &OrderCursor {
                created_at: last.created_at,
                id: last.id,
            },
            &filters,
        ),
        _ => String::new(),
    };
    let mut orders = Vec::with_capacity(rows.len());
    for row in &rows {
        orders.push(if full {
            store::full(&mut conn, row).await?
        } else {
            row.to_pb()
        });
    }
    Ok(pb::ListOrdersResponse {
        orders,
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// The filters a ListOrderItems page token is bound to.
#[derive(Serialize)]
struct ItemFilters {
    order_id: Option<Uuid>,
    merchant_id: Option<Uuid>,
    product_id: Option<Uuid>,
    lifecycle: &'static str,
}

/// Where the next page starts: after this item (its order's creation and id, its position and id).
#[derive(Serialize, Deserialize)]
struct ItemCursor {
    created_at: DateTime<Utc>,
    order_id: Uuid,
    position: i32,
    id: Uuid,
}

/// An item with its order's creation time and trash time.
struct ListedItem {
    item: ItemRow,
    order_created_at: DateTime<Utc>,
    order_deleted_at: Option<DateTime<Utc>>,
    currency_code: String,
}

/// Lists order items (see `OrderItemService.ListOrderItems`).
pub(crate) async fn list_order_items(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::ListOrderItemsRequest,
) -> Result<pb::ListOrderItemsResponse, OrderError> {
    let scope = access::scope(auth, READ)?;
    let order_id = parse_optional_id("order_id", &request.order_id)?;
    let requested = parse_optional_id("merchant_id", &request.merchant_id)?;
    let product_id = parse_optional_id("product_id", &request.product_id)?;
    let lifecycle = lifecycle_filter(request.lifecycle)?;
    if lifecycle != "active" && matches!(scope, MerchantScope::Cashier { .. }) {
        return Err(OrderError::PermissionMissing(READ));
    }
    let page_size = paging::page_size(Module::Order, request.page_size)?;
    let mut conn = ctx.db.acquire().await?;
    let merchant_id = match (access::merchant_of(scope), order_id, requested) {
        (None, _, requested) => requested,
        (Some(own), _, Some(requested)) if own == requested => Some(own),
        (Some(own), Some(order_id), None) => {
            let order = store::find(&mut conn, order_id).await?;
            if order.is_some_and(|order| order.merchant_id != own) {
                return Err(OrderError::PermissionMissing(READ));
            }
            Some(own)
        }
        _ => return Err(OrderError::PermissionMissing(READ)),
    };
    let filters = ItemFilters {
        order_id,
        merchant_id,
        product_id,
        lifecycle,
    };
    let cursor: Option<ItemCursor> = ctx
        .page_tokens
        .decode(Module::Order, &request.page_token, &filters)?;
    // The count and the page filter alike: $1 order, $2 merchant, $3 product, $4 lifecycle.
    let total = sqlx::query_scalar!(
        "SELECT count(*) AS \"count!\" \
         FROM orders.order_items i JOIN orders.orders o ON o.id = i.order_id \
         WHERE ($1::uuid IS NULL OR i.order_id = $1) \
           AND ($2::uuid IS NULL OR i.merchant_id = $2) \
           AND ($3::uuid IS NULL OR i.product_id = $3) \
           AND ($4 = 'all' OR ($4 = 'active' AND o.deleted_at IS NULL) \
                OR ($4 = 'trashed' AND o.deleted_at IS NOT NULL))",
        order_id,
        merchant_id,
        product_id,
        lifecycle,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows: Vec<ListedItem> = sqlx::query!(
        "SELECT i.id, i.order_id, i.merchant_id, i.position, i.product_id, i.product_name, i.category_id, \
           i.quantity, i.unit_price_minor, i.refunded_quantity, i.created_at, i.updated_at, \
           o.created_at AS order_created_at, o.deleted_at AS order_deleted_at, o.currency_code \
         FROM orders.order_items i JOIN orders.orders o ON o.id = i.order_id \
         WHERE ($1::uuid IS NULL OR i.order_id = $1) \
           AND ($2::uuid IS NULL OR i.merchant_id = $2) \
           AND ($3::uuid IS NULL OR i.product_id = $3) \
           AND ($4 = 'all' OR ($4 = 'active' AND o.deleted_at IS NULL) \
                OR ($4 = 'trashed' AND o.deleted_at IS NOT NULL)) \
           AND ($5::timestamptz IS NULL OR (o.created_at, o.id) < ($5, $6) \
              OR ((o.created_at, o.id) = ($5, $6) AND (i.position, i.id) > ($7, $8))) \
         ORDER BY o.created_at DESC, o.id DESC, i.position, i.id LIMIT $9",
        order_id,
        merchant_id,
        product_id,
        lifecycle,
        cursor.as_ref().map(|cursor| cursor.created_at),
        cursor.as_ref().map(|cursor| cursor.order_id),
        cursor.as_ref().map(|cursor| cursor.position),
        cursor.as_ref().map(|cursor| cursor.id),
        i64::from(page_size) + 1,
    )
    .map(|row| ListedItem {
        item: ItemRow {
            id: row.id,
            order_id: row.order_id,
            merchant_id: row.merchant_id,
            position: row.position,
            product_id: row.product_id,
            product_name: row.product_name,
            category_id: row.category_id,
            quantity: row.quantity,
            unit_price_minor: row.unit_price_minor,
            refunded_quantity: row.refunded_quantity,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
        order_created_at: row.order_created_at,
        order_deleted_at: row.order_deleted_at,
        currency_code: row.currency_code,
    })
    .fetch_all(&mut *conn)
    .await?;
    let page = usize::try_from(page_size).unwrap_or(usize::MAX);
    let more = rows.len() > page;
    rows.truncate(page);
    let next_page_token = match rows.last() {
        Some(last) if more => ctx.page_tokens.encode(
            &ItemCursor {
                created_at: last.order_created_at,
                order_id: last.item.order_id,
                position: last.item.position,
                id: last.item.id,
            },
            &filters,
        ),
        _ => String::new(),
    };
    Ok(pb::ListOrderItemsResponse {
        order_items: rows
            .iter()
            .map(|row| row.item.to_pb(&row.currency_code, row.order_deleted_at))
            .collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}
