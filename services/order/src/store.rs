//! The SQL of orders, their items and refunds, and their conversion to the contract's messages.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::common::v1::Money;
use pos_api::pos::order::v1 as pb;

use crate::error::OrderError;

/// One row of `orders.orders`.
#[derive(Clone, Debug)]
pub(crate) struct OrderRow {
    pub(crate) id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) cashier_id: Uuid,
    pub(crate) state: String,
    pub(crate) currency_code: String,
    pub(crate) subtotal_minor: i64,
    pub(crate) tax_rate_basis_points: i32,
    pub(crate) tax_minor: i64,
    pub(crate) total_minor: i64,
    pub(crate) amount_paid_minor: i64,
    pub(crate) amount_refunded_minor: i64,
    pub(crate) cancel_reason: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) paid_at: Option<DateTime<Utc>>,
    pub(crate) cancelled_at: Option<DateTime<Utc>>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

/// One row of `orders.order_items`.
#[derive(Clone, Debug)]
pub(crate) struct ItemRow {
    pub(crate) id: Uuid,
    pub(crate) order_id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) position: i32,
    pub(crate) product_id: Uuid,
    pub(crate) product_name: String,
    pub(crate) category_id: String,
    pub(crate) quantity: i64,
    pub(crate) unit_price_minor: i64,
    pub(crate) refunded_quantity: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// One row of `orders.refunds`.
#[derive(Clone, Debug)]
pub(crate) struct RefundRow {
    pub(crate) id: Uuid,
    pub(crate) order_id: Uuid,
    pub(crate) tax_minor: i64,
    pub(crate) amount_minor: i64,
    pub(crate) reason: String,
    pub(crate) actor_user_id: Option<Uuid>,
    pub(crate) created_at: DateTime<Utc>,
}

/// One row of `orders.refund_lines`.
#[derive(Clone, Debug)]
pub(crate) struct RefundLineRow {
    pub(crate) refund_id: Uuid,
    pub(crate) order_item_id: Uuid,
    pub(crate) product_id: Uuid,
    pub(crate) quantity: i64,
    pub(crate) amount_minor: i64,
    pub(crate) restock: bool,
}

/// The state an order row's `state` names.
pub(crate) fn state_of(state: &str) -> pb::OrderState {
    match state {
        "open" => pb::OrderState::Open,
        "paid" => pb::OrderState::Paid,
        "partially_refunded" => pb::OrderState::PartiallyRefunded,
        "refunded" => pb::OrderState::Refunded,
        "cancelled" => pb::OrderState::Cancelled,
        _ => pb::OrderState::Unspecified,
    }
}

/// The SQL name of a state filter (`None` for every state).
pub(crate) fn state_name(state: pb::OrderState) -> Option<&'static str> {
    match state {
        pb::OrderState::Unspecified => None,
        pb::OrderState::Open => Some("open"),
        pb::OrderState::Paid => Some("paid"),
        pb::OrderState::PartiallyRefunded => Some("partially_refunded"),
        pb::OrderState::Refunded => Some("refunded"),
        pb::OrderState::Cancelled => Some("cancelled"),
    }
}

/// A timestamp of the contract.
pub(crate) fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// An amount in `currency`.
pub(crate) fn money(currency: &str, amount_minor: i64) -> Money {
    Money {
        currency_code: currency.to_owned(),
        amount_minor,
    }
}

/// Parses a UUID field of a request.
pub(crate) fn parse_id(field: &str, value: &str) -> Result<Uuid, OrderError> {
    if value.is_empty() {
        return Err(OrderError::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| OrderError::invalid(field, "must be a UUID"))
}

/// Parses an optional UUID filter (empty: unset).
pub(crate) fn parse_optional_id(field: &str, value: &str) -> Result<Option<Uuid>, OrderError> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse_id(field, value).map(Some)
    }
}

impl OrderRow {
    /// Whether the order is in `state` (SQL name).
    pub(crate) fn is(&self, state: &str) -> bool {
        self.state == state
    }

    /// The order without items and refunds (ORDER_VIEW_BASIC).
    pub(crate) fn to_pb(&self) -> pb::Order {
        let currency = &self.currency_code;
        let due = if self.is("open") {
            (self.total_minor - self.amount_paid_minor).max(0)
        } else {
            0
        };
        pb::Order {
            id: self.id.to_string(),
            merchant_id: self.merchant_id.to_string(),
            cashier_id: self.cashier_id.to_string(),
            state: state_of(&self.state).into(),
            items: Vec::new(),
            currency_code: currency.clone(),
            subtotal: Some(money(currency, self.subtotal_minor)),
            tax_rate_basis_points: self.tax_rate_basis_points,
            tax: Some(money(currency, self.tax_minor)),
            total: Some(money(currency, self.total_minor)),
            amount_paid: Some(money(currency, self.amount_paid_minor)),
            amount_refunded: Some(money(currency, self.amount_refunded_minor)),
            amount_due: Some(money(currency, due)),
            refunds: Vec::new(),
            cancel_reason: self.cancel_reason.clone(),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            expire_time: self.expires_at.filter(|_| self.is("open")).map(timestamp),
            paid_time: self.paid_at.map(timestamp),
            cancel_time: self.cancelled_at.map(timestamp),
            delete_time: self.deleted_at.map(timestamp),
        }
    }
}

