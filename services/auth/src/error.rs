//! The one error type of the auth module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::FieldViolation;

use crate::password::PasswordRejected;

/// Everything that can go wrong in the auth module.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Bad input: the `INVALID_ARGUMENT` status with field violations built by
    /// `pos_platform::validation`.
    #[error("invalid request: {}", .0.message())]
    Invalid(Box<Status>),
    /// A password breaks the policy (`field` names the request field).
    #[error("{field} {reason}")]
    WeakPassword {
        /// The request field holding the password.
        field: &'static str,
        /// What is wrong with it.
        reason: PasswordRejected,
    },
    /// Unknown email, wrong, expired, burnt or used verification code: all look the same.
    #[error("the verification code is invalid")]
    VerificationCodeInvalid,
    /// Unknown or trashed email, or wrong password.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// The password was right but the email is not verified yet.
    #[error("the email is not verified")]
    EmailNotVerified,
    /// Too many failed logins for the email.
    #[error("too many failed attempts; retry in {retry_after_seconds} seconds")]
    AccountLocked {
        /// Seconds until attempts are accepted again.
        retry_after_seconds: u64,
    },
    /// Unknown, expired or revoked refresh token.
    #[error("the refresh token is invalid")]
    RefreshTokenInvalid,
    /// A rotated refresh token was presented again: its session is now revoked.
    #[error("the refresh token was already used; the session is revoked")]
    RefreshTokenReused,
    /// Unknown, expired or used reset token.
    #[error("the reset token is invalid")]
    ResetTokenInvalid,
    /// ChangePassword with a wrong current password.
    #[error("the current password is wrong")]
    CurrentPasswordWrong,
    /// ChangePassword to the same password.
    #[error("the new password is the current one")]
    PasswordUnchanged,
    /// ProvisionCredential for an email another user has.
    #[error("the email belongs to another user")]
    EmailAlreadyRegistered,
    /// ProvisionCredential for a user that already has a credential with another email.
    #[error("the user already has a credential with another email")]
    CredentialConflict,
    /// The caller's session was revoked (or its user trashed) since the token was issued.
    #[error("the session was revoked")]
    SessionRevoked,
    /// The request carries no verified identity (the access layer did not run or let it through).
    #[error("a valid access token is required")]
    TokenMissing,
    /// The caller is not a signed-in user (a service called a user-only RPC).
    #[error("only a signed-in user may call {0}")]
    NotAUser(&'static str),
    /// PostgreSQL failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Another module could not be reached or failed.
    #[error("{module} module: {message}")]
    Dependency {
        /// The module called.
        module: Module,
        /// What went wrong.
        message: String,
    },
    /// Anything else (a bug or a broken environment).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AuthError {
    /// An `INVALID_ARGUMENT` status from `pos_platform::validation`.
    pub(crate) fn invalid(status: Status) -> Self {
        AuthError::Invalid(Box::new(status))
    }

    /// A failed call to another module.
    pub(crate) fn dependency(module: Module, status: &Status) -> Self {
        AuthError::Dependency {
            module,
            message: format!("{:?}: {}", status.code(), status.message()),
        }
    }
}

impl From<pos_api::ClientsError> for AuthError {
    fn from(error: pos_api::ClientsError) -> Self {
        let module = match &error {
            pos_api::ClientsError::NotConfigured(module)
            | pos_api::ClientsError::InvalidAddress { module, .. } => *module,
            pos_api::ClientsError::NotInstalled => Module::Auth,
        };
        AuthError::Dependency {
            module,
            message: error.to_string(),
        }
    }
}

fn reason(code: Code, reason: &str, message: String) -> Status {
    status::error(code, Module::Auth, reason, message, [])
}

