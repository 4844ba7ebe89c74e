//! The one error type of the notification module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::FieldViolation;

/// Everything that can go wrong in the notification module's RPCs.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// A request field is malformed (e.g. an id that is not a UUID).
    #[error("invalid `{field}`: {description}")]
    InvalidField {
        /// Proto path of the field.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// No notification has this id.
    #[error("notification `{0}` not found")]
    NotFound(String),
    /// A send of the notification is under way.
    #[error("notification `{0}` is being sent; wait until it is SENT or FAILED")]
    Pending(String),
    /// The notification carried a one-time secret that is not kept.
    #[error(
        "notification `{id}` ({kind}) carried a one-time code or link that is not kept, so it cannot be sent \
         again; use AuthService.ResendVerificationCode or AuthService.ForgotPassword instead"
    )]
    NotResendable {
        /// The notification.
        id: String,
        /// Its kind, as in the contract (`NOTIFICATION_KIND_…`).
        kind: String,
    },
    /// The same `request_id` came with different content.
    #[error("request_id `{0}` was already used for another request")]
    IdempotencyKeyReused(String),
    /// PostgreSQL failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// An error already expressed as a status; returned unchanged.
    #[error("{}", .0.message())]
    Status(Status),
    /// A bug or an impossible state.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl NotificationError {
    /// A malformed request field.
    pub(crate) fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        NotificationError::InvalidField {
            field: field.into(),
            description: description.into(),
        }
    }
}

impl From<Status> for NotificationError {
    fn from(status: Status) -> Self {
        NotificationError::Status(status)
    }
}

impl From<NotificationError> for Status {
    fn from(error: NotificationError) -> Self {
        let message = error.to_string();
        match error {
            NotificationError::InvalidField { field, description } => status::invalid_argument(
                Module::Notification,
                vec![FieldViolation::new(field, description)],
            ),
            NotificationError::NotFound(id) => status::not_found(Module::Notification, "notification", &id),
            NotificationError::Pending(id) => status::error(
                Code::FailedPrecondition,
                Module::Notification,
                "NOTIFICATION_PENDING",
                message,
                [("id".to_owned(), id)],
            ),
            NotificationError::NotResendable { id, kind } => status::error(
                Code::FailedPrecondition,
                Module::Notification,
                "NOT_RESENDABLE",
                message,
                [("id".to_owned(), id), ("kind".to_owned(), kind)],
            ),
            NotificationError::IdempotencyKeyReused(request_id) => status::error(
                Code::AlreadyExists,
                Module::Notification,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                [("request_id".to_owned(), request_id)],
            ),
            NotificationError::Database(error) => status::database(Module::Notification, error),
            NotificationError::Status(status) => status,
            NotificationError::Internal(error) => status::internal(Module::Notification, &error),
        }
    }
}

impl From<pos_platform::idempotency::IdempotencyError> for NotificationError {
    fn from(error: pos_platform::idempotency::IdempotencyError) -> Self {
        use pos_platform::idempotency::IdempotencyError;
        match error {
            IdempotencyError::TooLong => NotificationError::invalid("request_id", error.to_string()),
            IdempotencyError::Reused(request_id) => NotificationError::IdempotencyKeyReused(request_id),
            IdempotencyError::Database(error) => error.into(),
            IdempotencyError::Corrupt => NotificationError::Internal(anyhow::anyhow!(error)),
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
            (
                NotificationError::NotFound("x".into()),
                Code::NotFound,
                "NOTIFICATION_NOT_FOUND",
            ),
            (
                NotificationError::Pending("x".into()),
                Code::FailedPrecondition,
                "NOTIFICATION_PENDING",
            ),
            (
                NotificationError::NotResendable {
                    id: "x".into(),
                    kind: "NOTIFICATION_KIND_VERIFY_EMAIL".into(),
                },
                Code::FailedPrecondition,
                "NOT_RESENDABLE",
            ),
            (
                NotificationError::IdempotencyKeyReused("k".into()),
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
            ),
            (
                NotificationError::invalid("notification_id", "must be a UUID"),
                Code::InvalidArgument,
                "INVALID_ARGUMENT",
            ),
        ];
        for (error, code, expected) in cases {
            let status = Status::from(error);
            assert_eq!(status.code(), code, "{expected}");
            assert_eq!(reason(&status), expected);
            assert_eq!(
                status.get_error_details().error_info().unwrap().domain,
                "pos.notification"
            );
        }
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable() {
        let status = Status::from(NotificationError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(status.code(), Code::Unavailable);
    }
}
