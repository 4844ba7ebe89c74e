//! The one error type of the role module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::FieldViolation;

/// Everything that can go wrong in the role module.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// A request field is malformed (e.g. an id that is not a UUID).
    #[error("invalid `{field}`: {description}")]
    InvalidField {
        /// Proto path of the field.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// No role has this id.
    #[error("role `{0}` not found")]
    RoleNotFound(String),
    /// No user has this id.
    #[error("user `{0}` not found")]
    UserNotFound(String),
    /// Another role, trashed ones included, has the name.
    #[error("a role named `{0}` already exists")]
    NameTaken(String),
    /// The same `request_id` came with different content.
    #[error("request_id `{0}` was already used for another request")]
    IdempotencyKeyReused(String),
    /// The role is in the trash.
    #[error("role `{0}` is in the trash")]
    RoleTrashed(String),
    /// The role is not in the trash.
    #[error("role `{0}` is not in the trash")]
    RoleNotTrashed(String),
    /// A built-in role cannot be changed this way.
    #[error("built-in role `{name}`: {why}")]
    BuiltInRole {
        /// The role's name.
        name: String,
        /// What is not allowed.
        why: &'static str,
    },
    /// A permission name is not in the catalogue.
    #[error("unknown permission `{0}`")]
    UnknownPermission(String),
    /// The user is in the trash.
    #[error("user `{0}` is in the trash")]
    UserTrashed(String),
    /// The role needs a scope the grant lacks.
    #[error("{0}")]
    ScopeRequired(&'static str),
    /// The role does not take the scope the grant has.
    #[error("{0}")]
    ScopeNotAllowed(&'static str),
    /// The user holds the role with another scope.
    #[error("the user already holds role `{0}` with another scope")]
    RoleAlreadyGranted(String),
    /// The user already acts for another merchant (or as another cashier).
    #[error("the user already acts for another merchant or cashier")]
    MerchantScopeConflict,
    /// The user does not hold the role.
    #[error("the user does not hold role `{0}`")]
    RoleNotGranted(String),
    /// Revoking would leave no active admin.
    #[error("the last active admin keeps `admin`")]
    LastAdmin,
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

impl RoleError {
    /// A malformed request field.
    pub(crate) fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        RoleError::InvalidField {
            field: field.into(),
            description: description.into(),
        }
    }
}

impl From<Status> for RoleError {
    fn from(status: Status) -> Self {
        RoleError::Status(status)
    }
}

impl From<pos_api::ClientsError> for RoleError {
    fn from(error: pos_api::ClientsError) -> Self {
        RoleError::Status(error.into())
    }
}

fn with_id(code: Code, reason: &str, message: String, id: &str) -> Status {
    status::error(
        code,
        Module::Role,
        reason,
        message,
        [("id".to_owned(), id.to_owned())],
    )
}

fn plain(code: Code, reason: &str, message: String) -> Status {
    status::error(code, Module::Role, reason, message, [])
}

impl From<RoleError> for Status {
    fn from(error: RoleError) -> Self {
        let message = error.to_string();
        match error {
            RoleError::InvalidField { field, description } => {
                status::invalid_argument(Module::Role, vec![FieldViolation::new(field, description)])
            }
            RoleError::RoleNotFound(id) => status::not_found(Module::Role, "role", &id),
            RoleError::UserNotFound(id) => status::not_found(Module::Role, "user", &id),
            RoleError::NameTaken(name) => status::error(
                Code::AlreadyExists,
                Module::Role,
                "ROLE_NAME_TAKEN",
                message,
                [("name".to_owned(), name)],
            ),
            RoleError::IdempotencyKeyReused(request_id) => status::error(
                Code::AlreadyExists,
                Module::Role,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                [("request_id".to_owned(), request_id)],
            ),
            RoleError::RoleTrashed(id) => with_id(Code::FailedPrecondition, "ROLE_TRASHED", message, &id),
            RoleError::RoleNotTrashed(id) => {
                with_id(Code::FailedPrecondition, "ROLE_NOT_TRASHED", message, &id)
            }
            RoleError::BuiltInRole { name, .. } => status::error(
                Code::FailedPrecondition,
                Module::Role,
                "BUILT_IN_ROLE",
                message,
                [("name".to_owned(), name)],
            ),
            RoleError::UnknownPermission(permission) => status::error(
                Code::InvalidArgument,
                Module::Role,
                "UNKNOWN_PERMISSION",
                message,
                [("permission".to_owned(), permission)],
            ),
            RoleError::UserTrashed(id) => with_id(Code::FailedPrecondition, "USER_TRASHED", message, &id),
            RoleError::ScopeRequired(_) => plain(Code::InvalidArgument, "SCOPE_REQUIRED", message),
            RoleError::ScopeNotAllowed(_) => plain(Code::InvalidArgument, "SCOPE_NOT_ALLOWED", message),
            RoleError::RoleAlreadyGranted(_) => plain(Code::AlreadyExists, "ROLE_ALREADY_GRANTED", message),
            RoleError::MerchantScopeConflict => {
                plain(Code::FailedPrecondition, "MERCHANT_SCOPE_CONFLICT", message)
            }
            RoleError::RoleNotGranted(_) => plain(Code::NotFound, "ROLE_NOT_GRANTED", message),
            RoleError::LastAdmin => plain(Code::FailedPrecondition, "LAST_ADMIN", message),
            RoleError::PermissionMissing(permission) => status::error(
                Code::PermissionDenied,
                Module::Role,
                "PERMISSION_MISSING",
                message,
                [("permission".to_owned(), permission.to_owned())],
            ),
            RoleError::Database(error) => status::database(Module::Role, error),
            RoleError::Status(status) => status,
            RoleError::Internal(error) => status::internal(Module::Role, &error),
        }
    }
}

impl From<pos_platform::idempotency::IdempotencyError> for RoleError {
    fn from(error: pos_platform::idempotency::IdempotencyError) -> Self {
        use pos_platform::idempotency::IdempotencyError;
        match error {
            IdempotencyError::TooLong => RoleError::invalid("request_id", error.to_string()),
            IdempotencyError::Reused(request_id) => RoleError::IdempotencyKeyReused(request_id),
            IdempotencyError::Database(error) => error.into(),
            IdempotencyError::Corrupt => RoleError::Internal(anyhow::anyhow!(error)),
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
                RoleError::RoleNotFound("x".into()),
                Code::NotFound,
                "ROLE_NOT_FOUND",
            ),
            (
                RoleError::UserNotFound("x".into()),
                Code::NotFound,
                "USER_NOT_FOUND",
            ),
            (
                RoleError::NameTaken("a".into()),
                Code::AlreadyExists,
                "ROLE_NAME_TAKEN",
            ),
            (
                RoleError::BuiltInRole {
                    name: "admin".into(),
                    why: "cannot be renamed",
                },
                Code::FailedPrecondition,
                "BUILT_IN_ROLE",
            ),
            (
                RoleError::UnknownPermission("x.y".into()),
                Code::InvalidArgument,
                "UNKNOWN_PERMISSION",
            ),
            (
                RoleError::ScopeRequired("m"),
                Code::InvalidArgument,
                "SCOPE_REQUIRED",
            ),
            (
                RoleError::ScopeNotAllowed("m"),
                Code::InvalidArgument,
                "SCOPE_NOT_ALLOWED",
            ),
            (
                RoleError::RoleAlreadyGranted("r".into()),
                Code::AlreadyExists,
                "ROLE_ALREADY_GRANTED",
            ),
            (
                RoleError::MerchantScopeConflict,
                Code::FailedPrecondition,
                "MERCHANT_SCOPE_CONFLICT",
            ),
            (
                RoleError::RoleNotGranted("r".into()),
                Code::NotFound,
                "ROLE_NOT_GRANTED",
            ),
            (RoleError::LastAdmin, Code::FailedPrecondition, "LAST_ADMIN"),
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
            assert_eq!(info.domain, "pos.role");
        }
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable() {
        let status = Status::from(RoleError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(status.code(), Code::Unavailable);
    }
}
