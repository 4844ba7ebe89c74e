//! What requests carry, validated: a product's writable fields (for CreateProduct all of them,
//! for UpdateProduct those its mask names) and update masks.

use std::borrow::Cow;

use uuid::Uuid;
use validator::{Validate, ValidationError};

use pos_api::Module;
use pos_api::pos::product::v1 as pb;

use crate::barcode;
use crate::error::ProductError;
use crate::store::parse_id;

/// Fields UpdateProduct may change, in the order an empty mask lists them.
pub(crate) const UPDATABLE: &[&str] = &[
    "category_id",
    "name",
    "description",
    "brand",
    "weight_grams",
    "price",
    "barcode",
];

/// A price as given.
#[derive(Clone, Debug, PartialEq, Eq, Validate)]
pub(crate) struct Price {
    #[validate(range(min = 1, message = "must be greater than zero"))]
    pub(crate) amount_minor: i64,
    #[validate(custom(function = "currency_code"))]
    pub(crate) currency_code: String,
}

/// New values of a product's writable fields; `None` for fields left alone. Strings are trimmed.
/// An empty `barcode` means "generate one".
#[derive(Clone, Debug, Default, PartialEq, Eq, Validate)]
pub(crate) struct ProductFields {
    pub(crate) category_id: Option<Uuid>,
    #[validate(length(min = 1, max = 200, message = "must be 1-200 characters"))]
    pub(crate) name: Option<String>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    pub(crate) description: Option<String>,
    #[validate(length(max = 100, message = "must be at most 100 characters"))]
    pub(crate) brand: Option<String>,
    #[validate(range(min = 0, message = "must not be negative"))]
    pub(crate) weight_grams: Option<i64>,
    #[validate(nested)]
    pub(crate) price: Option<Price>,
    #[validate(custom(function = "barcode_or_empty"))]
    pub(crate) barcode: Option<String>,
}

impl ProductFields {
    /// The fields of `product` that `paths` name (every writable one for CreateProduct),
    /// validated; violations are reported under `product.`.
    pub(crate) fn from_pb(product: &pb::Product, paths: &[String]) -> Result<Self, ProductError> {
        let named = |name: &str| paths.iter().any(|path| path == name);
        let category_id = if named("category_id") {
            Some(parse_id("product.category_id", &product.category_id)?)
        } else {
            None
        };
        let price = if named("price") {
            let price = product
                .price
                .as_ref()
                .ok_or_else(|| ProductError::invalid("product.price", "is required"))?;
            Some(Price {
                amount_minor: price.amount_minor,
                currency_code: price.currency_code.trim().to_owned(),
            })
        } else {
            None
        };
        let text = |name: &str, value: &str| named(name).then(|| value.trim().to_owned());
        let fields = ProductFields {
            category_id,
            name: text("name", &product.name),
            description: text("description", &product.description),
            brand: text("brand", &product.brand),
            weight_grams: named("weight_grams").then_some(product.weight_grams),
            price,
            barcode: text("barcode", &product.barcode),
        };
        pos_platform::validation::validate(Module::Product, "product", &fields)?;
        Ok(fields)
    }
}

fn currency_code(code: &str) -> Result<(), ValidationError> {
    if code.len() == 3 && code.bytes().all(|byte| byte.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(ValidationError::new("currency_code").with_message(Cow::Borrowed(
            "must be an ISO-4217 code: three upper-case letters",
        )))
    }
}

fn barcode_or_empty(code: &str) -> Result<(), ValidationError> {
    if code.is_empty() || barcode::is_valid(code) {
        Ok(())
    } else {
        Err(ValidationError::new("barcode").with_message(Cow::Borrowed(
            "must be 8, 12, 13 or 14 digits with a valid check digit, or 1-50 characters from [A-Za-z0-9-]",
        )))
    }
}

/// The snake_case paths of `mask` (camelCase paths, as REST clients may send them, are
/// converted); every updatable field when the mask is empty. A path outside [`UPDATABLE`] is
/// refused.
pub(crate) fn mask_paths(mask: Option<&prost_types::FieldMask>) -> Result<Vec<String>, ProductError> {
    let paths: Vec<String> = mask
        .map(|mask| mask.paths.iter().map(|path| snake_case(path.trim())).collect())
        .unwrap_or_default();
    if paths.is_empty() {
        return Ok(UPDATABLE.iter().map(|path| (*path).to_owned()).collect());
    }
    if let Some(path) = paths.iter().find(|path| !UPDATABLE.contains(&path.as_str())) {
        return Err(ProductError::invalid(
            "update_mask",
            format!(
                "`{path}` cannot be updated; updatable fields: {}",
                UPDATABLE.join(", ")
            ),
        ));
    }
    Ok(paths)
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
    use pos_api::pos::common::v1::Money;

    use super::*;

    fn product() -> pb::Product {
        pb::Product {
            category_id: Uuid::now_v7().to_string(),
            name: " Kopi ".into(),
            weight_grams: 250,
            price: Some(Money {
                currency_code: "IDR".into(),
                amount_minor: 15_000,
            }),
            ..Default::default()
        }
    }

    fn all() -> Vec<String> {
        mask_paths(None).unwrap()
    }

    #[test]
    fn a_valid_product_is_trimmed() {
        let fields = ProductFields::from_pb(&product(), &all()).unwrap();
        assert_eq!(fields.name.as_deref(), Some("Kopi"));
        assert_eq!(fields.barcode.as_deref(), Some(""));
    }

    #[test]
    fn bad_fields_are_refused() {
        let mut bad = product();
        bad.price = Some(Money {
            currency_code: "idr".into(),
            amount_minor: 0,
        });
        bad.barcode = "4006381333932".into();
        bad.weight_grams = -1;
        assert!(ProductFields::from_pb(&bad, &all()).is_err());
        let mut no_price = product();
        no_price.price = None;
        assert!(matches!(
            ProductFields::from_pb(&no_price, &all()),
            Err(ProductError::InvalidField { field, .. }) if field == "product.price"
        ));
    }

    #[test]
    fn masks_name_only_updatable_fields() {
        let mask = prost_types::FieldMask {
            paths: vec!["weightGrams".into()],
        };
        assert_eq!(mask_paths(Some(&mask)).unwrap(), ["weight_grams"]);
        let stock = prost_types::FieldMask {
            paths: vec!["count_in_stock".into()],
        };
        assert!(mask_paths(Some(&stock)).is_err());
    }
}
