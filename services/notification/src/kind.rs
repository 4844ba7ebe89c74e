//! What a notification is about and where its delivery stands: the database spelling of
//! `NotificationKind` and `NotificationStatus`.

use pos_api::pos::notification::v1 as pb;

/// What a notification is about (column `kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    VerifyEmail,
    Welcome,
    PasswordReset,
    SecurityAlert,
    Invitation,
    // The merchant kinds are in the contract and the schema; no event of issue #5 produces them.
    MerchantStatus,
    DocumentReviewed,
    DocumentUploaded,
    Settlement,
}

/// The kinds whose body holds a one-time secret (a code or a link) that is never stored: they
/// are sent only by the process that received the event, and never resent.
pub(crate) const SECRET_KINDS: [&str; 3] = ["VERIFY_EMAIL", "PASSWORD_RESET", "INVITATION"];

impl Kind {
    pub(crate) const fn as_db(self) -> &'static str {
        match self {
            Kind::VerifyEmail => "VERIFY_EMAIL",
            Kind::Welcome => "WELCOME",
            Kind::PasswordReset => "PASSWORD_RESET",
            Kind::SecurityAlert => "SECURITY_ALERT",
            Kind::Invitation => "INVITATION",
            Kind::MerchantStatus => "MERCHANT_STATUS",
            Kind::DocumentReviewed => "DOCUMENT_REVIEWED",
            Kind::DocumentUploaded => "DOCUMENT_UPLOADED",
            Kind::Settlement => "SETTLEMENT",
        }
    }

    pub(crate) fn from_db(value: &str) -> Option<Kind> {
        Some(match value {
            "VERIFY_EMAIL" => Kind::VerifyEmail,
            "WELCOME" => Kind::Welcome,
            "PASSWORD_RESET" => Kind::PasswordReset,
            "SECURITY_ALERT" => Kind::SecurityAlert,
            "INVITATION" => Kind::Invitation,
            "MERCHANT_STATUS" => Kind::MerchantStatus,
            "DOCUMENT_REVIEWED" => Kind::DocumentReviewed,
            "DOCUMENT_UPLOADED" => Kind::DocumentUploaded,
            "SETTLEMENT" => Kind::Settlement,
            _ => return None,
        })
    }

    /// `None` for UNSPECIFIED.
    pub(crate) fn from_proto(kind: pb::NotificationKind) -> Option<Kind> {
        Some(match kind {
            pb::NotificationKind::Unspecified => return None,
            pb::NotificationKind::VerifyEmail => Kind::VerifyEmail,
            pb::NotificationKind::Welcome => Kind::Welcome,
            pb::NotificationKind::PasswordReset => Kind::PasswordReset,
            pb::NotificationKind::SecurityAlert => Kind::SecurityAlert,
            pb::NotificationKind::MerchantStatus => Kind::MerchantStatus,
            pb::NotificationKind::DocumentReviewed => Kind::DocumentReviewed,
            pb::NotificationKind::Invitation => Kind::Invitation,
            pb::NotificationKind::DocumentUploaded => Kind::DocumentUploaded,
            pb::NotificationKind::Settlement => Kind::Settlement,
        })
    }

    pub(crate) const fn to_proto(self) -> pb::NotificationKind {
        match self {
            Kind::VerifyEmail => pb::NotificationKind::VerifyEmail,
            Kind::Welcome => pb::NotificationKind::Welcome,
            Kind::PasswordReset => pb::NotificationKind::PasswordReset,
            Kind::SecurityAlert => pb::NotificationKind::SecurityAlert,
            Kind::Invitation => pb::NotificationKind::Invitation,
            Kind::MerchantStatus => pb::NotificationKind::MerchantStatus,
            Kind::DocumentReviewed => pb::NotificationKind::DocumentReviewed,
            Kind::DocumentUploaded => pb::NotificationKind::DocumentUploaded,
            Kind::Settlement => pb::NotificationKind::Settlement,
        }
    }

    /// Whether the body carries a one-time secret (see [`SECRET_KINDS`]).
    pub(crate) fn carries_secret(self) -> bool {
        SECRET_KINDS.contains(&self.as_db())
    }
}

/// Delivery state (column `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeliveryStatus {
    Pending,
    Sent,
    Failed,
}

impl DeliveryStatus {
    pub(crate) const fn as_db(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Sent => "SENT",
            DeliveryStatus::Failed => "FAILED",
        }
    }

    pub(crate) fn from_db(value: &str) -> Option<DeliveryStatus> {
        Some(match value {
            "PENDING" => DeliveryStatus::Pending,
            "SENT" => DeliveryStatus::Sent,
            "FAILED" => DeliveryStatus::Failed,
            _ => return None,
        })
    }

    /// `None` for UNSPECIFIED.
    pub(crate) fn from_proto(status: pb::NotificationStatus) -> Option<DeliveryStatus> {
        Some(match status {
            pb::NotificationStatus::Unspecified => return None,
            pb::NotificationStatus::Pending => DeliveryStatus::Pending,
            pb::NotificationStatus::Sent => DeliveryStatus::Sent,
            pb::NotificationStatus::Failed => DeliveryStatus::Failed,
        })
    }

    pub(crate) const fn to_proto(self) -> pb::NotificationStatus {
        match self {
            DeliveryStatus::Pending => pb::NotificationStatus::Pending,
            DeliveryStatus::Sent => pb::NotificationStatus::Sent,
            DeliveryStatus::Failed => pb::NotificationStatus::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Kind; 9] = [
        Kind::VerifyEmail,
        Kind::Welcome,
        Kind::PasswordReset,
        Kind::SecurityAlert,
        Kind::Invitation,
        Kind::MerchantStatus,
        Kind::DocumentReviewed,
        Kind::DocumentUploaded,
        Kind::Settlement,
    ];

    #[test]
    fn every_kind_round_trips_through_the_database_and_the_contract() {
        for kind in ALL {
            assert_eq!(Kind::from_db(kind.as_db()), Some(kind));
            assert_eq!(Kind::from_proto(kind.to_proto()), Some(kind));
        }
        assert_eq!(Kind::from_proto(pb::NotificationKind::Unspecified), None);
    }

    #[test]
    fn only_codes_resets_and_invitations_carry_secrets() {
        let secret: Vec<Kind> = ALL.into_iter().filter(|kind| kind.carries_secret()).collect();
        assert_eq!(
            secret,
            vec![Kind::VerifyEmail, Kind::PasswordReset, Kind::Invitation]
        );
    }

    #[test]
    fn every_status_round_trips() {
        for status in [
            DeliveryStatus::Pending,
            DeliveryStatus::Sent,
            DeliveryStatus::Failed,
        ] {
            assert_eq!(DeliveryStatus::from_db(status.as_db()), Some(status));
            assert_eq!(DeliveryStatus::from_proto(status.to_proto()), Some(status));
        }
    }
}
