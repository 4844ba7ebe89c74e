//! What merchant requests carry, validated: the writable fields of a merchant and update masks.

use std::borrow::Cow;

use validator::{Validate, ValidateEmail as _, ValidationError};

use pos_api::Module;
use pos_api::pos::merchant::v1 as pb;

use crate::error::MerchantError;

/// The writable fields of a merchant (UpdateMerchant's `update_mask` may name these).
pub(crate) const WRITABLE: &[&str] = &[
    "name",
    "description",
    "address",
    "contact_email",
    "contact_phone",
    "currency_code",
    "time_zone",
    "receipt_footer",
];

/// The writable fields of a merchant, trimmed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Validate)]
pub(crate) struct MerchantFields {
    #[validate(
        custom(function = "required"),
        length(max = 255, message = "must have at most 255 characters")
    )]
    pub(crate) name: String,
    #[validate(length(max = 2000, message = "must have at most 2000 characters"))]
    pub(crate) description: String,
    #[validate(length(max = 500, message = "must have at most 500 characters"))]
    pub(crate) address: String,
    #[validate(custom(function = "optional_email"))]
    pub(crate) contact_email: String,
    #[validate(
        length(max = 20, message = "must have at most 20 characters"),
        custom(function = "phone")
    )]
    pub(crate) contact_phone: String,
    pub(crate) currency_code: String,
    pub(crate) time_zone: String,
    #[validate(length(max = 500, message = "must have at most 500 characters"))]
    pub(crate) receipt_footer: String,
}

impl MerchantFields {
    /// The fields of `merchant`, trimmed; an empty time zone means UTC.
    pub(crate) fn from_pb(merchant: &pb::Merchant) -> Self {
        MerchantFields {
            name: merchant.name.trim().to_owned(),
            description: merchant.description.trim().to_owned(),
            address: merchant.address.trim().to_owned(),
            contact_email: merchant.contact_email.trim().to_owned(),
            contact_phone: merchant.contact_phone.trim().to_owned(),
            currency_code: merchant.currency_code.trim().to_owned(),
            time_zone: match merchant.time_zone.trim() {
                "" => "UTC".to_owned(),
                zone => zone.to_owned(),
            },
            receipt_footer: merchant.receipt_footer.trim().to_owned(),
        }
    }

    /// `self` with the fields `paths` names taken from `merchant`.
    pub(crate) fn merged(&self, merchant: &pb::Merchant, paths: &[String]) -> Self {
        let given = MerchantFields::from_pb(merchant);
        let pick = |name: &str, current: &String, new: &String| {
            if paths.iter().any(|path| path == name) {
                new.clone()
            } else {
                current.clone()
            }
        };
        MerchantFields {
            name: pick("name", &self.name, &given.name),
            description: pick("description", &self.description, &given.description),
            address: pick("address", &self.address, &given.address),
            contact_email: pick("contact_email", &self.contact_email, &given.contact_email),
            contact_phone: pick("contact_phone", &self.contact_phone, &given.contact_phone),
            currency_code: pick("currency_code", &self.currency_code, &given.currency_code),
            time_zone: pick("time_zone", &self.time_zone, &given.time_zone),
            receipt_footer: pick("receipt_footer", &self.receipt_footer, &given.receipt_footer),
        }
    }

    /// The names of the fields whose value differs in `other`.
    pub(crate) fn changed(&self, other: &MerchantFields) -> Vec<String> {
        let pairs = [
            ("name", &self.name, &other.name),
            ("description", &self.description, &other.description),
            ("address", &self.address, &other.address),
            ("contact_email", &self.contact_email, &other.contact_email),
            ("contact_phone", &self.contact_phone, &other.contact_phone),
            ("currency_code", &self.currency_code, &other.currency_code),
            ("time_zone", &self.time_zone, &other.time_zone),
            ("receipt_footer", &self.receipt_footer, &other.receipt_footer),
        ];
        pairs
            .into_iter()
            .filter(|(_, before, after)| before != after)
            .map(|(name, _, _)| name.to_owned())
            .collect()
    }

