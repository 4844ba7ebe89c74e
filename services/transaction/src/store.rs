//! The tables of schema `transactions`: the transaction row and its wire form, the per-order
//! balance row that serialises an order's payments, and the queries more than one handler uses.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::common::v1::Money;
use pos_api::pos::transaction::v1 as pb;

use crate::error::TransactionError;

/// Permission to read transactions.
pub(crate) const READ: &str = "transaction.read";
/// Permission to take, void and clear transactions.
pub(crate) const WRITE: &str = "transaction.write";

/// One transaction as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TransactionRow {
    pub(crate) id: Uuid,
    pub(crate) order_id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) cashier_id: Uuid,
    pub(crate) kind: String,
    pub(crate) method: String,
    pub(crate) status: String,
    pub(crate) currency_code: String,
    pub(crate) amount_minor: i64,
    pub(crate) tendered_minor: Option<i64>,
    pub(crate) change_minor: Option<i64>,
    pub(crate) failure_reason: Option<String>,
    pub(crate) failure_message: String,
    pub(crate) processor_reference: String,
    pub(crate) payment_token: String,
    pub(crate) refund_id: Option<Uuid>,
    pub(crate) refunded_transaction_id: Option<Uuid>,
    pub(crate) request_id: Option<String>,
    pub(crate) request_hash: Option<Vec<u8>>,
    pub(crate) charging_since: Option<DateTime<Utc>>,
    pub(crate) settlement_id: Option<Uuid>,
    pub(crate) settled_at: Option<DateTime<Utc>>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) completed_at: Option<DateTime<Utc>>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

/// Stored values of `kind`.
pub(crate) const PAYMENT: &str = "PAYMENT";
/// Stored value of a refund transaction's `kind`.
pub(crate) const REFUND: &str = "REFUND";
/// Stored value of `status` while the processor has not answered.
pub(crate) const PENDING: &str = "PENDING";
/// Stored value of `status` once the money moved.
pub(crate) const SUCCEEDED: &str = "SUCCEEDED";
/// Stored value of `status` of a failed or voided attempt.
pub(crate) const FAILED: &str = "FAILED";

impl TransactionRow {
    /// The transaction as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::Transaction {
        let money = |amount: i64| money(&self.currency_code, amount);
        pb::Transaction {
            id: self.id.to_string(),
            order_id: self.order_id.to_string(),
            merchant_id: self.merchant_id.to_string(),
            cashier_id: self.cashier_id.to_string(),
            kind: kind_to_pb(&self.kind).into(),
            method: method_to_pb(&self.method).into(),
            status: status_to_pb(&self.status).into(),
            amount: Some(money(self.amount_minor)),
            tendered: self.tendered_minor.map(money),
            change: self.change_minor.map(money),
            failure_reason: self
                .failure_reason
                .as_deref()
                .map_or(pb::PaymentFailureReason::Unspecified, reason_to_pb)
                .into(),
            failure_message: self.failure_message.clone(),
            processor_reference: self.processor_reference.clone(),
            refund_id: self.refund_id.map(|id| id.to_string()).unwrap_or_default(),
            refunded_transaction_id: self
                .refunded_transaction_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            settlement_id: self.settlement_id.map(|id| id.to_string()).unwrap_or_default(),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            complete_time: self.completed_at.map(timestamp),
            settle_time: self.settled_at.map(timestamp),
            delete_time: self.deleted_at.map(timestamp),
        }
    }

    /// Whether this is a PAYMENT.
    pub(crate) fn is_payment(&self) -> bool {
        self.kind == PAYMENT
    }
}

/// `amount` minor units of `currency`.
pub(crate) fn money(currency: &str, amount: i64) -> Money {
    Money {
        currency_code: currency.to_owned(),
        amount_minor: amount,
    }
}

/// `time` as a protobuf timestamp.
pub(crate) fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or_default(),
    }
}

/// A protobuf timestamp as a UTC time (`None` when out of range).
pub(crate) fn from_timestamp(time: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.seconds, u32::try_from(time.nanos).ok()?)
}

fn kind_to_pb(kind: &str) -> pb::TransactionKind {
    match kind {
        PAYMENT => pb::TransactionKind::Payment,
        REFUND => pb::TransactionKind::Refund,
        _ => pb::TransactionKind::Unspecified,
    }
}

/// The stored `kind` of a wire value (`None` for unspecified or unknown).
pub(crate) fn kind_from_pb(kind: i32) -> Option<&'static str> {
    match pb::TransactionKind::try_from(kind).ok()? {
        pb::TransactionKind::Payment => Some(PAYMENT),
        pb::TransactionKind::Refund => Some(REFUND),
        pb::TransactionKind::Unspecified => None,
    }
}

fn method_to_pb(method: &str) -> pb::PaymentMethod {
    match method {
        "CASH" => pb::PaymentMethod::Cash,
        "CARD" => pb::PaymentMethod::Card,
        "E_WALLET" => pb::PaymentMethod::EWallet,
        "BANK_TRANSFER" => pb::PaymentMethod::BankTransfer,
        _ => pb::PaymentMethod::Unspecified,
    }
}

