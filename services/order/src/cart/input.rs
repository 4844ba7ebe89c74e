//! Reading the fields of cart requests: ids, quantities.

use uuid::Uuid;

use super::store::MAX_QUANTITY;
use crate::error::OrderError;

fn invalid(field: &str, description: &str) -> OrderError {
    OrderError::invalid(field, description)
}

/// The UUID in required request field `field` (at most 36 characters).
pub(crate) fn id(field: &str, value: &str) -> Result<Uuid, OrderError> {
    if value.is_empty() {
        return Err(invalid(field, "is required"));
    }
    if value.len() > 36 {
        return Err(invalid(field, "must be a UUID of at most 36 characters"));
    }
    Uuid::parse_str(value).map_err(|_| invalid(field, "must be a UUID"))
}

/// The cart id chosen by the terminal, or a new one when `value` is empty.
pub(crate) fn new_cart_id(value: &str) -> Result<Uuid, OrderError> {
    if value.is_empty() {
        Ok(Uuid::now_v7())
    } else {
        id("cart_id", value)
    }
}

/// The units to add in `AddCartLineRequest.quantity`: 1–9999, 0 meaning 1.
pub(crate) fn units_to_add(quantity: i64) -> Result<i64, OrderError> {
    match quantity {
        0 => Ok(1),
        1..=MAX_QUANTITY => Ok(quantity),
        _ => Err(invalid("quantity", "must be between 1 and 9999 (0 means 1)")),
    }
}

/// The new units of a line in `UpdateCartLineRequest.quantity`: 1–9999.
pub(crate) fn line_units(quantity: i64) -> Result<i64, OrderError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(invalid(
            "quantity",
            "must be between 1 and 9999 (use RemoveCartLine to drop the line)",
        ))
    }
}

/// A quantity the line would reach above 9999.
pub(crate) fn too_many(quantity: i64) -> OrderError {
    invalid(
        "quantity",
        &format!("the line would hold {quantity} units; a line holds at most 9999"),
    )
}

/// `expected_version` when set: at least 1.
pub(crate) fn expected_version(value: Option<i64>) -> Result<Option<i64>, OrderError> {
    match value {
        Some(version) if version < 1 => Err(invalid("expected_version", "must be at least 1 when set")),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_units_mean_one() {
        assert_eq!(units_to_add(0).unwrap(), 1);
        assert_eq!(units_to_add(9999).unwrap(), 9999);
        assert!(units_to_add(10_000).is_err());
        assert!(units_to_add(-1).is_err());
    }

    #[test]
    fn a_line_holds_one_to_9999_units() {
        assert!(line_units(0).is_err());
        assert_eq!(line_units(5).unwrap(), 5);
    }

    #[test]
    fn ids_must_be_uuids() {
        assert!(id("cart_id", "").is_err());
        assert!(id("cart_id", "nope").is_err());
        let fresh = Uuid::now_v7();
        assert_eq!(id("cart_id", &fresh.to_string()).unwrap(), fresh);
        assert_ne!(new_cart_id("").unwrap(), Uuid::nil());
    }
}
