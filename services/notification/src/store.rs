//! Rows of `notifications.notifications` and their contract form.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;
use uuid::Uuid;

use pos_api::pos::notification::v1 as pb;

use crate::kind::{DeliveryStatus, Kind};

/// Attempts a notification gets per round (the first send, then each resend).
pub(crate) const ATTEMPTS_PER_ROUND: i32 = 5;

/// One notification.
#[derive(Clone, Debug)]
pub(crate) struct NotificationRow {
    pub(crate) id: Uuid,
    pub(crate) kind: String,
    pub(crate) recipient: String,
    pub(crate) recipient_user_id: Option<Uuid>,
    pub(crate) subject: String,
    pub(crate) params: serde_json::Value,
    pub(crate) status: String,
    pub(crate) attempts: i32,
    pub(crate) attempt_limit: i32,
    pub(crate) last_error: String,
    pub(crate) source_event_id: Uuid,
    pub(crate) create_time: DateTime<Utc>,
    pub(crate) update_time: DateTime<Utc>,
    pub(crate) send_time: Option<DateTime<Utc>>,
    pub(crate) next_attempt_time: Option<DateTime<Utc>>,
}

impl NotificationRow {
    pub(crate) fn kind(&self) -> Option<Kind> {
        Kind::from_db(&self.kind)
    }

    pub(crate) fn status(&self) -> Option<DeliveryStatus> {
        DeliveryStatus::from_db(&self.status)
    }

    /// Attempts made in the current round (1 for the first attempt of a send or of a resend).
    pub(crate) fn round_attempt(&self) -> i32 {
        self.attempts - (self.attempt_limit - ATTEMPTS_PER_ROUND)
    }

    /// The contract form.
    pub(crate) fn to_proto(&self) -> pb::Notification {
        pb::Notification {
            id: self.id.to_string(),
            kind: self
                .kind()
                .map_or(pb::NotificationKind::Unspecified, Kind::to_proto)
                .into(),
            recipient: self.recipient.clone(),
            recipient_user_id: self
                .recipient_user_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            subject: self.subject.clone(),
            status: self
                .status()
                .map_or(pb::NotificationStatus::Unspecified, DeliveryStatus::to_proto)
                .into(),
            attempts: self.attempts,
            last_error: self.last_error.clone(),
            source_event_id: self.source_event_id.to_string(),
            create_time: Some(timestamp(self.create_time)),
            update_time: Some(timestamp(self.update_time)),
            send_time: self.send_time.map(timestamp),
            next_attempt_time: self
                .next_attempt_time
                .filter(|_| self.status() == Some(DeliveryStatus::Pending))
                .map(timestamp),
        }
    }
}

/// A protobuf timestamp of `time`.
pub(crate) fn timestamp(time: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// The UTC time of a protobuf timestamp, if it is one.
pub(crate) fn from_timestamp(timestamp: Option<&Timestamp>) -> Option<DateTime<Utc>> {
    let timestamp = timestamp?;
    DateTime::from_timestamp(timestamp.seconds, u32::try_from(timestamp.nanos).ok()?)
}
