//! What requests carry, validated: new cashiers, renames and update masks.

use validator::Validate;

use pos_api::pos::cashier::v1 as pb;

use crate::error::CashierError;

/// The fields of CreateCashier that are checked field by field (paths are the request's).
#[derive(Clone, Debug, Validate)]
pub(crate) struct NewCashier {
    /// `cashier.name`, trimmed.
    #[validate(nested)]
    pub(crate) cashier: CashierName,
    /// `email`, trimmed; `None` when an existing user is bound with `user_id`.
    #[validate(
        length(min = 1, max = 254, message = "is required, at most 254 characters"),
        email(message = "must be a valid email address")
    )]
    pub(crate) email: Option<String>,
    /// `initial_password`; `None` when empty (the user is invited) or when binding a user.
    #[validate(length(min = 8, max = 128, message = "must be 8-128 characters"))]
    pub(crate) initial_password: Option<String>,
}

/// A cashier's name.
#[derive(Clone, Debug, PartialEq, Eq, Validate)]
pub(crate) struct CashierName {
    #[validate(length(min = 1, max = 100, message = "must be 1-100 characters"))]
    pub(crate) name: String,
}

impl CashierName {
    /// The name of `cashier`, trimmed.
    pub(crate) fn from_pb(cashier: &pb::Cashier) -> Self {
        CashierName {
            name: cashier.name.trim().to_owned(),
        }
    }
}

impl NewCashier {
    /// The new cashier CreateCashier describes; `binds_user` when it names an existing user.
    pub(crate) fn from_pb(request: &pb::CreateCashierRequest, binds_user: bool) -> Self {
        let cashier = CashierName::from_pb(&request.cashier.clone().unwrap_or_default());
        if binds_user {
            return NewCashier {
                cashier,
                email: None,
                initial_password: None,
            };
        }
        NewCashier {
            cashier,
            email: Some(request.email.trim().to_owned()),
            initial_password: (!request.initial_password.is_empty())
                .then(|| request.initial_password.clone()),
        }
    }
}

/// Fields UpdateCashier may change.
pub(crate) const UPDATABLE: &[&str] = &["name"];

/// The snake_case paths of `mask`, every updatable field when it is empty; INVALID_ARGUMENT on
/// `update_mask` when it names another field.
pub(crate) fn mask_paths(mask: Option<&prost_types::FieldMask>) -> Result<Vec<String>, CashierError> {
    let paths: Vec<String> = mask
        .map(|mask| mask.paths.iter().map(|path| path.trim().to_owned()).collect())
        .unwrap_or_default();
    if paths.is_empty() {
        return Ok(UPDATABLE.iter().map(|path| (*path).to_owned()).collect());
    }
    match paths.iter().find(|path| !UPDATABLE.contains(&path.as_str())) {
        Some(path) => Err(CashierError::invalid(
            "update_mask",
            format!("`{path}` cannot be updated; updatable fields: name"),
        )),
        None => Ok(paths),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str, email: &str, password: &str) -> pb::CreateCashierRequest {
        pb::CreateCashierRequest {
            cashier: Some(pb::Cashier {
                name: name.into(),
                ..Default::default()
            }),
            email: email.into(),
            initial_password: password.into(),
            ..Default::default()
        }
    }

    fn bad_fields(input: &NewCashier) -> Vec<String> {
        let mut fields = Vec::new();
        if let Err(errors) = input.validate() {
            for (field, kind) in errors.errors() {
                match kind {
                    validator::ValidationErrorsKind::Struct(inner) => {
                        fields.extend(
                            inner
                                .field_errors()
                                .keys()
                                .map(|inner| format!("{field}.{inner}")),
                        );
                    }
                    _ => fields.push(field.to_string()),
                }
            }
        }
        fields.sort();
        fields
    }

    #[test]
    fn a_new_cashier_is_trimmed_and_checked_field_by_field() {
        let valid = NewCashier::from_pb(&request(" Ana ", " ana@example.com ", ""), false);
        assert_eq!(valid.cashier.name, "Ana");
        assert_eq!(valid.email.as_deref(), Some("ana@example.com"));
        assert_eq!(valid.initial_password, None);
        assert!(bad_fields(&valid).is_empty());

        let invalid = NewCashier::from_pb(&request("  ", "not-an-email", "short"), false);
        assert_eq!(
            bad_fields(&invalid),
            ["cashier.name", "email", "initial_password"]
        );
    }

    #[test]
    fn binding_a_user_ignores_email_and_password() {
        let input = NewCashier::from_pb(&request("Ana", "", "x"), true);
        assert!(bad_fields(&input).is_empty());
    }

    #[test]
    fn an_empty_email_is_refused_when_creating_a_user() {
        let input = NewCashier::from_pb(&request("Ana", "", ""), false);
        assert_eq!(bad_fields(&input), ["email"]);
    }

    #[test]
    fn only_the_name_can_be_updated() {
        assert_eq!(mask_paths(None).unwrap(), ["name"]);
        let mask = prost_types::FieldMask {
            paths: vec!["merchant_id".into()],
        };
        assert!(matches!(
            mask_paths(Some(&mask)),
            Err(CashierError::InvalidField { .. })
        ));
    }
}
