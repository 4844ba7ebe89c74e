//! The permission catalogue (`pos_api::policy::PERMISSIONS`) and the built-in roles, whose ids
//! are fixed by the migration that creates them so every environment agrees.

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::error::RoleError;

/// Id of the built-in `admin` role.
pub(crate) const ADMIN_ROLE_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001);
/// Id of the built-in `merchant` role.
pub(crate) const MERCHANT_ROLE_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0002);
/// Id of the built-in `cashier` role.
pub(crate) const CASHIER_ROLE_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0003);

/// Every permission name, sorted.
pub(crate) fn all_permissions() -> Vec<String> {
    let mut names: Vec<String> = pos_api::policy::PERMISSIONS
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    names.sort();
    names
}

/// Whether `name` is in the catalogue.
pub(crate) fn is_known(name: &str) -> bool {
    pos_api::policy::PERMISSIONS
        .iter()
        .any(|(known, _)| *known == name)
}

/// `names` sorted and without duplicates; `UNKNOWN_PERMISSION` for the first name not in the
/// catalogue.
pub(crate) fn normalize(names: &[String]) -> Result<Vec<String>, RoleError> {
    let mut set = BTreeSet::new();
    for name in names {
        let name = name.trim();
        if !is_known(name) {
            return Err(RoleError::UnknownPermission(name.to_owned()));
        }
        set.insert(name.to_owned());
    }
    Ok(set.into_iter().collect())
}

/// What a built-in role's scope must be, given its id; `None` for custom roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BuiltInScope {
    /// `admin`: platform-wide only.
    Platform,
    /// `merchant`: bound to a merchant, not to a cashier.
    Merchant,
    /// `cashier`: bound to a merchant and one of its cashiers.
    Cashier,
}

/// The scope rule of the role with `id`, if it is built in.
pub(crate) fn built_in_scope(id: Uuid) -> Option<BuiltInScope> {
    match id {
        ADMIN_ROLE_ID => Some(BuiltInScope::Platform),
        MERCHANT_ROLE_ID => Some(BuiltInScope::Merchant),
        CASHIER_ROLE_ID => Some(BuiltInScope::Cashier),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_sorted_and_unique() {
        let names = all_permissions();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert!(names.contains(&"notification.write".to_owned()));
    }

    #[test]
    fn permissions_are_sorted_deduplicated_and_checked() {
        let names = vec![
            "order.read".to_owned(),
            "cashier.read".to_owned(),
            "order.read".to_owned(),
        ];
        assert_eq!(normalize(&names).unwrap(), ["cashier.read", "order.read"]);
        assert!(matches!(
            normalize(&["order.fly".to_owned()]),
            Err(RoleError::UnknownPermission(name)) if name == "order.fly"
        ));
    }

    #[test]
    fn built_in_ids_are_version_7_uuids() {
        for id in [ADMIN_ROLE_ID, MERCHANT_ROLE_ID, CASHIER_ROLE_ID] {
            assert_eq!(id.get_version_num(), 7);
        }
        assert_eq!(ADMIN_ROLE_ID.to_string(), "00000000-0000-7000-8000-000000000001");
    }
}
