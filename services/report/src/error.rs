//! The one error type of the report module, and its mapping to `google.rpc.Status`.

use std::collections::HashMap;

use pos_api::Module;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};

/// Everything that can go wrong in the report module.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `granularity`, `year` or `month` do not name a period (one violation per bad field).
    #[error("invalid period")]
    InvalidPeriod(Vec<FieldViolation>),
    /// A request field is malformed (e.g. an id that is not a UUID, a negative page size).
    #[error("invalid `{field}`: {description}")]
    InvalidField {
        /// Proto path of the field.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// Basis PAYMENTS was asked with a category in scope: payments are not split by category.
    #[error("basis PAYMENTS is not supported with `category_id`: payments are not split by category")]
    BasisNotSupported,
    /// `status` is PENDING: only final payments are reported.
    #[error("status must be TRANSACTION_STATUS_SUCCEEDED or TRANSACTION_STATUS_FAILED")]
    InvalidStatus,
    /// The request names figures outside the caller's scope (`field` names the filter).
    #[error("`{field}` is outside the figures you may read")]
    ScopeDenied {
        /// The filter that names figures outside the caller's scope.
        field: &'static str,
    },
    /// The caller holds no scope with `report.read`.
    #[error("permission `report.read` is required")]
    PermissionMissing,
    /// PostgreSQL failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A bug or an impossible state.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ReportError {
    /// A malformed request field.
    pub(crate) fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        ReportError::InvalidField {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// `INVALID_ARGUMENT` with ErrorInfo `reason` and the given field violations.
fn bad_request(reason: &str, message: String, violations: Vec<FieldViolation>) -> Status {
    let mut details = ErrorDetails::with_error_info(reason, status::domain(Module::Report), HashMap::new());
    details.set_bad_request(violations);
    Status::with_error_details(Code::InvalidArgument, message, details)
}

/// One field violation with a reason.
fn violation(field: &str, description: &str, reason: &str) -> FieldViolation {
    FieldViolation {
        field: field.to_owned(),
        description: description.to_owned(),
        reason: reason.to_owned(),
        localized_message: None,
    }
}

impl From<ReportError> for Status {
    fn from(error: ReportError) -> Self {
        let message = error.to_string();
        match error {
            ReportError::InvalidPeriod(violations) => {
                let summary = violations
                    .iter()
                    .map(|violation| format!("{}: {}", violation.field, violation.description))
                    .collect::<Vec<_>>()
                    .join("; ");
                bad_request("INVALID_PERIOD", format!("invalid period: {summary}"), violations)
            }
            ReportError::InvalidField { field, description } => {
                status::invalid_argument(Module::Report, vec![FieldViolation::new(field, description)])
            }
            ReportError::BasisNotSupported => bad_request(
                "BASIS_NOT_SUPPORTED",
                message,
                vec![violation(
                    "basis",
                    "REVENUE_BASIS_PAYMENTS cannot be combined with category_id; use REVENUE_BASIS_LINES",
                    "BASIS_NOT_SUPPORTED",
                )],
            ),
            ReportError::InvalidStatus => bad_request(
                "INVALID_STATUS",
                message,
                vec![violation(
                    "status",
                    "must be TRANSACTION_STATUS_SUCCEEDED, TRANSACTION_STATUS_FAILED or unspecified",
                    "INVALID_STATUS",
                )],
            ),
            ReportError::ScopeDenied { field } => status::error(
                Code::PermissionDenied,
                Module::Report,
                "REPORT_SCOPE_DENIED",
                message,
                [("field".to_owned(), field.to_owned())],
            ),
            ReportError::PermissionMissing => status::error(
                Code::PermissionDenied,
                Module::Report,
                "PERMISSION_MISSING",
                message,
                [("permission".to_owned(), "report.read".to_owned())],
            ),
            ReportError::Database(error) => status::database(Module::Report, error),
            ReportError::Internal(error) => status::internal(Module::Report, &error),
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
    fn an_invalid_period_names_every_bad_field() {
        let status = Status::from(ReportError::InvalidPeriod(vec![
            FieldViolation::new("granularity", "must be set"),
            FieldViolation::new("year", "must be 1-9999"),
        ]));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(reason(&status), "INVALID_PERIOD");
        let details = status.get_error_details();
        let fields: Vec<_> = details
            .bad_request()
            .expect("bad request")
            .field_violations
            .iter()
            .map(|v| v.field.clone())
            .collect();
        assert_eq!(fields, ["granularity", "year"]);
    }

    #[test]
    fn scope_and_contract_errors_carry_their_reasons() {
        let denied = Status::from(ReportError::ScopeDenied { field: "merchant_id" });
        assert_eq!(denied.code(), Code::PermissionDenied);
        assert_eq!(reason(&denied), "REPORT_SCOPE_DENIED");
        let basis = Status::from(ReportError::BasisNotSupported);
        assert_eq!(basis.code(), Code::InvalidArgument);
        assert_eq!(reason(&basis), "BASIS_NOT_SUPPORTED");
        let pending = Status::from(ReportError::InvalidStatus);
        assert_eq!(pending.code(), Code::InvalidArgument);
        assert_eq!(reason(&pending), "INVALID_STATUS");
    }
}
