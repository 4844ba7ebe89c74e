//! Building `google.rpc.Status` errors: a canonical code, exactly one `ErrorInfo` (reason in
//! UPPER_SNAKE, domain `pos.<module>`) and, for bad input, `BadRequest` field violations.
//!
//! Each module has one error type whose `From<…> for tonic::Status` calls these functions; this
//! is the only place that knows the wire shape of an error.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use pos_api::Module;

/// The `ErrorInfo.domain` of a module.
pub fn domain(module: Module) -> String {
    format!("pos.{module}")
}

/// An error with one `ErrorInfo`.
pub fn error(
    code: Code,
    module: Module,
    reason: &str,
    message: impl Into<String>,
    metadata: impl IntoIterator<Item = (String, String)>,
) -> Status {
    let details = ErrorDetails::with_error_info(
        reason,
        domain(module),
        metadata.into_iter().collect::<std::collections::HashMap<_, _>>(),
    );
    Status::with_error_details(code, message, details)
}

/// `INVALID_ARGUMENT` with reason `INVALID_ARGUMENT` and one violation per bad field.
pub fn invalid_argument(module: Module, violations: Vec<FieldViolation>) -> Status {
    let summary = violations
        .iter()
        .map(|violation| format!("{}: {}", violation.field, violation.description))
        .collect::<Vec<_>>()
        .join("; ");
    let mut details = ErrorDetails::with_error_info(
        "INVALID_ARGUMENT",
        domain(module),
        std::collections::HashMap::new(),
    );
    details.set_bad_request(violations);
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid request: {summary}"),
        details,
    )
}

/// `NOT_FOUND` naming the resource kind and id.
pub fn not_found(module: Module, resource: &str, id: &str) -> Status {
    error(
        Code::NotFound,
        module,
        &format!("{}_NOT_FOUND", resource.to_uppercase()),
        format!("{resource} `{id}` not found"),
        [
            ("resource".to_owned(), resource.to_owned()),
            ("id".to_owned(), id.to_owned()),
        ],
    )
}

/// `UNIMPLEMENTED` for an RPC whose behaviour a later change builds; names the module.
pub fn not_built_yet(module: Module, rpc: &str) -> Status {
    error(
        Code::Unimplemented,
        module,
        "NOT_BUILT_YET",
        format!("{rpc} is not built yet in the {module} module"),
        [
            ("module".to_owned(), module.to_string()),
            ("rpc".to_owned(), rpc.to_owned()),
        ],
    )
}

/// `UNAVAILABLE` for a dependency that is down (database, Redis, another module); the cause is
/// logged, not returned.
pub fn unavailable(module: Module, dependency: &str, cause: &dyn std::error::Error) -> Status {
    tracing::warn!(%module, dependency, error = %cause, "dependency unavailable");
    error(
        Code::Unavailable,
        module,
        "DEPENDENCY_UNAVAILABLE",
        format!("{dependency} is unavailable, retry later"),
        [("dependency".to_owned(), dependency.to_owned())],
    )
}

/// A database error: `UNAVAILABLE` when PostgreSQL is unreachable or overloaded (a retry may
/// succeed), `INTERNAL` otherwise (see [`crate::db::is_unavailable`]).
pub fn database(module: Module, error: sqlx::Error) -> Status {
    if crate::db::is_unavailable(&error) {
        unavailable(module, "PostgreSQL", &error)
    } else {
        internal(module, &anyhow::Error::from(error))
    }
}

/// `INTERNAL` with a generic message; the cause is logged with its chain, never returned.
pub fn internal(module: Module, cause: &anyhow::Error) -> Status {
    tracing::error!(%module, error = ?cause, "internal error");
    error(Code::Internal, module, "INTERNAL", "internal error", [])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_error_info_and_field_violations() {
        let status = invalid_argument(
            Module::Category,
            vec![FieldViolation::new("category.name", "must not be empty")],
        );
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "invalid request: category.name: must not be empty"
        );
        let details = status.get_error_details();
        let info = details.error_info().expect("error info");
        assert_eq!(info.reason, "INVALID_ARGUMENT");
        assert_eq!(info.domain, "pos.category");
        let bad_request = details.bad_request().expect("bad request");
        assert_eq!(bad_request.field_violations.len(), 1);
        assert_eq!(bad_request.field_violations[0].field, "category.name");
    }

    #[test]
    fn not_built_yet_names_module_and_rpc() {
        let status = not_built_yet(Module::Order, "CreateOrder");
        assert_eq!(status.code(), Code::Unimplemented);
        assert_eq!(
            status.message(),
            "CreateOrder is not built yet in the order module"
        );
        let info = status
            .get_error_details()
            .error_info()
            .cloned()
            .expect("error info");
        assert_eq!(info.reason, "NOT_BUILT_YET");
        assert_eq!(info.metadata["module"], "order");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let status = internal(Module::Product, &anyhow::anyhow!("password=hunter2 leaked"));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
    }
}