impl ItemRow {
    /// The item, in the order's currency; `delete_time` is its order's.
    pub(crate) fn to_pb(&self, currency: &str, deleted_at: Option<DateTime<Utc>>) -> pb::OrderItem {
        pb::OrderItem {
            id: self.id.to_string(),
            order_id: self.order_id.to_string(),
            merchant_id: self.merchant_id.to_string(),
            product_id: self.product_id.to_string(),
            product_name: self.product_name.clone(),
            category_id: self.category_id.clone(),
            quantity: self.quantity,
            unit_price: Some(money(currency, self.unit_price_minor)),
            line_total: Some(money(currency, self.line_total())),
            refunded_quantity: self.refunded_quantity,
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            delete_time: deleted_at.map(timestamp),
        }
    }

    /// `quantity × unit_price`.
    pub(crate) fn line_total(&self) -> i64 {
        self.quantity.saturating_mul(self.unit_price_minor)
    }
}

impl RefundRow {
    /// The refund with `lines` (its lines, any order kept).
    pub(crate) fn to_pb(&self, currency: &str, lines: &[RefundLineRow]) -> pb::Refund {
        pb::Refund {
            id: self.id.to_string(),
            order_id: self.order_id.to_string(),
            lines: lines
                .iter()
                .filter(|line| line.refund_id == self.id)
                .map(|line| pb::RefundLine {
                    order_item_id: line.order_item_id.to_string(),
                    quantity: line.quantity,
                    restock: line.restock,
                    product_id: line.product_id.to_string(),
                    amount: Some(money(currency, line.amount_minor)),
                })
                .collect(),
            tax: Some(money(currency, self.tax_minor)),
            amount: Some(money(currency, self.amount_minor)),
            reason: self.reason.clone(),
            actor_user_id: self.actor_user_id.map(|id| id.to_string()).unwrap_or_default(),
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

/// The order `id`, if any.
pub(crate) async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as!(
        OrderRow,
        "SELECT id, merchant_id, cashier_id, state, currency_code, subtotal_minor, tax_rate_basis_points, \
         tax_minor, total_minor, amount_paid_minor, amount_refunded_minor, cancel_reason, \
         created_at, updated_at, expires_at, paid_at, cancelled_at, deleted_at \
         FROM orders.orders WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// The order `id`, locked for the rest of the transaction.
pub(crate) async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as!(
        OrderRow,
        "SELECT id, merchant_id, cashier_id, state, currency_code, subtotal_minor, tax_rate_basis_points, \
         tax_minor, total_minor, amount_paid_minor, amount_refunded_minor, cancel_reason, \
         created_at, updated_at, expires_at, paid_at, cancelled_at, deleted_at \
         FROM orders.orders WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// The items of order `id`, in line order.
pub(crate) async fn items(conn: &mut PgConnection, id: Uuid) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as!(
        ItemRow,
        "SELECT i.id, i.order_id, i.merchant_id, i.position, i.product_id, i.product_name, i.category_id, \
         i.quantity, i.unit_price_minor, i.refunded_quantity, i.created_at, i.updated_at \
         FROM orders.order_items i WHERE i.order_id = $1 ORDER BY i.position, i.id",
        id,
    )
    .fetch_all(conn)
    .await
}

/// The refunds of order `id`, oldest first, with their lines.
pub(crate) async fn refunds(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<(Vec<RefundRow>, Vec<RefundLineRow>), sqlx::Error> {
    let refunds = sqlx::query_as!(
        RefundRow,
        "SELECT id, order_id, tax_minor, amount_minor, reason, actor_user_id, created_at \
         FROM orders.refunds WHERE order_id = $1 ORDER BY created_at, id",
        id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let lines = sqlx::query_as!(
        RefundLineRow,
        "SELECT l.refund_id, l.order_item_id, l.product_id, l.quantity, l.amount_minor, l.restock \
         FROM orders.refund_lines l JOIN orders.refunds r ON r.id = l.refund_id \
         WHERE r.order_id = $1 ORDER BY l.refund_id, l.position",
        id,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok((refunds, lines))
}

/// The full order (items and refunds) of `row`.
pub(crate) async fn full(conn: &mut PgConnection, row: &OrderRow) -> Result<pb::Order, sqlx::Error> {
    let items = items(&mut *conn, row.id).await?;
    let (refunds, lines) = refunds(&mut *conn, row.id).await?;
    let mut order = row.to_pb();
    order.items = items
        .iter()
        .map(|item| item.to_pb(&row.currency_code, row.deleted_at))
        .collect();
    order.refunds = refunds
        .iter()
        .map(|refund| refund.to_pb(&row.currency_code, &lines))
        .collect();
    Ok(order)
}

/// The full order `id` as it is now in `conn`'s transaction.
pub(crate) async fn reload(conn: &mut PgConnection, id: Uuid) -> Result<pb::Order, OrderError> {
    let row = find(&mut *conn, id)
        .await?
        .ok_or_else(|| OrderError::NotFound(id.to_string()))?;
    Ok(full(conn, &row).await?)
}
