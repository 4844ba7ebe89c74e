//! The events the order module publishes on `pos.order.v1.events` (key: order id), appended to its
//! outbox in the transaction of the change they describe.

use chrono::Utc;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::{EventMeta, LifecycleChange};
use pos_api::pos::order::v1 as pb;
use pos_platform::events::{Outbox, OutboxEvent};

use crate::store::{ItemRow, OrderRow, RefundLineRow, RefundRow, money, state_of, timestamp};

/// Who caused an event and with which request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cause {
    /// The user, `None` for the platform itself (expiry, consumers, services).
    pub(crate) actor_user_id: Option<Uuid>,
    /// The request's idempotency key, if any.
    pub(crate) request_id: String,
}

fn meta(id: Uuid, cause: &Cause) -> EventMeta {
    EventMeta {
        event_id: id.to_string(),
        occur_time: Some(timestamp(Utc::now())),
        actor_user_id: cause.actor_user_id.map(|id| id.to_string()).unwrap_or_default(),
        request_id: cause.request_id.clone(),
    }
}

async fn append<M: prost::Message + prost::Name>(
    conn: &mut PgConnection,
    order_id: Uuid,
    build: impl FnOnce(EventMeta) -> M,
    cause: &Cause,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let message = build(meta(id, cause));
    Outbox::of(Module::Order)
        .append(conn, &OutboxEvent::new(id, order_id.to_string(), &message))
        .await
}

/// OrderCreated.
pub(crate) async fn created(
    conn: &mut PgConnection,
    order: &pb::Order,
    id: Uuid,
    cause: &Cause,
) -> Result<(), sqlx::Error> {
    append(
        conn,
        id,
        |meta| pb::OrderCreated {
            meta: Some(meta),
            order: Some(order.clone()),
        },
        cause,
    )
    .await
}

/// OrderLinesChanged.
pub(crate) async fn lines_changed(
    conn: &mut PgConnection,
    order: &pb::Order,
    id: Uuid,
    cause: &Cause,
) -> Result<(), sqlx::Error> {
    append(
        conn,
        id,
        |meta| pb::OrderLinesChanged {
            meta: Some(meta),
            order: Some(order.clone()),
        },
        cause,
    )
    .await
}

/// OrderPaid.
pub(crate) async fn paid(
    conn: &mut PgConnection,
    order: &OrderRow,
    items: &[ItemRow],
) -> Result<(), sqlx::Error> {
    let currency = &order.currency_code;
    append(
        conn,
        order.id,
        |meta| pb::OrderPaid {
            meta: Some(meta),
            order_id: order.id.to_string(),
            merchant_id: order.merchant_id.to_string(),
            cashier_id: order.cashier_id.to_string(),
            lines: items
                .iter()
                .map(|item| pb::OrderPaidLine {
                    order_item_id: item.id.to_string(),
                    product_id: item.product_id.to_string(),
                    category_id: item.category_id.clone(),
                    product_name: item.product_name.clone(),
                    quantity: item.quantity,
                    unit_price: Some(money(currency, item.unit_price_minor)),
                    line_total: Some(money(currency, item.line_total())),
                })
                .collect(),
            currency_code: currency.clone(),
            subtotal: Some(money(currency, order.subtotal_minor)),
            tax_rate_basis_points: order.tax_rate_basis_points,
            tax: Some(money(currency, order.tax_minor)),
            total: Some(money(currency, order.total_minor)),
            create_time: Some(timestamp(order.created_at)),
            paid_time: order.paid_at.map(timestamp),
        },
        &Cause::default(),
    )
    .await
}

/// OrderRefunded, for `refund` of `order` (the order as it is after the refund).
pub(crate) async fn refunded(
    conn: &mut PgConnection,
    order: &OrderRow,
    items: &[ItemRow],
    refund: &RefundRow,
    lines: &[RefundLineRow],
    cause: &Cause,
) -> Result<(), sqlx::Error> {
    let currency = &order.currency_code;
    append(
        conn,
        order.id,
        |meta| pb::OrderRefunded {
            meta: Some(meta),
            order_id: order.id.to_string(),
            refund_id: refund.id.to_string(),
            merchant_id: order.merchant_id.to_string(),
            cashier_id: order.cashier_id.to_string(),
            lines: lines
                .iter()
                .map(|line| {
                    let item = items.iter().find(|item| item.id == line.order_item_id);
                    pb::OrderRefundedLine {
                        order_item_id: line.order_item_id.to_string(),
                        product_id: line.product_id.to_string(),
                        category_id: item.map(|item| item.category_id.clone()).unwrap_or_default(),
                        quantity: line.quantity,
                        unit_price: item.map(|item| money(currency, item.unit_price_minor)),
                        amount: Some(money(currency, line.amount_minor)),
                        restock: line.restock,
                    }
                })
                .collect(),
            currency_code: currency.clone(),
            tax: Some(money(currency, refund.tax_minor)),
            amount: Some(money(currency, refund.amount_minor)),
            reason: refund.reason.clone(),
            order_state: state_of(&order.state).into(),
            amount_refunded: Some(money(currency, order.amount_refunded_minor)),
            paid_time: order.paid_at.map(timestamp),
            refund_time: Some(timestamp(refund.created_at)),
        },
        cause,
    )
    .await
}

/// OrderCancelled.
pub(crate) async fn cancelled(
    conn: &mut PgConnection,
    order: &OrderRow,
    cause: &Cause,
) -> Result<(), sqlx::Error> {
    append(
        conn,
        order.id,
        |meta| pb::OrderCancelled {
            meta: Some(meta),
            order_id: order.id.to_string(),
            merchant_id: order.merchant_id.to_string(),
            cashier_id: order.cashier_id.to_string(),
            total: Some(money(&order.currency_code, order.total_minor)),
            reason: order.cancel_reason.clone(),
            cancel_time: order.cancelled_at.map(timestamp),
        },
        cause,
    )
    .await
}

/// OrderLifecycleChanged.
pub(crate) async fn lifecycle(
    conn: &mut PgConnection,
    order_id: Uuid,
    merchant_id: Uuid,
    change: LifecycleChange,
    cause: &Cause,
) -> Result<(), sqlx::Error> {
    append(
        conn,
        order_id,
        |meta| pb::OrderLifecycleChanged {
            meta: Some(meta),
            order_id: order_id.to_string(),
            merchant_id: merchant_id.to_string(),
            change: change.into(),
        },
        cause,
    )
    .await
}
