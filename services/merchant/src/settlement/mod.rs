//! Merchant settlements: RequestSettlement records a REQUESTED settlement and publishes
//! `SettlementRequested`; the transaction module settles the merchant's payments and refunds and
//! answers on its topic, which [`recorded`] turns into COMPLETED or FAILED (then
//! `SettlementRecorded`); GetSettlement and ListSettlements read them.

mod events;
mod read;
pub(crate) mod recorded;
mod request;
pub(crate) mod store;

pub(crate) use read::{get_settlement, list_settlements};
pub(crate) use request::request_settlement;

use chrono::{DateTime, Utc};

/// The permission of every settlement RPC.
pub(crate) const SETTLE: &str = "merchant.settle";

/// The time of a protobuf timestamp; `None` when it is out of range.
pub(crate) fn time_of(time: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(time.nanos).ok()?;
    DateTime::from_timestamp(time.seconds, nanos)
}
