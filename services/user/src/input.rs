//! What requests carry, validated: new users, changes to users, and update masks.

use validator::Validate;

use pos_api::pos::user::v1 as pb;

use crate::error::UserError;

/// The fields of a user CreateUser reads, trimmed.
#[derive(Clone, Debug, Validate)]
pub(crate) struct NewUser {
    #[validate(
        email(message = "must be a valid email address"),
        length(max = 254, message = "must be at most 254 characters")
    )]
    pub(crate) email: String,
    #[validate(length(min = 1, max = 100, message = "must be 1-100 characters"))]
    pub(crate) first_name: String,
    #[validate(length(max = 100, message = "must be at most 100 characters"))]
    pub(crate) last_name: String,
}

impl NewUser {
    /// The new user described by `user` (only email and names are read).
    pub(crate) fn from_pb(user: &pb::User) -> Self {
        NewUser {
            email: user.email.trim().to_owned(),
            first_name: user.first_name.trim().to_owned(),
            last_name: user.last_name.trim().to_owned(),
        }
    }
}

/// The new values of the fields an update names; `None` for fields it leaves alone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Validate)]
pub(crate) struct UserChanges {
    #[validate(
        email(message = "must be a valid email address"),
        length(max = 254, message = "must be at most 254 characters")
    )]
    pub(crate) email: Option<String>,
    #[validate(length(min = 1, max = 100, message = "must be 1-100 characters"))]
    pub(crate) first_name: Option<String>,
    #[validate(length(max = 100, message = "must be at most 100 characters"))]
    pub(crate) last_name: Option<String>,
}

/// Fields UpdateUser may change.
pub(crate) const ADMIN_UPDATABLE: &[&str] = &["first_name", "last_name", "email"];
/// Fields UpdateMyProfile may change.
pub(crate) const SELF_UPDATABLE: &[&str] = &["first_name", "last_name"];

impl UserChanges {
    /// The changes `paths` name, taken from `user` (trimmed).
    pub(crate) fn from_pb(user: &pb::User, paths: &[String]) -> Self {
        let pick = |name: &str, value: &str| {
            paths
                .iter()
                .any(|path| path == name)
                .then(|| value.trim().to_owned())
        };
        UserChanges {
            email: pick("email", &user.email),
            first_name: pick("first_name", &user.first_name),
            last_name: pick("last_name", &user.last_name),
        }
    }
}

/// The snake_case paths of `mask` (camelCase paths, as REST clients may send them, are
/// converted); every field of `all` when the mask is empty.
pub(crate) fn mask_paths(mask: Option<&prost_types::FieldMask>, all: &[&str]) -> Vec<String> {
    let paths: Vec<String> = mask
        .map(|mask| mask.paths.iter().map(|path| snake_case(path.trim())).collect())
        .unwrap_or_default();
    if paths.is_empty() {
        all.iter().map(|path| (*path).to_owned()).collect()
    } else {
        paths
    }
}

/// Refuses a mask naming a field UpdateUser cannot change.
pub(crate) fn check_admin_mask(paths: &[String]) -> Result<(), UserError> {
    match paths
        .iter()
        .find(|path| !ADMIN_UPDATABLE.contains(&path.as_str()))
    {
        Some(path) => Err(UserError::invalid(
            "update_mask",
            format!("`{path}` cannot be updated; updatable fields: first_name, last_name, email"),
        )),
        None => Ok(()),
    }
}

/// Refuses a mask naming a field users cannot change themselves (`FIELD_NOT_UPDATABLE`).
pub(crate) fn check_self_mask(paths: &[String]) -> Result<(), UserError> {
    match paths.iter().find(|path| !SELF_UPDATABLE.contains(&path.as_str())) {
        Some(path) => Err(UserError::FieldNotUpdatable(path.clone())),
        None => Ok(()),
    }
}

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

    fn user(email: &str, first: &str, last: &str) -> pb::User {
        pb::User {
            email: email.into(),
            first_name: first.into(),
            last_name: last.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_user_is_trimmed_and_checked_field_by_field() {
        let valid = NewUser::from_pb(&user("  ana@example.com ", " Ana ", ""));
        assert_eq!(valid.email, "ana@example.com");
        assert_eq!(valid.first_name, "Ana");
        assert!(valid.validate().is_ok());

        let invalid = NewUser::from_pb(&user("not-an-email", "   ", &"x".repeat(101)));
        let errors = invalid.validate().unwrap_err();
        let mut fields: Vec<_> = errors.field_errors().keys().map(ToString::to_string).collect();
        fields.sort();
        assert_eq!(fields, ["email", "first_name", "last_name"]);
    }

    #[test]
    fn names_count_characters_not_bytes() {
        let valid = NewUser::from_pb(&user("a@example.com", &"é".repeat(100), "李"));
        assert!(valid.validate().is_ok());
    }

    #[test]
    fn an_empty_mask_means_every_writable_field() {
        assert_eq!(mask_paths(None, SELF_UPDATABLE), ["first_name", "last_name"]);
        let mask = prost_types::FieldMask {
            paths: vec!["firstName".into()],
        };
        assert_eq!(mask_paths(Some(&mask), ADMIN_UPDATABLE), ["first_name"]);
    }

    #[test]
    fn changes_hold_only_the_masked_fields() {
        let changes = UserChanges::from_pb(&user("b@example.com", "Bo", "X"), &["last_name".to_owned()]);
        assert_eq!(
            changes,
            UserChanges {
                last_name: Some("X".into()),
                ..Default::default()
            }
        );
    }

    #[test]
    fn masks_naming_other_fields_are_refused() {
        assert!(check_admin_mask(&["email".to_owned()]).is_ok());
        assert!(matches!(
            check_admin_mask(&["email_verified".to_owned()]),
            Err(UserError::InvalidField { .. })
        ));
        assert!(matches!(
            check_self_mask(&["email".to_owned()]),
            Err(UserError::FieldNotUpdatable(field)) if field == "email"
        ));
    }
}
