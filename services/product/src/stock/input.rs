//! Request checks shared by the stock RPCs: ids, and the collection of field violations.

use chrono::{DateTime, Utc};
use tonic_types::FieldViolation;
use uuid::Uuid;

use crate::error::ProductError;

/// Field violations found in one request, returned together.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<FieldViolation>);

impl Violations {
    /// Records that `field` is wrong because of `description`.
    pub(crate) fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// The id in `field`, recording a violation when it is empty or not a UUID.
    pub(crate) fn id(&mut self, field: &str, value: &str) -> Option<Uuid> {
        if value.is_empty() {
            self.add(field, "is required");
            return None;
        }
        let parsed = Uuid::parse_str(value).ok();
        if parsed.is_none() {
            self.add(field, "must be a UUID");
        }
        parsed
    }

    /// The id in optional `field` (`None` when empty), recording a violation when it is not a UUID.
    pub(crate) fn optional_id(&mut self, field: &str, value: &str) -> Option<Uuid> {
        if value.is_empty() {
            return None;
        }
        self.id(field, value)
    }

    /// Records a violation when `value` is longer than `max` characters.
    pub(crate) fn max_chars(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    /// The time in optional `field`, recording a violation when it is out of range.
    pub(crate) fn time(
        &mut self,
        field: &str,
        value: Option<&prost_types::Timestamp>,
    ) -> Option<DateTime<Utc>> {
        let value = value?;
        let time = u32::try_from(value.nanos)
            .ok()
            .and_then(|nanos| DateTime::from_timestamp(value.seconds, nanos));
        if time.is_none() {
            self.add(field, "is not a valid timestamp");
        }
        time
    }

    /// `Ok` when nothing was recorded, else the INVALID_ARGUMENT error naming every field.
    pub(crate) fn finish(self) -> Result<(), ProductError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ProductError::InvalidStockRequest(self.0))
        }
    }
}