/// The stored `method` of a wire value (`None` for unspecified or unknown).
pub(crate) fn method_from_pb(method: i32) -> Option<&'static str> {
    match pb::PaymentMethod::try_from(method).ok()? {
        pb::PaymentMethod::Cash => Some("CASH"),
        pb::PaymentMethod::Card => Some("CARD"),
        pb::PaymentMethod::EWallet => Some("E_WALLET"),
        pb::PaymentMethod::BankTransfer => Some("BANK_TRANSFER"),
        pb::PaymentMethod::Unspecified => None,
    }
}

fn status_to_pb(status: &str) -> pb::TransactionStatus {
    match status {
        PENDING => pb::TransactionStatus::Pending,
        SUCCEEDED => pb::TransactionStatus::Succeeded,
        FAILED => pb::TransactionStatus::Failed,
        _ => pb::TransactionStatus::Unspecified,
    }
}

/// The stored `status` of a wire value (`None` for unspecified or unknown).
pub(crate) fn status_from_pb(status: i32) -> Option<&'static str> {
    match pb::TransactionStatus::try_from(status).ok()? {
        pb::TransactionStatus::Pending => Some(PENDING),
        pb::TransactionStatus::Succeeded => Some(SUCCEEDED),
        pb::TransactionStatus::Failed => Some(FAILED),
        pb::TransactionStatus::Unspecified => None,
    }
}

fn reason_to_pb(reason: &str) -> pb::PaymentFailureReason {
    use pb::PaymentFailureReason as R;
    match reason {
        "DECLINED" => R::Declined,
        "INSUFFICIENT_FUNDS" => R::InsufficientFunds,
        "EXPIRED" => R::Expired,
        "CANCELLED" => R::Cancelled,
        "PROCESSOR_UNAVAILABLE" => R::ProcessorUnavailable,
        "VOIDED" => R::Voided,
        _ => R::Other,
    }
}

/// The stored `failure_reason` of a wire value.
pub(crate) fn reason_name(reason: pb::PaymentFailureReason) -> &'static str {
    use pb::PaymentFailureReason as R;
    match reason {
        R::Declined => "DECLINED",
        R::InsufficientFunds => "INSUFFICIENT_FUNDS",
        R::Expired => "EXPIRED",
        R::Cancelled => "CANCELLED",
        R::ProcessorUnavailable => "PROCESSOR_UNAVAILABLE",
        R::Voided => "VOIDED",
        R::Other | R::Unspecified => "OTHER",
    }
}

/// Parses the id in request field `field`.
pub(crate) fn parse_id(field: &str, value: &str) -> Result<Uuid, TransactionError> {
    if value.is_empty() {
        return Err(TransactionError::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| TransactionError::invalid(field, "must be a UUID"))
}

/// Parses the optional id in request field `field` (empty: none).
pub(crate) fn parse_optional_id(field: &str, value: &str) -> Result<Option<Uuid>, TransactionError> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse_id(field, value).map(Some)
    }
}

