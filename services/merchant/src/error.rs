//! The one error type of the merchant module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::files::FileError;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};

/// Everything that can go wrong in the merchant module.
#[derive(Debug, thiserror::Error)]
pub enum MerchantError {
    /// A request field is malformed.
    #[error("invalid `{field}`: {description}")]
    InvalidField {
        /// Proto path of the field.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// A request field is refused for a reason the contract names (e.g. `INVALID_CURRENCY_CODE`).
    #[error("invalid `{field}`: {description}")]
    Refused {
        /// The `ErrorInfo` reason.
        reason: &'static str,
        /// Proto path of the field.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// No merchant has this id.
    #[error("merchant `{0}` not found")]
    NotFound(String),
    /// No document has this id.
    #[error("document `{0}` not found")]
    DocumentNotFound(String),
    /// The owner named on create is not an active user.
    #[error("no active user `{0}`")]
    OwnerNotFound(String),
    /// The owner already acts for a merchant (owns one that is not rejected, or is a cashier).
    #[error("the user already owns a merchant or works as a cashier")]
    ScopeConflict,
    /// The same `request_id` came with different content.
    #[error("request_id `{0}` was already used for another request")]
    IdempotencyKeyReused(String),
    /// The merchant is in the trash.
    #[error("merchant `{0}` is in the trash")]
    Trashed(String),
    /// The merchant is not in the trash.
    #[error("merchant `{0}` is not in the trash")]
    NotTrashed(String),
    /// The currency of a merchant that left PENDING cannot change.
    #[error("the currency of merchant `{0}` can no longer change")]
    CurrencyLocked(String),
    /// The transition is not allowed from the merchant's status.
    #[error("merchant `{id}` cannot go from {from} to {to}")]
    InvalidTransition {
        /// The merchant.
        id: String,
        /// Its current status.
        from: &'static str,
        /// The status asked for.
        to: &'static str,
    },
    /// The document is in the trash.
    #[error("document `{0}` is in the trash")]
    DocumentTrashed(String),
    /// The document is not in the trash.
    #[error("document `{0}` is not in the trash")]
    DocumentNotTrashed(String),
    /// The document was already reviewed.
    #[error("document `{0}` was already reviewed")]
    DocumentAlreadyReviewed(String),
    // Settlement
    /// No settlement has this id.
    #[error("settlement `{0}` not found")]
    SettlementNotFound(String),
    /// A settlement of the merchant is REQUESTED: no second one, no trash.
    #[error("a settlement of merchant `{0}` is in progress")]
    SettlementInProgress(String),
    /// The cut-off is not after the merchant's last completed settlement's.
    #[error("the cut-off must be after {previous}, the cut-off of merchant `{id}`'s last settlement")]
    CutOffNotAfterPrevious {
        /// The merchant.
        id: String,
        /// The cut-off of its last COMPLETED settlement.
        previous: chrono::DateTime<chrono::Utc>,
    },
    /// The merchant is PENDING, REJECTED or trashed.
    #[error("merchant `{0}` is not active")]
    NotActive(String),
    /// Other records still reference the merchant.
    #[error("merchant `{0}` is still referenced by payments")]
    InUse(String),
    /// The caller may not do this to this merchant.
    #[error("permission `{0}` is required for this merchant")]
    PermissionMissing(&'static str),
    /// PostgreSQL failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The object store failed.
    #[error("the object store failed: {0}")]
    Files(FileError),
    /// An error already expressed as a status (bad input found by `validator`, or another
    /// module's answer); it is returned unchanged.
    #[error("{}", .0.message())]
    Status(Status),
    /// A bug or an impossible state.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl MerchantError {
    /// A malformed request field.
    pub(crate) fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        MerchantError::InvalidField {
            field: field.into(),
            description: description.into(),
        }
    }

    /// A refused file, as the contract names it (field `content`).
    pub(crate) fn file(error: FileError) -> Self {
        let (reason, description) = match &error {
            FileError::Empty => ("DOCUMENT_EMPTY", error.to_string()),
            FileError::TooLarge { .. } => ("DOCUMENT_TOO_LARGE", error.to_string()),
            FileError::UnsupportedType { .. } => ("DOCUMENT_TYPE_NOT_ALLOWED", error.to_string()),
            FileError::NotFound(_) | FileError::Store(_) => return MerchantError::Files(error),
        };
        MerchantError::Refused {
            reason,
            field: "content".to_owned(),
            description,
        }
    }
}

impl From<Status> for MerchantError {
    fn from(status: Status) -> Self {
        MerchantError::Status(status)
    }
}

impl From<pos_api::ClientsError> for MerchantError {
    fn from(error: pos_api::ClientsError) -> Self {
        MerchantError::Status(error.into())
    }
}

impl From<pos_platform::idempotency::IdempotencyError> for MerchantError {
    fn from(error: pos_platform::idempotency::IdempotencyError) -> Self {
        use pos_platform::idempotency::IdempotencyError;
        match error {
            IdempotencyError::TooLong => MerchantError::invalid("request_id", error.to_string()),
            IdempotencyError::Reused(request_id) => MerchantError::IdempotencyKeyReused(request_id),
            IdempotencyError::Database(error) => error.into(),
            IdempotencyError::Corrupt => MerchantError::Internal(anyhow::anyhow!(error)),
        }
    }
}

fn failed_precondition(reason: &str, message: String, id: String) -> Status {
    status::error(
        Code::FailedPrecondition,
        Module::Merchant,
        reason,
        message,
        [("id".to_owned(), id)],
    )
}

/// `INVALID_ARGUMENT` with the contract's reason and the field violation.
fn refused(reason: &str, field: String, description: String) -> Status {
    let message = format!("invalid request: {field}: {description}");
    let mut details = ErrorDetails::with_error_info(
        reason,
        status::domain(Module::Merchant),
        std::collections::HashMap::new(),
    );
    details.set_bad_request(vec![FieldViolation::new(field, description)]);
    Status::with_error_details(Code::InvalidArgument, message, details)
}

impl From<MerchantError> for Status {
    fn from(error: MerchantError) -> Self {
        let message = error.to_string();
        match error {
            MerchantError::InvalidField { field, description } => {
                status::invalid_argument(Module::Merchant, vec![FieldViolation::new(field, description)])
            }
            MerchantError::Refused {
                reason,
                field,
                description,
            } => refused(reason, field, description),
            MerchantError::NotFound(id) => status::not_found(Module::Merchant, "merchant", &id),
            MerchantError::DocumentNotFound(id) => status::not_found(Module::Merchant, "document", &id),
            MerchantError::OwnerNotFound(id) => refused(
                "OWNER_NOT_FOUND",
                "merchant.owner_user_id".to_owned(),
                format!("no active user `{id}`"),
            ),
            MerchantError::ScopeConflict => status::error(
                Code::FailedPrecondition,
                Module::Merchant,
                "MERCHANT_SCOPE_CONFLICT",
                message,
                [],
            ),
            MerchantError::IdempotencyKeyReused(request_id) => status::error(
                Code::AlreadyExists,
                Module::Merchant,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                [("request_id".to_owned(), request_id)],
            ),
            MerchantError::Trashed(id) => failed_precondition("MERCHANT_TRASHED", message, id),
            MerchantError::NotTrashed(id) => failed_precondition("MERCHANT_NOT_TRASHED", message, id),
            MerchantError::CurrencyLocked(id) => failed_precondition("CURRENCY_LOCKED", message, id),
            MerchantError::InvalidTransition { id, .. } => {
                failed_precondition("INVALID_STATUS_TRANSITION", message, id)
            }
            MerchantError::DocumentTrashed(id) => failed_precondition("DOCUMENT_TRASHED", message, id),
            MerchantError::DocumentNotTrashed(id) => failed_precondition("DOCUMENT_NOT_TRASHED", message, id),
            MerchantError::DocumentAlreadyReviewed(id) => {
                failed_precondition("DOCUMENT_ALREADY_REVIEWED", message, id)
            }
            MerchantError::SettlementNotFound(id) => status::not_found(Module::Merchant, "settlement", &id),
            MerchantError::SettlementInProgress(id) => {
                failed_precondition("SETTLEMENT_IN_PROGRESS", message, id)
            }
            MerchantError::CutOffNotAfterPrevious { id, .. } => {
                failed_precondition("CUT_OFF_NOT_AFTER_PREVIOUS", message, id)
            }
            MerchantError::NotActive(id) => failed_precondition("MERCHANT_NOT_ACTIVE", message, id),
            MerchantError::InUse(id) => failed_precondition("MERCHANT_IN_USE", message, id),
            MerchantError::PermissionMissing(permission) => status::error(
                Code::PermissionDenied,
                Module::Merchant,
                "PERMISSION_MISSING",
                message,
                [("permission".to_owned(), permission.to_owned())],
            ),
            MerchantError::Database(error) => status::database(Module::Merchant, error),
            MerchantError::Files(error) => status::unavailable(Module::Merchant, "the object store", &error),
            MerchantError::Status(status) => status,
            MerchantError::Internal(error) => status::internal(Module::Merchant, &error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                MerchantError::NotFound("x".into()),
                Code::NotFound,
                "MERCHANT_NOT_FOUND",
            ),
            (
                MerchantError::DocumentNotFound("x".into()),
                Code::NotFound,
                "DOCUMENT_NOT_FOUND",
            ),
            (
                MerchantError::OwnerNotFound("x".into()),
                Code::InvalidArgument,
                "OWNER_NOT_FOUND",
            ),
            (
                MerchantError::ScopeConflict,
                Code::FailedPrecondition,
                "MERCHANT_SCOPE_CONFLICT",
            ),
            (
                MerchantError::CurrencyLocked("x".into()),
                Code::FailedPrecondition,
                "CURRENCY_LOCKED",
            ),
            (
                MerchantError::InvalidTransition {
                    id: "x".into(),
                    from: "PENDING",
                    to: "SUSPENDED",
                },
                Code::FailedPrecondition,
                "INVALID_STATUS_TRANSITION",
            ),
            (
                MerchantError::file(FileError::TooLarge { size: 1 }),
                Code::InvalidArgument,
                "DOCUMENT_TOO_LARGE",
            ),
            (
                MerchantError::SettlementNotFound("x".into()),
                Code::NotFound,
                "SETTLEMENT_NOT_FOUND",
            ),
            (
                MerchantError::SettlementInProgress("x".into()),
                Code::FailedPrecondition,
                "SETTLEMENT_IN_PROGRESS",
            ),
            (
                MerchantError::CutOffNotAfterPrevious {
                    id: "x".into(),
                    previous: chrono::Utc::now(),
                },
                Code::FailedPrecondition,
                "CUT_OFF_NOT_AFTER_PREVIOUS",
            ),
            (
                MerchantError::NotActive("x".into()),
                Code::FailedPrecondition,
                "MERCHANT_NOT_ACTIVE",
            ),
            (
                MerchantError::InUse("x".into()),
                Code::FailedPrecondition,
                "MERCHANT_IN_USE",
            ),
            (
                MerchantError::PermissionMissing("merchant.read"),
                Code::PermissionDenied,
                "PERMISSION_MISSING",
            ),
        ];
        for (error, code, expected) in cases {
            let status = Status::from(error);
            assert_eq!(status.code(), code, "{expected}");
            assert_eq!(reason(&status), expected);
        }
    }

    #[test]
    fn a_refused_file_names_the_content_field() {
        let status = Status::from(MerchantError::file(FileError::Empty));
        let details = status.get_error_details();
        let violations = &details.bad_request().expect("a bad request").field_violations;
        assert_eq!(violations[0].field, "content");
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable() {
        let status = Status::from(MerchantError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(status.code(), Code::Unavailable);
    }
}
