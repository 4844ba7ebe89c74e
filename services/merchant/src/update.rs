//! UpdateMerchant: the fields an update mask names, on a row locked for the change.

use pos_api::pos::merchant::v1 as pb;
use pos_platform::AuthContext;

use crate::Shared;
use crate::access;
use crate::error::MerchantError;
use crate::events::{self, Actor};
use crate::input::{MerchantFields, mask_paths};
use crate::store::{self, MerchantRow, parse_id};

/// Updates a merchant (see `MerchantService.UpdateMerchant`).
pub(crate) async fn update_merchant(
    shared: &Shared,
    auth: &AuthContext,
    request: pb::UpdateMerchantRequest,
) -> Result<pb::UpdateMerchantResponse, MerchantError> {
    let asked = request.merchant.unwrap_or_default();
    let id = parse_id("merchant.id", &asked.id)?;
    let paths = mask_paths(request.update_mask.as_ref())?;
    let ctx = &shared.ctx;

    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    access::check(
        auth,
        &["merchant.write"],
        id,
        current.as_ref().map(|row| row.owner_user_id),
    )?;
    let current = current.ok_or_else(|| MerchantError::NotFound(id.to_string()))?;
    if current.deleted_at.is_some() {
        return Err(MerchantError::Trashed(id.to_string()));
    }
    let before = fields_of(&current);
    let after = before.merged(&asked, &paths);
    after.check()?;
    let changed = before.changed(&after);
    if changed.iter().any(|field| field == "currency_code") && current.status() != pb::MerchantStatus::Pending
    {
        return Err(MerchantError::CurrencyLocked(id.to_string()));
    }
    if changed.is_empty() {
        return Ok(pb::UpdateMerchantResponse {
            merchant: Some(current.to_pb()),
        });
    }
    let updated = sqlx::query_as!(
        MerchantRow,
        "UPDATE merchants.merchants SET name = $2, description = $3, address = $4, contact_email = $5, \
         contact_phone = $6, currency_code = $7, time_zone = $8, receipt_footer = $9, updated_at = now() \
         WHERE id = $1 \
         RETURNING id, owner_user_id, name, description, address, contact_email, contact_phone, \
         currency_code, time_zone, receipt_footer, status, status_reason, status_updated_at, \
         created_at, updated_at, deleted_at",
        id,
        &after.name,
        &after.description,
        &after.address,
        &after.contact_email,
        &after.contact_phone,
        &after.currency_code,
        &after.time_zone,
        &after.receipt_footer,
    )
    .fetch_one(&mut *tx)
    .await?;
    events::merchant_updated(&mut tx, &Actor::of(auth), updated.to_pb(), changed).await?;
    tx.commit().await?;
    shared.cache.invalidate(&id.to_string()).await;
    Ok(pb::UpdateMerchantResponse {
        merchant: Some(updated.to_pb()),
    })
}

/// The writable fields of a stored merchant.
fn fields_of(row: &MerchantRow) -> MerchantFields {
    MerchantFields {
        name: row.name.clone(),
        description: row.description.clone(),
        address: row.address.clone(),
        contact_email: row.contact_email.clone(),
        contact_phone: row.contact_phone.clone(),
        currency_code: row.currency_code.clone(),
        time_zone: row.time_zone.clone(),
        receipt_footer: row.receipt_footer.clone(),
    }
}