/// The transaction `id`, if it exists.
pub(crate) async fn find(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<TransactionRow>, TransactionError> {
    Ok(sqlx::query_as!(
        TransactionRow,
        "SELECT id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
         tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
         refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
         settled_at, created_at, updated_at, completed_at, deleted_at \
         FROM transactions.transactions WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await?)
}

/// The transaction `id`, locked for the rest of the transaction.
pub(crate) async fn lock(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<TransactionRow>, TransactionError> {
    Ok(sqlx::query_as!(
        TransactionRow,
        "SELECT id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
         tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
         refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
         settled_at, created_at, updated_at, completed_at, deleted_at \
         FROM transactions.transactions WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await?)
}

/// The payment of `merchant_id` recorded under `request_id`, if any.
pub(crate) async fn by_request_id(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    request_id: &str,
) -> Result<Option<TransactionRow>, TransactionError> {
    Ok(sqlx::query_as!(
        TransactionRow,
        "SELECT id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
         tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
         refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
         settled_at, created_at, updated_at, completed_at, deleted_at \
         FROM transactions.transactions WHERE merchant_id = $1 AND request_id = $2",
        merchant_id,
        request_id,
    )
    .fetch_optional(conn)
    .await?)
}

/// Every transaction of `order_id`, oldest first.
pub(crate) async fn of_order(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Vec<TransactionRow>, TransactionError> {
    Ok(sqlx::query_as!(
        TransactionRow,
        "SELECT id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
         tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
         refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
         settled_at, created_at, updated_at, completed_at, deleted_at \
         FROM transactions.transactions WHERE order_id = $1 ORDER BY created_at, id",
        order_id,
    )
    .fetch_all(conn)
    .await?)
}

/// The lock row of one order: what the module knows of the order's total, and whether it is paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OrderBalance {
    pub(crate) order_id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) currency_code: String,
    pub(crate) total_minor: i64,
    pub(crate) fully_paid_at: Option<DateTime<Utc>>,
}

/// Records (or refreshes, while the order is not paid) the order's total and locks its row until
/// the end of the transaction: every payment and void of one order runs under this lock.
pub(crate) async fn lock_order(
    conn: &mut PgConnection,
    order_id: Uuid,
    merchant_id: Uuid,
    currency: &str,
    total: i64,
) -> Result<OrderBalance, TransactionError> {
    Ok(sqlx::query_as!(
        OrderBalance,
        "INSERT INTO transactions.order_balances (order_id, merchant_id, currency_code, total_minor) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (order_id) DO UPDATE SET \
            total_minor = CASE WHEN order_balances.fully_paid_at IS NULL THEN EXCLUDED.total_minor \
                               ELSE order_balances.total_minor END, \
            updated_at = now() \
         RETURNING order_id, merchant_id, currency_code, total_minor, fully_paid_at",
        order_id,
        merchant_id,
        currency,
        total,
    )
    .fetch_one(conn)
    .await?)
}

/// Locks the existing lock row of `order_id` (`None` when no payment was ever taken for it).
pub(crate) async fn lock_existing_order(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<OrderBalance>, TransactionError> {
    Ok(sqlx::query_as!(
        OrderBalance,
        "SELECT order_id, merchant_id, currency_code, total_minor, fully_paid_at \
         FROM transactions.order_balances WHERE order_id = $1 FOR UPDATE",
        order_id,
    )
    .fetch_optional(conn)
    .await?)
}

/// The money of one order as its transactions give it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Amounts {
    /// SUCCEEDED payments.
    pub(crate) succeeded: i64,
    /// PENDING payments.
    pub(crate) pending: i64,
    /// REFUND transactions made by VoidPayment.
    pub(crate) voided: i64,
    /// REFUND transactions of order refunds.
    pub(crate) refunded: i64,
}

impl Amounts {
    /// Sums the transactions of one order.
    pub(crate) fn of(transactions: &[TransactionRow]) -> Self {
        let mut amounts = Amounts::default();
        for transaction in transactions {
            match (transaction.kind.as_str(), transaction.status.as_str()) {
                (PAYMENT, SUCCEEDED) => amounts.succeeded += transaction.amount_minor,
                (PAYMENT, PENDING) => amounts.pending += transaction.amount_minor,
                (REFUND, _) if transaction.refund_id.is_none() => amounts.voided += transaction.amount_minor,
                (REFUND, _) => amounts.refunded += transaction.amount_minor,
                _ => {}
            }
        }
        amounts
    }

    /// Paid on the order: succeeded payments minus those given back by VoidPayment.
    pub(crate) fn paid(self) -> i64 {
        self.succeeded - self.voided
    }

    /// What is still to be paid on an order of `total`: PENDING payments count against it.
    pub(crate) fn balance(self, total: i64) -> i64 {
        (total - self.paid() - self.pending).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, status: &str, amount: i64, refund_id: Option<Uuid>) -> TransactionRow {
        let now = Utc::now();
        TransactionRow {
            id: Uuid::now_v7(),
            order_id: Uuid::nil(),
            merchant_id: Uuid::nil(),
            cashier_id: Uuid::nil(),
            kind: kind.into(),
            method: "CASH".into(),
            status: status.into(),
            currency_code: "IDR".into(),
            amount_minor: amount,
            tendered_minor: None,
            change_minor: None,
            failure_reason: (status == FAILED).then(|| "DECLINED".into()),
            failure_message: String::new(),
            processor_reference: String::new(),
            payment_token: String::new(),
            refund_id,
            refunded_transaction_id: None,
            request_id: None,
            request_hash: None,
            charging_since: None,
            settlement_id: None,
            settled_at: None,
            created_at: now,
            updated_at: now,
            completed_at: None,
            deleted_at: None,
        }
    }

    #[test]
    fn pending_payments_count_against_the_balance_and_voids_give_it_back() {
        let rows = [
            row(PAYMENT, SUCCEEDED, 300, None),
            row(PAYMENT, PENDING, 200, None),
            row(PAYMENT, FAILED, 1000, None),
            row(REFUND, SUCCEEDED, 100, None),
        ];
        let amounts = Amounts::of(&rows);
        assert_eq!(amounts.paid(), 200);
        assert_eq!(amounts.balance(1000), 600);
    }

    #[test]
    fn order_refunds_do_not_reopen_the_balance() {
        let rows = [
            row(PAYMENT, SUCCEEDED, 1000, None),
            row(REFUND, SUCCEEDED, 400, Some(Uuid::now_v7())),
        ];
        let amounts = Amounts::of(&rows);
        assert_eq!(amounts.balance(1000), 0);
        assert_eq!(amounts.refunded, 400);
    }

    #[test]
    fn wire_enums_map_both_ways() {
        for method in 1..=4 {
            let stored = method_from_pb(method).unwrap();
            assert_eq!(method_to_pb(stored) as i32, method);
        }
        assert_eq!(method_from_pb(0), None);
        for status in 1..=3 {
            assert_eq!(status_to_pb(status_from_pb(status).unwrap()) as i32, status);
        }
        for reason in 1..=7 {
            let reason = pb::PaymentFailureReason::try_from(reason).unwrap();
            assert_eq!(reason_to_pb(reason_name(reason)), reason);
        }
    }
}