impl From<AuthError> for Status {
    fn from(error: AuthError) -> Self {
        let message = error.to_string();
        match error {
            AuthError::Invalid(status) => *status,
            AuthError::WeakPassword { field, reason: why } => {
                let mut details = tonic_types::ErrorDetails::with_error_info(
                    "WEAK_PASSWORD",
                    status::domain(Module::Auth),
                    std::collections::HashMap::new(),
                );
                details.set_bad_request(vec![FieldViolation {
                    field: field.to_owned(),
                    description: why.to_string(),
                    reason: "WEAK_PASSWORD".to_owned(),
                    localized_message: None,
                }]);
                <Status as tonic_types::StatusExt>::with_error_details(
                    Code::InvalidArgument,
                    message,
                    details,
                )
            }
            AuthError::VerificationCodeInvalid => {
                reason(Code::InvalidArgument, "VERIFICATION_CODE_INVALID", message)
            }
            AuthError::InvalidCredentials => reason(Code::Unauthenticated, "INVALID_CREDENTIALS", message),
            AuthError::EmailNotVerified => reason(Code::FailedPrecondition, "EMAIL_NOT_VERIFIED", message),
            AuthError::AccountLocked { retry_after_seconds } => status::error(
                Code::ResourceExhausted,
                Module::Auth,
                "ACCOUNT_LOCKED",
                message,
                [("retry_after_seconds".to_owned(), retry_after_seconds.to_string())],
            ),
            AuthError::RefreshTokenInvalid => reason(Code::Unauthenticated, "REFRESH_TOKEN_INVALID", message),
            AuthError::RefreshTokenReused => reason(Code::Unauthenticated, "REFRESH_TOKEN_REUSED", message),
            AuthError::ResetTokenInvalid => reason(Code::InvalidArgument, "RESET_TOKEN_INVALID", message),
            AuthError::CurrentPasswordWrong => {
                reason(Code::InvalidArgument, "CURRENT_PASSWORD_WRONG", message)
            }
            AuthError::PasswordUnchanged => reason(Code::InvalidArgument, "PASSWORD_UNCHANGED", message),
            AuthError::EmailAlreadyRegistered => {
                reason(Code::AlreadyExists, "EMAIL_ALREADY_REGISTERED", message)
            }
            AuthError::CredentialConflict => {
                reason(Code::AlreadyExists, "CREDENTIAL_ALREADY_EXISTS", message)
            }
            AuthError::SessionRevoked => reason(Code::Unauthenticated, "SESSION_REVOKED", message),
            AuthError::TokenMissing => reason(Code::Unauthenticated, "TOKEN_MISSING", message),
            AuthError::NotAUser(_) => reason(Code::PermissionDenied, "PERMISSION_MISSING", message),
            AuthError::Database(error) => status::database(Module::Auth, error),
            AuthError::Dependency { module, message } => status::unavailable(
                Module::Auth,
                &format!("{module} module"),
                &std::io::Error::other(message),
            ),
            AuthError::Internal(error) => status::internal(Module::Auth, &error),
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt as _;

    use super::*;

    fn reason_of(status: &Status) -> String {
        status
            .get_error_details()
            .error_info()
            .expect("error info")
            .reason
            .clone()
    }

    #[test]
    fn a_weak_password_names_its_field() {
        let status = Status::from(AuthError::WeakPassword {
            field: "new_password",
            reason: PasswordRejected::TooCommon,
        });
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(reason_of(&status), "WEAK_PASSWORD");
        let details = status.get_error_details();
        let violations = &details.bad_request().expect("bad request").field_violations;
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "new_password");
    }

    #[test]
    fn a_lockout_says_when_to_retry() {
        let status = Status::from(AuthError::AccountLocked {
            retry_after_seconds: 42,
        });
        assert_eq!(status.code(), Code::ResourceExhausted);
        let info = status
            .get_error_details()
            .error_info()
            .cloned()
            .expect("error info");
        assert_eq!(info.reason, "ACCOUNT_LOCKED");
        assert_eq!(info.domain, "pos.auth");
        assert_eq!(info.metadata["retry_after_seconds"], "42");
    }

    #[test]
    fn a_database_outage_is_unavailable_and_a_bug_is_internal() {
        let down = Status::from(AuthError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(down.code(), Code::Unavailable);
        let bug = Status::from(AuthError::Database(sqlx::Error::RowNotFound));
        assert_eq!(bug.code(), Code::Internal);
    }
}
