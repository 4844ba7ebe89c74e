//! The events the transaction module publishes on `pos.transaction.v1.events`, appended to its
//! outbox in the transaction of the change they describe. Payment, refund and lifecycle events are
//! keyed by the order id (one order's events stay in order); settlement events by the merchant id.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::transaction::v1 as pb;
use pos_platform::events::{Outbox, OutboxEvent};

use crate::store::{self, Amounts, TransactionRow, money, timestamp};

pub(crate) use pos_platform::events::Actor;

async fn append<M: prost::Message + prost::Name>(
    conn: &mut PgConnection,
    id: Uuid,
    key: Uuid,
    event: &M,
) -> Result<(), sqlx::Error> {
    Outbox::of(Module::Transaction)
        .append(conn, &OutboxEvent::new(id, key.to_string(), event))
        .await
}

/// Appends `PaymentSucceeded` for `payment`, with the order's amounts after it.
pub(crate) async fn payment_succeeded(
    conn: &mut PgConnection,
    actor: &Actor,
    payment: &TransactionRow,
    total: i64,
    amounts: Amounts,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let currency = &payment.currency_code;
    let event = pb::PaymentSucceeded {
        meta: Some(actor.meta(id)),
        transaction: Some(payment.to_pb()),
        order_total: Some(money(currency, total)),
        paid_total: Some(money(currency, amounts.paid())),
        balance_due: Some(money(currency, amounts.balance(total))),
    };
    append(conn, id, payment.order_id, &event).await
}

/// Appends `PaymentFailed` for `attempt`.
pub(crate) async fn payment_failed(
    conn: &mut PgConnection,
    actor: &Actor,
    attempt: &TransactionRow,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::PaymentFailed {
        meta: Some(actor.meta(id)),
        transaction: Some(attempt.to_pb()),
    };
    append(conn, id, attempt.order_id, &event).await
}

/// Appends `OrderFullyPaid` for the order of `last`, the payment that completed it; `all` are the
/// order's transactions.
pub(crate) async fn order_fully_paid(
    conn: &mut PgConnection,
    actor: &Actor,
    last: &TransactionRow,
    total: i64,
    all: &[TransactionRow],
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let currency = &last.currency_code;
    let voided: Vec<Uuid> = all
        .iter()
        .filter(|t| t.kind == store::REFUND && t.refund_id.is_none())
        .filter_map(|t| t.refunded_transaction_id)
        .collect();
    let payments: Vec<&TransactionRow> = all
        .iter()
        .filter(|t| t.is_payment() && t.status == store::SUCCEEDED && !voided.contains(&t.id))
        .collect();
    let change_total = payments.iter().filter_map(|t| t.change_minor).sum();
    let event = pb::OrderFullyPaid {
        meta: Some(actor.meta(id)),
        order_id: last.order_id.to_string(),
        merchant_id: last.merchant_id.to_string(),
        cashier_id: last.cashier_id.to_string(),
        order_total: Some(money(currency, total)),
        change_total: Some(money(currency, change_total)),
        payments: payments.iter().map(|t| t.to_pb()).collect(),
        paid_time: last.completed_at.map(timestamp),
    };
    append(conn, id, last.order_id, &event).await
}

/// Appends `RefundRecorded` for `refund`, with the order's amounts after it.
pub(crate) async fn refund_recorded(
    conn: &mut PgConnection,
    actor: &Actor,
    refund: &TransactionRow,
    amounts: Amounts,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let currency = &refund.currency_code;
    let event = pb::RefundRecorded {
        meta: Some(actor.meta(id)),
        transaction: Some(refund.to_pb()),
        paid_total: Some(money(currency, amounts.succeeded)),
        refunded_total: Some(money(currency, amounts.voided + amounts.refunded)),
    };
    append(conn, id, refund.order_id, &event).await
}

/// Appends `TransactionLifecycleChanged`.
pub(crate) async fn lifecycle_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    transaction: &TransactionRow,
    change: LifecycleChange,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::TransactionLifecycleChanged {
        meta: Some(actor.meta(id)),
        transaction_id: transaction.id.to_string(),
        order_id: transaction.order_id.to_string(),
        merchant_id: transaction.merchant_id.to_string(),
        change: change.into(),
    };
    append(conn, id, transaction.order_id, &event).await
}

/// The totals of one completed settlement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SettlementRow {
    pub(crate) id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) currency_code: String,
    pub(crate) period_start: DateTime<Utc>,
    pub(crate) cut_off: DateTime<Utc>,
    pub(crate) gross_minor: i64,
    pub(crate) refunds_minor: i64,
    pub(crate) payment_count: i64,
    pub(crate) refund_count: i64,
    pub(crate) completed_at: DateTime<Utc>,
}

/// Appends `SettlementCompleted`.
pub(crate) async fn settlement_completed(
    conn: &mut PgConnection,
    actor: &Actor,
    settlement: &SettlementRow,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let currency = &settlement.currency_code;
    let event = pb::SettlementCompleted {
        meta: Some(actor.meta(id)),
        settlement_id: settlement.id.to_string(),
        merchant_id: settlement.merchant_id.to_string(),
        period_start_time: Some(timestamp(settlement.period_start)),
        cut_off_time: Some(timestamp(settlement.cut_off)),
        gross: Some(money(currency, settlement.gross_minor)),
        refunds: Some(money(currency, settlement.refunds_minor)),
        net: Some(money(currency, settlement.gross_minor - settlement.refunds_minor)),
        payment_count: settlement.payment_count,
        refund_count: settlement.refund_count,
        complete_time: Some(timestamp(settlement.completed_at)),
    };
    append(conn, id, settlement.merchant_id, &event).await
}

/// Appends `SettlementFailed`.
pub(crate) async fn settlement_failed(
    conn: &mut PgConnection,
    actor: &Actor,
    settlement_id: Uuid,
    merchant_id: Uuid,
    reason: &str,
    message: String,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::SettlementFailed {
        meta: Some(actor.meta(id)),
        settlement_id: settlement_id.to_string(),
        merchant_id: merchant_id.to_string(),
        reason: reason.to_owned(),
        message,
    };
    append(conn, id, merchant_id, &event).await
}
