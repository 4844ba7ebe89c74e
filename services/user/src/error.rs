//! The one error type of the user module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::FieldViolation;

/// Everything that can go wrong in the user module.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// A request field is malformed (e.g. an id that is not a UUID).
    #[error("invalid `{field}`: {description}")]
    InvalidField {
        /// Proto path of the field.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// No user has this id.
    #[error("user `{0}` not found")]
    NotFound(String),
    /// Another user, trashed ones included, has the email.
    #[error("the email is already registered")]
    EmailTaken,
    /// The same `request_id` came with different content.
    #[error("request_id `{0}` was already used for another request")]
    IdempotencyKeyReused(String),
    /// The user is in the trash.
    #[error("user `{0}` is in the trash")]
    Trashed(String),
    /// The user is not in the trash.
    #[error("user `{0}` is not in the trash")]
    NotTrashed(String),
    /// A caller tried to trash itself.
    #[error("callers cannot trash themselves")]
    SelfDelete,
    /// Trashing the user would leave no active admin.
    #[error("user `{0}` is the last active admin")]
    LastAdmin(String),
    /// The caller may not do this.
    #[error("permission `{0}` is required")]
    PermissionMissing(&'static str),
    /// A service called an RPC about "the signed-in user".
    #[error("only a signed-in user can do this")]
    SignedInUserRequired,
    /// UpdateMyProfile named a field users cannot change themselves.
    #[error("`{0}` cannot be updated here")]
    FieldNotUpdatable(String),
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

impl UserError {
    /// A malformed request field.
    pub(crate) fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        UserError::InvalidField {
            field: field.into(),
            description: description.into(),
        }
    }
}

impl From<Status> for UserError {
    fn from(status: Status) -> Self {
        UserError::Status(status)
    }
}

impl From<pos_api::ClientsError> for UserError {
    fn from(error: pos_api::ClientsError) -> Self {
        UserError::Status(error.into())
    }
}

fn failed_precondition(reason: &str, message: String, id: &str) -> Status {
    status::error(
        Code::FailedPrecondition,
        Module::User,
        reason,
        message,
        [("id".to_owned(), id.to_owned())],
    )
}

impl From<UserError> for Status {
    fn from(error: UserError) -> Self {
        let message = error.to_string();
        match error {
            UserError::InvalidField { field, description } => {
                status::invalid_argument(Module::User, vec![FieldViolation::new(field, description)])
            }
            UserError::NotFound(id) => status::not_found(Module::User, "user", &id),
            UserError::EmailTaken => status::error(
                Code::AlreadyExists,
                Module::User,
                "EMAIL_ALREADY_REGISTERED",
                message,
                [],
            ),
            UserError::IdempotencyKeyReused(request_id) => status::error(
                Code::AlreadyExists,
                Module::User,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                [("request_id".to_owned(), request_id)],
            ),
            UserError::Trashed(id) => failed_precondition("USER_TRASHED", message, &id),
            UserError::NotTrashed(id) => failed_precondition("USER_NOT_TRASHED", message, &id),
            UserError::LastAdmin(id) => failed_precondition("LAST_ADMIN", message, &id),
            UserError::SelfDelete => {
                status::error(Code::FailedPrecondition, Module::User, "SELF_DELETE", message, [])
            }
            UserError::PermissionMissing(permission) => status::error(
                Code::PermissionDenied,
                Module::User,
                "PERMISSION_MISSING",
                message,
                [("permission".to_owned(), permission.to_owned())],
            ),
            UserError::SignedInUserRequired => status::error(
                Code::PermissionDenied,
                Module::User,
                "SIGNED_IN_USER_REQUIRED",
                message,
                [],
            ),
            UserError::FieldNotUpdatable(field) => status::error(
                Code::InvalidArgument,
                Module::User,
                "FIELD_NOT_UPDATABLE",
                message,
                [("field".to_owned(), field)],
            ),
            UserError::Database(error) => status::database(Module::User, error),
            UserError::Status(status) => status,
            UserError::Internal(error) => status::internal(Module::User, &error),
        }
    }
}

impl From<pos_platform::idempotency::IdempotencyError> for UserError {
    fn from(error: pos_platform::idempotency::IdempotencyError) -> Self {
        use pos_platform::idempotency::IdempotencyError;
        match error {
            IdempotencyError::TooLong => UserError::invalid("request_id", error.to_string()),
            IdempotencyError::Reused(request_id) => UserError::IdempotencyKeyReused(request_id),
            IdempotencyError::Database(error) => error.into(),
            IdempotencyError::Corrupt => UserError::Internal(anyhow::anyhow!(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt as _;

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
            (UserError::NotFound("x".into()), Code::NotFound, "USER_NOT_FOUND"),
            (
                UserError::EmailTaken,
                Code::AlreadyExists,
                "EMAIL_ALREADY_REGISTERED",
            ),
            (
                UserError::IdempotencyKeyReused("k".into()),
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
            ),
            (
                UserError::Trashed("x".into()),
                Code::FailedPrecondition,
                "USER_TRASHED",
            ),
            (
                UserError::NotTrashed("x".into()),
                Code::FailedPrecondition,
                "USER_NOT_TRASHED",
            ),
            (UserError::SelfDelete, Code::FailedPrecondition, "SELF_DELETE"),
            (
                UserError::LastAdmin("x".into()),
                Code::FailedPrecondition,
                "LAST_ADMIN",
            ),
            (
                UserError::PermissionMissing("user.read"),
                Code::PermissionDenied,
                "PERMISSION_MISSING",
            ),
            (
                UserError::FieldNotUpdatable("email".into()),
                Code::InvalidArgument,
                "FIELD_NOT_UPDATABLE",
            ),
        ];
        for (error, code, expected) in cases {
            let status = Status::from(error);
            assert_eq!(status.code(), code, "{expected}");
            assert_eq!(reason(&status), expected);
        }
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable() {
        let status = Status::from(UserError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(status.code(), Code::Unavailable);
    }

    #[test]
    fn another_modules_error_is_returned_unchanged() {
        let upstream = Status::invalid_argument("weak password");
        let status = Status::from(UserError::Status(upstream));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "weak password");
    }
}
