//! The status lifecycle, moved only by admins: PENDING → ACTIVE (approve) | REJECTED (reject);
//! ACTIVE → SUSPENDED (suspend); SUSPENDED → ACTIVE (reactivate). Each move is one conditional
//! UPDATE (`WHERE status = <expected>`), so two admins racing cannot both move the merchant, and
//! publishes `MerchantStatusChanged` in its transaction.

use pos_api::pos::merchant::v1::{self as pb, MerchantStatus};
use pos_platform::AuthContext;

use crate::Shared;
use crate::error::MerchantError;
use crate::events::{self, Actor};
use crate::owner;
use crate::store::{self, MerchantRow, parse_id};

/// Longest reason accepted, in characters.
const MAX_REASON_CHARS: usize = 1000;

/// One allowed move.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transition {
    from: MerchantStatus,
    to: MerchantStatus,
    /// Whether the admin must say why (rejection, suspension).
    needs_reason: bool,
}

/// PENDING → ACTIVE.
pub(crate) const APPROVE: Transition = Transition {
    from: MerchantStatus::Pending,
    to: MerchantStatus::Active,
    needs_reason: false,
};
/// PENDING → REJECTED.
pub(crate) const REJECT: Transition = Transition {
    from: MerchantStatus::Pending,
    to: MerchantStatus::Rejected,
    needs_reason: true,
};
/// ACTIVE → SUSPENDED.
pub(crate) const SUSPEND: Transition = Transition {
    from: MerchantStatus::Active,
    to: MerchantStatus::Suspended,
    needs_reason: true,
};
/// SUSPENDED → ACTIVE.
pub(crate) const REACTIVATE: Transition = Transition {
    from: MerchantStatus::Suspended,
    to: MerchantStatus::Active,
    needs_reason: false,
};

/// Moves merchant `merchant_id` along `transition`; returns the merchant after the move.
pub(crate) async fn apply(
    shared: &Shared,
    auth: &AuthContext,
    transition: Transition,
    merchant_id: &str,
    reason: &str,
) -> Result<pb::Merchant, MerchantError> {
    let id = parse_id("merchant_id", merchant_id)?;
    let reason = reason.trim();
    if transition.needs_reason {
        if reason.is_empty() {
            return Err(MerchantError::invalid("reason", "is required"));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(MerchantError::invalid(
                "reason",
                format!("must have at most {MAX_REASON_CHARS} characters"),
            ));
        }
    }
    let ctx = &shared.ctx;
    let mut conn = ctx.db.acquire().await?;
    let current = store::find(&mut conn, id)
        .await?
        .ok_or_else(|| MerchantError::NotFound(id.to_string()))?;
    drop(conn);
    let owner_profile = owner::profile(ctx, current.owner_user_id).await?;

    let mut tx = ctx.db.begin().await?;
    let moved = sqlx::query_as!(
        MerchantRow,
        "UPDATE merchants.merchants SET status = $3, status_reason = $4, status_updated_at = now(), \
         updated_at = now() WHERE id = $1 AND status = $2 AND deleted_at IS NULL \
         RETURNING id, owner_user_id, name, description, address, contact_email, contact_phone, \
         currency_code, time_zone, receipt_footer, status, status_reason, status_updated_at, \
         created_at, updated_at, deleted_at",
        id,
        store::status_to_db(transition.from),
        store::status_to_db(transition.to),
        if transition.needs_reason { reason } else { "" },
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(moved) = moved else {
        let now = store::find(&mut tx, id)
            .await?
            .ok_or_else(|| MerchantError::NotFound(id.to_string()))?;
        if now.deleted_at.is_some() {
            return Err(MerchantError::Trashed(id.to_string()));
        }
        return Err(MerchantError::InvalidTransition {
            id: id.to_string(),
            from: now.status().as_str_name(),
            to: transition.to.as_str_name(),
        });
    };
    let merchant = moved.to_pb();
    events::status_changed(
        &mut tx,
        &Actor::of(auth),
        &merchant,
        transition.from,
        &owner_profile,
    )
    .await?;
    if transition.to == MerchantStatus::Active {
        // The owner has held the grant since CreateMerchant; this restores one lost meanwhile.
        owner::grant(ctx, moved.owner_user_id, id).await?;
    }
    tx.commit().await?;
    shared.cache.invalidate(&id.to_string()).await;
    Ok(merchant)
}

/// The statuses a move goes between, by their contract names.
#[cfg(test)]
pub(crate) fn names(transition: Transition) -> (&'static str, &'static str) {
    (transition.from.as_str_name(), transition.to.as_str_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_moves_are_the_contracts() {
        assert_eq!(
            names(APPROVE),
            ("MERCHANT_STATUS_PENDING", "MERCHANT_STATUS_ACTIVE")
        );
        assert_eq!(
            names(REJECT),
            ("MERCHANT_STATUS_PENDING", "MERCHANT_STATUS_REJECTED")
        );
        assert_eq!(
            names(SUSPEND),
            ("MERCHANT_STATUS_ACTIVE", "MERCHANT_STATUS_SUSPENDED")
        );
        assert_eq!(
            names(REACTIVATE),
            ("MERCHANT_STATUS_SUSPENDED", "MERCHANT_STATUS_ACTIVE")
        );
    }
}
