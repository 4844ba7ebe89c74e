//! The `merchants.merchants` table: the row type, its wire form and the queries more than one
//! handler uses.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::merchant::v1 as pb;

use crate::error::MerchantError;

/// One merchant as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MerchantRow {
    pub(crate) id: Uuid,
    pub(crate) owner_user_id: Uuid,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) address: String,
    pub(crate) contact_email: String,
    pub(crate) contact_phone: String,
    pub(crate) currency_code: String,
    pub(crate) time_zone: String,
    pub(crate) receipt_footer: String,
    pub(crate) status: String,
    pub(crate) status_reason: String,
    pub(crate) status_updated_at: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

impl MerchantRow {
    /// The merchant as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::Merchant {
        pb::Merchant {
            id: self.id.to_string(),
            owner_user_id: self.owner_user_id.to_string(),
            name: self.name.clone(),
            description: self.description.clone(),
            address: self.address.clone(),
            contact_email: self.contact_email.clone(),
            contact_phone: self.contact_phone.clone(),
            currency_code: self.currency_code.clone(),
            time_zone: self.time_zone.clone(),
            receipt_footer: self.receipt_footer.clone(),
            status: status_from_db(&self.status).into(),
            status_reason: self.status_reason.clone(),
            status_update_time: Some(timestamp(self.status_updated_at)),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            delete_time: self.deleted_at.map(timestamp),
        }
    }

    /// The status as the API names it.
    pub(crate) fn status(&self) -> pb::MerchantStatus {
        status_from_db(&self.status)
    }
}

/// The database spelling of a status.
pub(crate) fn status_to_db(status: pb::MerchantStatus) -> &'static str {
    match status {
        pb::MerchantStatus::Unspecified | pb::MerchantStatus::Pending => "pending",
        pb::MerchantStatus::Active => "active",
        pb::MerchantStatus::Rejected => "rejected",
        pb::MerchantStatus::Suspended => "suspended",
    }
}

/// The status stored as `value`.
pub(crate) fn status_from_db(value: &str) -> pb::MerchantStatus {
    match value {
        "pending" => pb::MerchantStatus::Pending,
        "active" => pb::MerchantStatus::Active,
        "rejected" => pb::MerchantStatus::Rejected,
        "suspended" => pb::MerchantStatus::Suspended,
        _ => pb::MerchantStatus::Unspecified,
    }
}

/// A protobuf timestamp of `time`.
pub(crate) fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// Parses the id in request field `field`.
pub(crate) fn parse_id(field: &str, value: &str) -> Result<Uuid, MerchantError> {
    if value.is_empty() {
        return Err(MerchantError::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| MerchantError::invalid(field, "must be a UUID"))
}

/// The merchant with `id`, trashed or not.
pub(crate) async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<MerchantRow>, sqlx::Error> {
    sqlx::query_as!(
        MerchantRow,
        "SELECT id, owner_user_id, name, description, address, contact_email, contact_phone, \
         currency_code, time_zone, receipt_footer, status, status_reason, status_updated_at, \
         created_at, updated_at, deleted_at \
         FROM merchants.merchants WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// The merchant with `id`, locked until the transaction ends.
pub(crate) async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<MerchantRow>, sqlx::Error> {
    sqlx::query_as!(
        MerchantRow,
        "SELECT id, owner_user_id, name, description, address, contact_email, contact_phone, \
         currency_code, time_zone, receipt_footer, status, status_reason, status_updated_at, \
         created_at, updated_at, deleted_at \
         FROM merchants.merchants WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_the_database() {
        for status in [
            pb::MerchantStatus::Pending,
            pb::MerchantStatus::Active,
            pb::MerchantStatus::Rejected,
            pb::MerchantStatus::Suspended,
        ] {
            assert_eq!(status_from_db(status_to_db(status)), status);
        }
    }

    #[test]
    fn ids_must_be_present_and_uuids() {
        assert!(parse_id("merchant_id", "").is_err());
        assert!(parse_id("merchant_id", "42").is_err());
        let id = Uuid::now_v7();
        assert_eq!(parse_id("merchant_id", &id.to_string()).unwrap(), id);
    }
}
