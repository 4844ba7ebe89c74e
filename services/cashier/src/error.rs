//! The one error type of the cashier module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};

/// Everything that can go wrong in the cashier module.
#[derive(Debug, thiserror::Error)]
pub enum CashierError {
    /// A request field is malformed (e.g. an id that is not a UUID).
    #[error("invalid `{field}`: {description}")]
    InvalidField {
        /// Proto path of the field.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// No cashier has this id (only platform callers learn it; others get PERMISSION_DENIED).
    #[error("cashier `{0}` not found")]
    NotFound(String),
    /// No merchant has this id.
    #[error("merchant `{0}` not found")]
    MerchantNotFound(String),
    /// No user has this id (CreateCashier binding an existing user).
    #[error("user `{0}` not found")]
    UserNotFound(String),
    /// The caller may not touch this merchant's or this cashier's rows.
    #[error("permission `{0}` is required for this merchant")]
    PermissionMissing(&'static str),
    /// A user with the email exists already.
    #[error("the email is already registered")]
    EmailTaken,
    /// `initial_password` breaks the password policy.
    #[error("initial_password is too weak: {0}")]
    WeakPassword(String),
    /// The user bound with `user_id` is already a cashier.
    #[error("user `{0}` is already a cashier")]
    UserAlreadyCashier(String),
    /// The user already acts for another merchant.
    #[error("the user already acts for another merchant")]
    MerchantScopeConflict,
    /// The same `request_id` came with different content.
    #[error("request_id `{0}` was already used for another request")]
    IdempotencyKeyReused(String),
    /// The merchant is PENDING or REJECTED.
    #[error("merchant `{0}` is not approved")]
    MerchantNotApproved(String),
    /// The merchant is in the trash.
    #[error("merchant `{0}` is in the trash")]
    MerchantTrashed(String),
    /// The cashier is in the trash.
    #[error("cashier `{0}` is in the trash")]
    Trashed(String),
    /// The cashier is not in the trash.
    #[error("cashier `{0}` is not in the trash")]
    NotTrashed(String),
    /// PostgreSQL failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// An error already expressed as a status (bad input found by `validator`, or another
    /// module's answer); it is returned unchanged.
    #[error("{}", .0.message())]
    Status(Status),
    /// A bug or an impossible state.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl CashierError {
    /// A malformed request field.
    pub(crate) fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        CashierError::InvalidField {
            field: field.into(),
            description: description.into(),
        }
    }

    /// The error another module answered, in this module's terms when the contract names it
    /// (EMAIL_ALREADY_REGISTERED, WEAK_PASSWORD, MERCHANT_SCOPE_CONFLICT, …), unchanged otherwise.
    pub(crate) fn from_upstream(status: Status) -> Self {
        match reason_of(&status).as_deref() {
            Some("EMAIL_ALREADY_REGISTERED") => CashierError::EmailTaken,
            Some("WEAK_PASSWORD") => {
                let why = status
                    .get_error_details()
                    .bad_request()
                    .and_then(|bad| bad.field_violations.first())
                    .map_or_else(
                        || status.message().to_owned(),
                        |violation| violation.description.clone(),
                    );
                CashierError::WeakPassword(why)
            }
            Some("MERCHANT_SCOPE_CONFLICT") => CashierError::MerchantScopeConflict,
            _ => CashierError::Status(status),
        }
    }
}

/// The `ErrorInfo.reason` of `status`, if it has one.
pub(crate) fn reason_of(status: &Status) -> Option<String> {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
}

impl From<Status> for CashierError {
    fn from(status: Status) -> Self {
        CashierError::Status(status)
    }
}

impl From<pos_api::ClientsError> for CashierError {
    fn from(error: pos_api::ClientsError) -> Self {
        CashierError::Status(error.into())
    }
}

impl From<pos_platform::idempotency::IdempotencyError> for CashierError {
    fn from(error: pos_platform::idempotency::IdempotencyError) -> Self {
        use pos_platform::idempotency::IdempotencyError;
        match error {
            IdempotencyError::TooLong => CashierError::invalid("request_id", error.to_string()),
            IdempotencyError::Reused(request_id) => CashierError::IdempotencyKeyReused(request_id),
            IdempotencyError::Database(error) => error.into(),
            IdempotencyError::Corrupt => CashierError::Internal(anyhow::anyhow!(error)),
        }
    }
}

fn with_id(code: Code, reason: &str, message: String, key: &str, id: String) -> Status {
    status::error(code, Module::Cashier, reason, message, [(key.to_owned(), id)])
}

impl From<CashierError> for Status {
    fn from(error: CashierError) -> Self {
        let message = error.to_string();
        match error {
            CashierError::InvalidField { field, description } => {
                status::invalid_argument(Module::Cashier, vec![FieldViolation::new(field, description)])
            }
            CashierError::NotFound(id) => status::not_found(Module::Cashier, "cashier", &id),
            CashierError::MerchantNotFound(id) => status::not_found(Module::Cashier, "merchant", &id),
            CashierError::UserNotFound(id) => status::not_found(Module::Cashier, "user", &id),
            CashierError::PermissionMissing(permission) => with_id(
                Code::PermissionDenied,
                "PERMISSION_MISSING",
                message,
                "permission",
                permission.to_owned(),
            ),
            CashierError::EmailTaken => status::error(
                Code::AlreadyExists,
                Module::Cashier,
                "EMAIL_ALREADY_REGISTERED",
                message,
                [],
            ),
            CashierError::WeakPassword(why) => {
                let mut details = ErrorDetails::with_error_info(
                    "WEAK_PASSWORD",
                    status::domain(Module::Cashier),
                    std::collections::HashMap::new(),
                );
                details.set_bad_request(vec![FieldViolation {
                    field: "initial_password".to_owned(),
                    description: why,
                    reason: "WEAK_PASSWORD".to_owned(),
                    localized_message: None,
                }]);
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            CashierError::UserAlreadyCashier(id) => with_id(
                Code::AlreadyExists,
                "USER_ALREADY_CASHIER",
                message,
                "user_id",
                id,
            ),
            CashierError::MerchantScopeConflict => status::error(
                Code::FailedPrecondition,
                Module::Cashier,
                "MERCHANT_SCOPE_CONFLICT",
                message,
                [],
            ),
            CashierError::IdempotencyKeyReused(request_id) => with_id(
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                "request_id",
                request_id,
            ),
            CashierError::MerchantNotApproved(id) => with_id(
                Code::FailedPrecondition,
                "MERCHANT_NOT_APPROVED",
                message,
                "merchant_id",
                id,
            ),
            CashierError::MerchantTrashed(id) => with_id(
                Code::FailedPrecondition,
                "MERCHANT_TRASHED",
                message,
                "merchant_id",
                id,
            ),
            CashierError::Trashed(id) => {
                with_id(Code::FailedPrecondition, "CASHIER_TRASHED", message, "id", id)
            }
            CashierError::NotTrashed(id) => {
                with_id(Code::FailedPrecondition, "CASHIER_NOT_TRASHED", message, "id", id)
            }
            CashierError::Database(error) => status::database(Module::Cashier, error),
            CashierError::Status(status) => status,
            CashierError::Internal(error) => status::internal(Module::Cashier, &error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_errors_carry_the_reasons_of_the_contract() {
        let cases = [
            (
                CashierError::NotFound("x".into()),
                Code::NotFound,
                "CASHIER_NOT_FOUND",
            ),
            (
                CashierError::EmailTaken,
                Code::AlreadyExists,
                "EMAIL_ALREADY_REGISTERED",
            ),
            (
                CashierError::WeakPassword("common".into()),
                Code::InvalidArgument,
                "WEAK_PASSWORD",
            ),
            (
                CashierError::UserAlreadyCashier("u".into()),
                Code::AlreadyExists,
                "USER_ALREADY_CASHIER",
            ),
            (
                CashierError::MerchantScopeConflict,
                Code::FailedPrecondition,
                "MERCHANT_SCOPE_CONFLICT",
            ),
            (
                CashierError::IdempotencyKeyReused("k".into()),
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
            ),
            (
                CashierError::MerchantNotApproved("m".into()),
                Code::FailedPrecondition,
                "MERCHANT_NOT_APPROVED",
            ),
            (
                CashierError::MerchantTrashed("m".into()),
                Code::FailedPrecondition,
                "MERCHANT_TRASHED",
            ),
            (
                CashierError::Trashed("x".into()),
                Code::FailedPrecondition,
                "CASHIER_TRASHED",
            ),
            (
                CashierError::NotTrashed("x".into()),
                Code::FailedPrecondition,
                "CASHIER_NOT_TRASHED",
            ),
            (
                CashierError::PermissionMissing("cashier.write"),
                Code::PermissionDenied,
                "PERMISSION_MISSING",
            ),
        ];
        for (error, code, expected) in cases {
            let status = Status::from(error);
            assert_eq!(status.code(), code, "{expected}");
            assert_eq!(reason_of(&status).as_deref(), Some(expected));
            assert_eq!(
                status
                    .get_error_details()
                    .error_info()
                    .map(|info| info.domain.clone()),
                Some("pos.cashier".to_owned())
            );
        }
    }

    #[test]
    fn upstream_errors_named_by_the_contract_are_restated_in_this_domain() {
        let taken = status::error(
            Code::AlreadyExists,
            Module::User,
            "EMAIL_ALREADY_REGISTERED",
            "taken",
            [],
        );
        assert!(matches!(
            CashierError::from_upstream(taken),
            CashierError::EmailTaken
        ));
        let other = Status::unavailable("down");
        let status = Status::from(CashierError::from_upstream(other));
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(status.message(), "down");
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable() {
        let status = Status::from(CashierError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(status.code(), Code::Unavailable);
    }
}
