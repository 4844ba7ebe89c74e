//! Turning `validator` results into `INVALID_ARGUMENT` with one field violation per bad field.
//!
//! Modules convert a request into a domain input struct that derives `validator::Validate`,
//! then call [`validate`]; field paths are dotted proto paths (`category.name`, `lines[2].quantity`).

use tonic::Status;
use tonic_types::FieldViolation;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use pos_api::Module;

/// Validates `input`; on failure answers `INVALID_ARGUMENT` naming every bad field under `prefix`
/// (the request field that holds the input, e.g. `category`; empty for top-level fields).
pub fn validate(module: Module, prefix: &str, input: &impl Validate) -> Result<(), Status> {
    input.validate().map_err(|errors| {
        let mut violations = Vec::new();
        collect(prefix, &errors, &mut violations);
        violations.sort_by(|a, b| a.field.cmp(&b.field));
        crate::status::invalid_argument(module, violations)
    })
}

fn collect(prefix: &str, errors: &ValidationErrors, out: &mut Vec<FieldViolation>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(field_errors) => {
                for error in field_errors {
                    let description = error
                        .message
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| error.code.to_string());
                    out.push(FieldViolation {
                        field: path.clone(),
                        description,
                        reason: error.code.to_uppercase(),
                        localized_message: None,
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(&format!("{path}[{index}]"), inner, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;
    use validator::Validate;

    use super::*;

    #[derive(Validate)]
    struct Line {
        #[validate(range(min = 1, message = "must be at least 1"))]
        quantity: i64,
    }

    #[derive(Validate)]
    struct NewOrder {
        #[validate(length(min = 1, max = 100, message = "must be 1-100 characters"))]
        note: String,
        #[validate(nested)]
        lines: Vec<Line>,
    }

    #[test]
    fn every_bad_field_becomes_a_violation_with_its_path() {
        let input = NewOrder {
            note: String::new(),
            lines: vec![Line { quantity: 1 }, Line { quantity: 0 }],
        };
        let status = validate(Module::Order, "", &input).unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<_> = details
            .bad_request()
            .expect("bad request")
            .field_violations
            .iter()
            .map(|v| (v.field.clone(), v.description.clone()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("lines[1].quantity".to_owned(), "must be at least 1".to_owned()),
                ("note".to_owned(), "must be 1-100 characters".to_owned()),
            ]
        );
    }

    #[test]
    fn valid_input_passes() {
        let input = NewOrder {
            note: "table 4".into(),
            lines: vec![Line { quantity: 2 }],
        };
        assert!(validate(Module::Order, "order", &input).is_ok());
    }
}
