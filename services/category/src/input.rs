//! What category requests carry, validated: names, descriptions, update masks, ids and list
//! filters.

use uuid::Uuid;
use validator::{Validate, ValidationError};

use pos_api::Module;
use pos_api::pos::category::v1 as pb;

use crate::error::CategoryError;

/// Fields UpdateCategory may change.
const UPDATABLE: &[&str] = &["name", "description"];

/// Longest free-text query accepted by ListCategories.
const MAX_QUERY_CHARS: usize = 200;

/// The name and description of a category; `None` for a field an update leaves alone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Validate)]
pub(crate) struct CategoryFields {
    #[validate(custom(function = "category_name"))]
    pub(crate) name: Option<String>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    pub(crate) description: Option<String>,
}

/// A category's display name: 1–100 characters, no control characters.
fn category_name(name: &str) -> Result<(), ValidationError> {
    if name.is_empty() {
        return Err(ValidationError::new("required").with_message("is required".into()));
    }
    if name.chars().count() > 100 {
        return Err(ValidationError::new("too_long").with_message("must be at most 100 characters".into()));
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::new("control_characters")
            .with_message("must not contain control characters".into()));
    }
    Ok(())
}

/// A category as CreateCategory reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NewCategory {
    pub(crate) name: String,
    pub(crate) description: String,
}

impl NewCategory {
    /// Validates `category` (only `name` and `description` are read).
    pub(crate) fn from_pb(category: Option<&pb::Category>) -> Result<Self, CategoryError> {
        let category = category.cloned().unwrap_or_default();
        let fields = CategoryFields {
            name: Some(category.name.trim().to_owned()),
            description: Some(category.description.trim().to_owned()),
        };
        pos_platform::validation::validate(Module::Category, "category", &fields)?;
        Ok(NewCategory {
            name: fields.name.unwrap_or_default(),
            description: fields.description.unwrap_or_default(),
        })
    }
}

/// What an UpdateCategory asks to change; `None` for fields left alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CategoryChanges {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
}

impl CategoryChanges {
    /// Validates the fields of `category` that `mask` names (every writable field when it is
    /// empty). Mask paths may be snake_case or lowerCamelCase.
    pub(crate) fn from_pb(
        category: &pb::Category,
        mask: Option<&prost_types::FieldMask>,
    ) -> Result<Self, CategoryError> {
        let paths: Vec<String> = mask
            .map(|mask| mask.paths.iter().map(|path| snake_case(path.trim())).collect())
            .unwrap_or_default();
        if let Some(path) = paths.iter().find(|path| !UPDATABLE.contains(&path.as_str())) {
            return Err(CategoryError::invalid(
                "update_mask",
                format!("`{path}` cannot be updated; updatable fields: name, description"),
            ));
        }
        let named = |field: &str| paths.is_empty() || paths.iter().any(|path| path == field);
        let fields = CategoryFields {
            name: named("name").then(|| category.name.trim().to_owned()),
            description: named("description").then(|| category.description.trim().to_owned()),
        };
        pos_platform::validation::validate(Module::Category, "category", &fields)?;
        Ok(CategoryChanges {
            name: fields.name,
            description: fields.description,
        })
    }
}

/// Parses the required id in request field `field`.
pub(crate) fn parse_id(field: &str, value: &str) -> Result<Uuid, CategoryError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CategoryError::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| CategoryError::invalid(field, "must be a UUID"))
}

/// The SQL name of a `Lifecycle` filter (unset means active).
pub(crate) fn lifecycle_filter(value: i32) -> Result<&'static str, CategoryError> {
    pos_platform::listing::lifecycle_filter(value)
        .ok_or_else(|| CategoryError::invalid("lifecycle", "is not a known lifecycle"))
}

/// The trimmed free-text query of a listing.
pub(crate) fn query(value: &str) -> Result<&str, CategoryError> {
    let query = value.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(CategoryError::invalid(
            "query",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(query)
}

pub(crate) use pos_platform::listing::escape_like;

/// A mask path in snake_case (`updateTime` → `update_time`).
fn snake_case(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(name: &str, description: &str) -> pb::Category {
        pb::Category {
            name: name.into(),
            description: description.into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        let new = NewCategory::from_pb(Some(&category("  Books ", " Paper "))).unwrap();
        assert_eq!(new.name, "Books");
        assert_eq!(new.description, "Paper");
        for bad in ["", "   ", &"x".repeat(101), "a\u{7}b"] {
            assert!(
                matches!(
                    NewCategory::from_pb(Some(&category(bad, ""))),
                    Err(CategoryError::Status(status)) if status.code() == tonic::Code::InvalidArgument
                ),
                "{bad:?}"
            );
        }
        assert!(NewCategory::from_pb(Some(&category(&"é".repeat(100), ""))).is_ok());
        assert!(NewCategory::from_pb(Some(&category("a", &"d".repeat(2001)))).is_err());
    }

    #[test]
    fn an_update_reads_only_the_masked_fields() {
        let mask = prost_types::FieldMask {
            paths: vec!["description".into()],
        };
        let changes = CategoryChanges::from_pb(&category("", "New text"), Some(&mask)).unwrap();
        assert_eq!(
            changes,
            CategoryChanges {
                name: None,
                description: Some("New text".into()),
            }
        );
        let everything = CategoryChanges::from_pb(&category("Toys", ""), None).unwrap();
        assert_eq!(everything.name.as_deref(), Some("Toys"));
        assert_eq!(everything.description.as_deref(), Some(""));
    }

    #[test]
    fn a_mask_naming_an_output_only_field_is_refused() {
        for path in ["slug", "createTime", "id"] {
            let mask = prost_types::FieldMask {
                paths: vec![path.into()],
            };
            assert!(
                matches!(
                    CategoryChanges::from_pb(&category("a", ""), Some(&mask)),
                    Err(CategoryError::InvalidField { field, .. }) if field == "update_mask"
                ),
                "{path}"
            );
        }
    }

    #[test]
    fn like_wildcards_in_a_query_match_themselves() {
        assert_eq!(escape_like("a_b%\\"), "a\\_b\\%\\\\");
    }
}
