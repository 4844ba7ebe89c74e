//! The one error type of the category module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::FieldViolation;

/// Everything that can go wrong in the category module.
#[derive(Debug, thiserror::Error)]
pub enum CategoryError {
    /// A request field is malformed (e.g. an id that is not a UUID).
    #[error("invalid `{field}`: {description}")]
    InvalidField {
        /// Proto path of the field.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// No category has this id.
    #[error("category `{0}` not found")]
    NotFound(String),
    /// The category is in the trash.
    #[error("category `{0}` is in the trash")]
    Trashed(String),
    /// The category is not in the trash.
    #[error("category `{0}` is not in the trash")]
    NotTrashed(String),
    /// Products still reference the category.
    #[error("category `{0}` is still used by products")]
    InUse(String),
    /// The same `request_id` came with different content.
    #[error("request_id `{0}` was already used for another request")]
    IdempotencyKeyReused(String),
    /// The caller may not do this.
    #[error("permission `{0}` is required")]
    PermissionMissing(&'static str),
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

impl CategoryError {
    /// A malformed request field.
    pub(crate) fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        CategoryError::InvalidField {
            field: field.into(),
            description: description.into(),
        }
    }
}

impl From<Status> for CategoryError {
    fn from(status: Status) -> Self {
        CategoryError::Status(status)
    }
}

impl From<pos_api::ClientsError> for CategoryError {
    fn from(error: pos_api::ClientsError) -> Self {
        CategoryError::Status(error.into())
    }
}

impl From<pos_platform::idempotency::IdempotencyError> for CategoryError {
    fn from(error: pos_platform::idempotency::IdempotencyError) -> Self {
        use pos_platform::idempotency::IdempotencyError;
        match error {
            IdempotencyError::TooLong => CategoryError::invalid("request_id", error.to_string()),
            IdempotencyError::Reused(request_id) => CategoryError::IdempotencyKeyReused(request_id),
            IdempotencyError::Database(error) => error.into(),
            IdempotencyError::Corrupt => CategoryError::Internal(anyhow::anyhow!(error)),
        }
    }
}

fn with_id(code: Code, reason: &str, message: String, id: String) -> Status {
    status::error(code, Module::Category, reason, message, [("id".to_owned(), id)])
}

impl From<CategoryError> for Status {
    fn from(error: CategoryError) -> Self {
        let message = error.to_string();
        match error {
            CategoryError::InvalidField { field, description } => {
                status::invalid_argument(Module::Category, vec![FieldViolation::new(field, description)])
            }
            CategoryError::NotFound(id) => status::not_found(Module::Category, "category", &id),
            CategoryError::Trashed(id) => with_id(Code::FailedPrecondition, "CATEGORY_TRASHED", message, id),
            CategoryError::NotTrashed(id) => {
                with_id(Code::FailedPrecondition, "CATEGORY_NOT_TRASHED", message, id)
            }
            CategoryError::InUse(id) => with_id(Code::FailedPrecondition, "CATEGORY_IN_USE", message, id),
            CategoryError::IdempotencyKeyReused(request_id) => status::error(
                Code::AlreadyExists,
                Module::Category,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                [("request_id".to_owned(), request_id)],
            ),
            CategoryError::PermissionMissing(permission) => status::error(
                Code::PermissionDenied,
                Module::Category,
                "PERMISSION_MISSING",
                message,
                [("permission".to_owned(), permission.to_owned())],
            ),
            CategoryError::Database(error) => status::database(Module::Category, error),
            CategoryError::Status(status) => status,
            CategoryError::Internal(error) => status::internal(Module::Category, &error),
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt as _;

    use super::*;

    #[test]
    fn domain_errors_carry_the_reasons_of_the_contract() {
        let cases = [
            (
                CategoryError::NotFound("x".into()),
                Code::NotFound,
                "CATEGORY_NOT_FOUND",
            ),
            (
                CategoryError::Trashed("x".into()),
                Code::FailedPrecondition,
                "CATEGORY_TRASHED",
            ),
            (
                CategoryError::NotTrashed("x".into()),
                Code::FailedPrecondition,
                "CATEGORY_NOT_TRASHED",
            ),
            (
                CategoryError::InUse("x".into()),
                Code::FailedPrecondition,
                "CATEGORY_IN_USE",
            ),
            (
                CategoryError::IdempotencyKeyReused("k".into()),
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
            ),
            (
                CategoryError::PermissionMissing("category.write"),
                Code::PermissionDenied,
                "PERMISSION_MISSING",
            ),
            (
                CategoryError::invalid("category_id", "must be a UUID"),
                Code::InvalidArgument,
                "INVALID_ARGUMENT",
            ),
        ];
        for (error, code, expected) in cases {
            let status = Status::from(error);
            assert_eq!(status.code(), code, "{expected}");
            let info = status
                .get_error_details()
                .error_info()
                .cloned()
                .expect("error info");
            assert_eq!(info.reason, expected);
            assert_eq!(info.domain, "pos.category");
        }
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable() {
        let status = Status::from(CategoryError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(status.code(), Code::Unavailable);
    }
}
