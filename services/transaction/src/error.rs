//! The one error type of the transaction module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::FieldViolation;

/// Everything that can go wrong in the transaction module.
#[derive(Debug, thiserror::Error)]
pub enum TransactionError {
    /// Request fields are malformed or missing (one violation per field).
    #[error("invalid request: {}", .0.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldViolation>),
    /// An amount is in another currency than the order's.
    #[error("`{field}` must be in the order's currency {expected}")]
    CurrencyMismatch {
        /// Proto path of the field.
        field: &'static str,
        /// The order's currency.
        expected: String,
    },
    /// Cash `tendered` is below `amount`.
    #[error("tendered must be at least the amount")]
    TenderedBelowAmount,
    /// `tendered` was given for a method other than cash.
    #[error("tendered is allowed for cash only")]
    TenderedNotAllowed,
    /// A processor method came without `payment_token` (or cash with one).
    #[error("{0}")]
    PaymentToken(&'static str),
    /// No transaction has this id, or it is outside the caller's scope.
    #[error("transaction `{0}` not found")]
    NotFound(String),
    /// No order has this id.
    #[error("order `{0}` not found")]
    OrderNotFound(String),
    /// The caller is not a cashier of the order's merchant.
    #[error("only a cashier of the order's merchant can take its payments")]
    OrderOfOtherMerchant(String),
    /// The merchant is not ACTIVE.
    #[error("merchant `{0}` is not active")]
    MerchantNotActive(String),
    /// The order is not OPEN (paid, cancelled, refunded or expired).
    #[error("order `{0}` is not open")]
    OrderNotOpen(String),
    /// `amount` is above the outstanding balance.
    #[error("amount {amount} is above the outstanding balance {balance}")]
    AmountExceedsBalance {
        /// Requested amount (minor units).
        amount: i64,
        /// Outstanding balance (minor units).
        balance: i64,
    },
    /// The same `request_id` came with different content.
    #[error("request_id `{0}` was already used for another request")]
    IdempotencyKeyReused(String),
    /// The first call with the same key is still running.
    #[error("a request with request_id `{0}` is still in progress; retry with the same key")]
    RequestInProgress(String),
    /// VoidPayment of a refund, or of a payment of an order that is no longer OPEN.
    #[error("transaction `{0}` cannot be voided: {1}")]
    NotVoidable(String, &'static str),
    /// Trash, restore or purge of a transaction that is not a FAILED attempt.
    #[error("transaction `{0}` is not a failed payment attempt")]
    NotFailed(String),
    /// The attempt is in the trash already.
    #[error("transaction `{0}` is already in the trash")]
    AlreadyTrashed(String),
    /// The attempt is not in the trash.
    #[error("transaction `{0}` is not in the trash")]
    NotTrashed(String),
    /// The caller may not use this permission on these rows.
    #[error("permission `{0}` is required for this merchant")]
    PermissionMissing(&'static str),
    /// A list filter reaches outside the caller's scope.
    #[error("{0}")]
    ScopeDenied(&'static str),
    /// PostgreSQL failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Another module's answer, returned unchanged.
    #[error("{}", .0.message())]
    Status(Status),
    /// A bug or an impossible state.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl TransactionError {
    /// One malformed request field.
    pub(crate) fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        TransactionError::Invalid(vec![FieldViolation::new(field, description)])
    }
}

impl From<Status> for TransactionError {
    fn from(status: Status) -> Self {
        TransactionError::Status(status)
    }
}

impl From<pos_api::ClientsError> for TransactionError {
    fn from(error: pos_api::ClientsError) -> Self {
        TransactionError::Status(error.into())
    }
}

fn with(code: Code, reason: &str, message: String, metadata: &[(&str, String)]) -> Status {
    status::error(
        code,
        Module::Transaction,
        reason,
        message,
        metadata
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.clone())),
    )
}

impl From<TransactionError> for Status {
    fn from(error: TransactionError) -> Self {
        use Code::{AlreadyExists, FailedPrecondition, InvalidArgument, PermissionDenied};
        let message = error.to_string();
        match error {
            TransactionError::Invalid(violations) => {
                status::invalid_argument(Module::Transaction, violations)
            }
            TransactionError::CurrencyMismatch { field, expected } => with(
                InvalidArgument,
                "CURRENCY_MISMATCH",
                message,
                &[("field", field.to_owned()), ("currency_code", expected)],
            ),
            TransactionError::TenderedBelowAmount => {
                with(InvalidArgument, "TENDERED_BELOW_AMOUNT", message, &[])
            }
            TransactionError::TenderedNotAllowed => {
                with(InvalidArgument, "TENDERED_NOT_ALLOWED", message, &[])
            }
            TransactionError::PaymentToken(_) => {
                with(InvalidArgument, "PAYMENT_TOKEN_REQUIRED", message, &[])
            }
            TransactionError::NotFound(id) => status::not_found(Module::Transaction, "transaction", &id),
            TransactionError::OrderNotFound(id) => status::not_found(Module::Transaction, "order", &id),
            TransactionError::OrderOfOtherMerchant(id) => with(
                PermissionDenied,
                "ORDER_OF_OTHER_MERCHANT",
                message,
                &[("order_id", id)],
            ),
            TransactionError::MerchantNotActive(id) => with(
                FailedPrecondition,
                "MERCHANT_NOT_ACTIVE",
                message,
                &[("merchant_id", id)],
            ),
            TransactionError::OrderNotOpen(id) => {
                with(FailedPrecondition, "ORDER_NOT_OPEN", message, &[("order_id", id)])
            }
            TransactionError::AmountExceedsBalance { balance, .. } => with(
                FailedPrecondition,
                "AMOUNT_EXCEEDS_BALANCE",
                message,
                &[("balance_due_minor", balance.to_string())],
            ),
            TransactionError::IdempotencyKeyReused(id) => with(
                AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                &[("request_id", id)],
            ),
            TransactionError::RequestInProgress(id) => with(
                Code::Aborted,
                "REQUEST_IN_PROGRESS",
                message,
                &[("request_id", id)],
            ),
            TransactionError::NotVoidable(id, _) => with(
                FailedPrecondition,
                "PAYMENT_NOT_VOIDABLE",
                message,
                &[("transaction_id", id)],
            ),
            TransactionError::NotFailed(id) => with(
                FailedPrecondition,
                "TRANSACTION_NOT_FAILED",
                message,
                &[("transaction_id", id)],
            ),
            TransactionError::AlreadyTrashed(id) => with(
                FailedPrecondition,
                "ALREADY_TRASHED",
                message,
                &[("transaction_id", id)],
            ),
            TransactionError::NotTrashed(id) => with(
                FailedPrecondition,
                "NOT_TRASHED",
                message,
                &[("transaction_id", id)],
            ),
            TransactionError::PermissionMissing(permission) => with(
                PermissionDenied,
                "PERMISSION_MISSING",
                message,
                &[("permission", permission.to_owned())],
            ),
            TransactionError::ScopeDenied(_) => {
                with(PermissionDenied, "TRANSACTION_SCOPE_DENIED", message, &[])
            }
            TransactionError::Database(error) => status::database(Module::Transaction, error),
            TransactionError::Status(status) => status,
            TransactionError::Internal(error) => status::internal(Module::Transaction, &error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::StatusExt as _;

    fn reason(status: &Status) -> String {
        status
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone())
            .unwrap_or_default()
    }

    #[test]
    fn domain_errors_carry_the_reasons_of_the_contract() {
        let cases = [
            (
                TransactionError::NotFound("x".into()),
                Code::NotFound,
                "TRANSACTION_NOT_FOUND",
            ),
            (
                TransactionError::OrderNotFound("x".into()),
                Code::NotFound,
                "ORDER_NOT_FOUND",
            ),
            (
                TransactionError::OrderOfOtherMerchant("x".into()),
                Code::PermissionDenied,
                "ORDER_OF_OTHER_MERCHANT",
            ),
            (
                TransactionError::MerchantNotActive("m".into()),
                Code::FailedPrecondition,
                "MERCHANT_NOT_ACTIVE",
            ),
            (
                TransactionError::OrderNotOpen("o".into()),
                Code::FailedPrecondition,
                "ORDER_NOT_OPEN",
            ),
            (
                TransactionError::AmountExceedsBalance {
                    amount: 2,
                    balance: 1,
                },
                Code::FailedPrecondition,
                "AMOUNT_EXCEEDS_BALANCE",
            ),
            (
                TransactionError::TenderedBelowAmount,
                Code::InvalidArgument,
                "TENDERED_BELOW_AMOUNT",
            ),
            (
                TransactionError::TenderedNotAllowed,
                Code::InvalidArgument,
                "TENDERED_NOT_ALLOWED",
            ),
            (
                TransactionError::PaymentToken("x"),
                Code::InvalidArgument,
                "PAYMENT_TOKEN_REQUIRED",
            ),
            (
                TransactionError::IdempotencyKeyReused("k".into()),
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
            ),
            (
                TransactionError::RequestInProgress("k".into()),
                Code::Aborted,
                "REQUEST_IN_PROGRESS",
            ),
            (
                TransactionError::NotVoidable("t".into(), "refund"),
                Code::FailedPrecondition,
                "PAYMENT_NOT_VOIDABLE",
            ),
            (
                TransactionError::NotFailed("t".into()),
                Code::FailedPrecondition,
                "TRANSACTION_NOT_FAILED",
            ),
            (
                TransactionError::AlreadyTrashed("t".into()),
                Code::FailedPrecondition,
                "ALREADY_TRASHED",
            ),
            (
                TransactionError::NotTrashed("t".into()),
                Code::FailedPrecondition,
                "NOT_TRASHED",
            ),
            (
                TransactionError::ScopeDenied("x"),
                Code::PermissionDenied,
                "TRANSACTION_SCOPE_DENIED",
            ),
        ];
        for (error, code, expected) in cases {
            let status = Status::from(error);
            assert_eq!(status.code(), code, "{expected}");
            assert_eq!(reason(&status), expected);
            assert_eq!(
                status
                    .get_error_details()
                    .error_info()
                    .map(|info| info.domain.clone()),
                Some("pos.transaction".to_owned())
            );
        }
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable() {
        let status = Status::from(TransactionError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(status.code(), Code::Unavailable);
    }
}