    /// Checks every field; the currency and the time zone with the contract's reasons.
    pub(crate) fn check(&self) -> Result<(), MerchantError> {
        if !is_currency_code(&self.currency_code) {
            return Err(MerchantError::Refused {
                reason: "INVALID_CURRENCY_CODE",
                field: "merchant.currency_code".to_owned(),
                description: "must be an ISO-4217 currency code in upper case, e.g. IDR".to_owned(),
            });
        }
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(MerchantError::Refused {
                reason: "INVALID_TIME_ZONE",
                field: "merchant.time_zone".to_owned(),
                description: "must be an IANA time zone, e.g. Asia/Jakarta".to_owned(),
            });
        }
        pos_platform::validation::validate(Module::Merchant, "merchant", self)?;
        Ok(())
    }
}

/// An ISO-4217 alphabetic code in upper case (special codes such as `XXX` or `XAU` are refused).
fn is_currency_code(value: &str) -> bool {
    let upper = value.len() == 3 && value.bytes().all(|byte| byte.is_ascii_uppercase());
    matches!(iso_currency::Currency::from_code(value), Some(currency) if upper && !currency.is_special())
}

/// The snake_case paths of `mask` (camelCase paths are converted); every writable field when the
/// mask is empty. A path naming anything else is refused.
pub(crate) fn mask_paths(mask: Option<&prost_types::FieldMask>) -> Result<Vec<String>, MerchantError> {
    let paths: Vec<String> = mask
        .map(|mask| mask.paths.iter().map(|path| snake_case(path.trim())).collect())
        .unwrap_or_default();
    if paths.is_empty() {
        return Ok(WRITABLE.iter().map(|path| (*path).to_owned()).collect());
    }
    if let Some(path) = paths.iter().find(|path| !WRITABLE.contains(&path.as_str())) {
        return Err(MerchantError::invalid(
            "update_mask",
            format!(
                "`{path}` cannot be updated; updatable fields: {}",
                WRITABLE.join(", ")
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

fn violation(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// A required, non-blank value.
fn required(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(violation("required", "is required"))
    } else {
        Ok(())
    }
}

/// An optional email (empty is fine).
fn optional_email(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Ok(());
    }
    if value.chars().count() > 254 {
        return Err(violation("length", "must have at most 254 characters"));
    }
    if value.validate_email() {
        Ok(())
    } else {
        Err(violation("email", "is not a valid email address"))
    }
}

/// Digits, spaces, `+`, `-`, `(`, `)`.
fn phone(value: &str) -> Result<(), ValidationError> {
    if value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
    {
        Ok(())
    } else {
        Err(violation("phone", "may hold only digits, spaces, +, -, ( and )"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merchant() -> pb::Merchant {
        pb::Merchant {
            name: " Toko ".into(),
            currency_code: "IDR".into(),
            ..pb::Merchant::default()
        }
    }

    #[test]
    fn a_new_merchant_is_trimmed_and_defaults_to_utc() {
        let fields = MerchantFields::from_pb(&merchant());
        assert_eq!(fields.name, "Toko");
        assert_eq!(fields.time_zone, "UTC");
        assert!(fields.check().is_ok());
    }

    #[test]
    fn currencies_and_time_zones_are_checked_against_their_registries() {
        let mut fields = MerchantFields::from_pb(&merchant());
        fields.currency_code = "idr".into();
        assert!(matches!(
            fields.check(),
            Err(MerchantError::Refused {
                reason: "INVALID_CURRENCY_CODE",
                ..
            })
        ));
        fields.currency_code = "XXX".into();
        assert!(fields.check().is_err());
        fields.currency_code = "EUR".into();
        fields.time_zone = "Mars/Olympus".into();
        assert!(matches!(
            fields.check(),
            Err(MerchantError::Refused {
                reason: "INVALID_TIME_ZONE",
                ..
            })
        ));
    }

    #[test]
    fn masks_naming_other_fields_are_refused() {
        let status = prost_types::FieldMask {
            paths: vec!["status".into()],
        };
        assert!(mask_paths(Some(&status)).is_err());
        let name = prost_types::FieldMask {
            paths: vec!["receiptFooter".into()],
        };
        assert_eq!(mask_paths(Some(&name)).unwrap(), ["receipt_footer"]);
        assert_eq!(mask_paths(None).unwrap().len(), WRITABLE.len());
    }

    #[test]
    fn changes_name_only_the_fields_that_differ() {
        let before = MerchantFields::from_pb(&merchant());
        let mut asked = merchant();
        asked.name = "Warung".into();
        asked.address = "Jl. Merdeka".into();
        let after = before.merged(&asked, &["name".to_owned()]);
        assert_eq!(after.name, "Warung");
        assert_eq!(after.address, "");
        assert_eq!(before.changed(&after), ["name"]);
    }
}
