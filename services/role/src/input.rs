//! What role requests carry, validated: names, descriptions, permission lists and update masks.

use validator::{Validate, ValidationError};

use pos_api::pos::role::v1 as pb;

use crate::catalogue;
use crate::error::RoleError;

/// Fields UpdateRole may change.
pub(crate) const UPDATABLE: &[&str] = &["name", "description", "permissions"];

/// The name and description of a role; `None` for a field an update leaves alone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Validate)]
pub(crate) struct RoleFields {
    #[validate(custom(function = "role_name"))]
    pub(crate) name: Option<String>,
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    pub(crate) description: Option<String>,
}

/// A role's name: 1–50 lower-case letters, digits, `-` and `_`.
fn role_name(name: &str) -> Result<(), ValidationError> {
    let valid = (1..=50).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ValidationError::new("role_name")
            .with_message("must be 1-50 characters of lower-case letters, digits, `-` and `_`".into()))
    }
}

/// A role as CreateRole reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NewRole {
    pub(crate) name: String,
    pub(crate) description: String,
    /// Sorted, without duplicates, all in the catalogue.
    pub(crate) permissions: Vec<String>,
}

impl NewRole {
    /// Validates `role` (field violations first, then `UNKNOWN_PERMISSION`).
    pub(crate) fn from_pb(role: &pb::Role) -> Result<Self, RoleError> {
        let fields = RoleFields {
            name: Some(role.name.trim().to_owned()),
            description: Some(role.description.trim().to_owned()),
        };
        pos_platform::validation::validate(pos_api::Module::Role, "role", &fields)?;
        Ok(NewRole {
            name: fields.name.unwrap_or_default(),
            description: fields.description.unwrap_or_default(),
            permissions: catalogue::normalize(&role.permissions)?,
        })
    }
}

/// What an UpdateRole asks to change; `None` for fields left alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RoleChanges {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    /// Sorted, without duplicates, all in the catalogue.
    pub(crate) permissions: Option<Vec<String>>,
}

impl RoleChanges {
    /// Validates the fields of `role` that `mask` names (every writable field when it is empty).
    pub(crate) fn from_pb(role: &pb::Role, mask: Option<&prost_types::FieldMask>) -> Result<Self, RoleError> {
        let paths: Vec<String> = mask
            .map(|mask| mask.paths.iter().map(|path| path.trim().to_owned()).collect())
            .unwrap_or_default();
        if let Some(path) = paths.iter().find(|path| !UPDATABLE.contains(&path.as_str())) {
            return Err(RoleError::invalid(
                "update_mask",
                format!("`{path}` cannot be updated; updatable fields: name, description, permissions"),
            ));
        }
        let named = |field: &str| paths.is_empty() || paths.iter().any(|path| path == field);
        let fields = RoleFields {
            name: named("name").then(|| role.name.trim().to_owned()),
            description: named("description").then(|| role.description.trim().to_owned()),
        };
        pos_platform::validation::validate(pos_api::Module::Role, "role", &fields)?;
        let permissions = if named("permissions") {
            Some(catalogue::normalize(&role.permissions)?)
        } else {
            None
        };
        Ok(RoleChanges {
            name: fields.name,
            description: fields.description,
            permissions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, permissions: &[&str]) -> pb::Role {
        pb::Role {
            name: name.into(),
            description: "Reads reports".into(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn role_names_follow_the_contract() {
        for good in ["a", "store-manager", "night_shift_2", &"x".repeat(50)] {
            assert!(role_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Admin", "store manager", "café", &"x".repeat(51)] {
            assert!(role_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_new_role_has_sorted_unique_known_permissions() {
        let new = NewRole::from_pb(&role("auditor", &["report.read", "order.read", "report.read"])).unwrap();
        assert_eq!(new.permissions, ["order.read", "report.read"]);
        assert!(matches!(
            NewRole::from_pb(&role("auditor", &["report.write"])),
            Err(RoleError::UnknownPermission(name)) if name == "report.write"
        ));
        assert!(matches!(
            NewRole::from_pb(&role("Auditor", &[])),
            Err(RoleError::Status(status)) if status.code() == tonic::Code::InvalidArgument
        ));
    }

    #[test]
    fn an_update_reads_only_the_masked_fields() {
        let mask = prost_types::FieldMask {
            paths: vec!["description".into()],
        };
        let changes = RoleChanges::from_pb(&role("IGNORED", &["nope"]), Some(&mask)).unwrap();
        assert_eq!(
            changes,
            RoleChanges {
                description: Some("Reads reports".into()),
                ..Default::default()
            }
        );
        let bad_mask = prost_types::FieldMask {
            paths: vec!["built_in".into()],
        };
        assert!(matches!(
            RoleChanges::from_pb(&role("a", &[]), Some(&bad_mask)),
            Err(RoleError::InvalidField { field, .. }) if field == "update_mask"
        ));
    }
}
