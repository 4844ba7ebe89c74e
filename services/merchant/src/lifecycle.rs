//! Trash, restore and purge of merchants, one or every trashed one. Each change publishes
//! `MerchantLifecycleChanged` in its transaction and invalidates the cached merchant after it.
//! A purge also deletes the merchant's documents (rows, then their files) and revokes the owner's
//! `merchant` grant. A merchant with a settlement in progress cannot be trashed, and one whose
//! settlements settled payments or refunds cannot be purged (MERCHANT_IN_USE).

use uuid::Uuid;

use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::merchant::v1 as pb;
use pos_platform::AuthContext;

use crate::Shared;
use crate::access;
use crate::error::MerchantError;
use crate::events::{self, Actor};
use crate::owner;
use crate::settlement;
use crate::store::{self, MerchantRow, parse_id};

/// Moves a merchant to the trash (see `MerchantService.DeleteMerchant`).
pub(crate) async fn delete_merchant(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::DeleteMerchantRequest,
) -> Result<pb::DeleteMerchantResponse, MerchantError> {
    let id = parse_id("merchant_id", &request.merchant_id)?;
    let mut tx = shared.ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    access::check(
        auth,
        &["merchant.write"],
        id,
        current.as_ref().map(|row| row.owner_user_id),
    )?;
    if current.is_some_and(|row| row.deleted_at.is_some()) {
        return Err(MerchantError::Trashed(id.to_string()));
    }
    // RequestSettlement locks the merchant row too, so no settlement starts before this commits.
    if settlement::store::in_progress(&mut tx, id).await? {
        return Err(MerchantError::SettlementInProgress(id.to_string()));
    }
    let trashed = set_trashed(&mut tx, id, true).await?;
    events::lifecycle_changed(
        &mut tx,
        &Actor::of(auth),
        id,
        LifecycleChange::Trashed,
        trashed.status(),
    )
    .await?;
    tx.commit().await?;
    shared.cache.invalidate(&id.to_string()).await;
    Ok(pb::DeleteMerchantResponse {
        merchant: Some(trashed.to_pb()),
    })
}

/// Takes a merchant out of the trash (see `MerchantService.RestoreMerchant`).
pub(crate) async fn restore_merchant(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::RestoreMerchantRequest,
) -> Result<pb::RestoreMerchantResponse, MerchantError> {
    let id = parse_id("merchant_id", &request.merchant_id)?;
    let mut tx = shared.ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    access::check(
        auth,
        &["merchant.write"],
        id,
        current.as_ref().map(|row| row.owner_user_id),
    )?;
    if current.is_some_and(|row| row.deleted_at.is_none()) {
        return Err(MerchantError::NotTrashed(id.to_string()));
    }
    let restored = set_trashed(&mut tx, id, false).await?;
    events::lifecycle_changed(
        &mut tx,
        &Actor::of(auth),
        id,
        LifecycleChange::Restored,
        restored.status(),
    )
    .await?;
    tx.commit().await?;
    shared.cache.invalidate(&id.to_string()).await;
    Ok(pb::RestoreMerchantResponse {
        merchant: Some(restored.to_pb()),
    })
}

/// Deletes a trashed merchant for good (see `MerchantService.PurgeMerchant`).
pub(crate) async fn purge_merchant(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::PurgeMerchantRequest,
) -> Result<pb::PurgeMerchantResponse, MerchantError> {
    let id = parse_id("merchant_id", &request.merchant_id)?;
    purge(shared, auth, id).await?;
    Ok(pb::PurgeMerchantResponse {})
}

/// Restores every trashed merchant (see `MerchantService.RestoreTrashedMerchants`).
pub(crate) async fn restore_trashed_merchants(
    shared: &Shared,
    auth: &AuthContext,
) -> Result<pb::RestoreTrashedMerchantsResponse, MerchantError> {
    let mut tx = shared.ctx.db.begin().await?;
    let restored: Vec<(Uuid, String)> = sqlx::query!(
        "UPDATE merchants.merchants SET deleted_at = NULL, updated_at = now() \
         WHERE deleted_at IS NOT NULL RETURNING id, status",
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| (row.id, row.status))
    .collect();
    let actor = Actor::of(auth);
    for (id, status) in &restored {
        events::lifecycle_changed(
            &mut tx,
            &actor,
            *id,
            LifecycleChange::Restored,
            store::status_from_db(status),
        )
        .await?;
    }
    tx.commit().await?;
    for (id, _) in &restored {
        shared.cache.invalidate(&id.to_string()).await;
    }
    Ok(pb::RestoreTrashedMerchantsResponse {
        affected_count: i64::try_from(restored.len()).unwrap_or(i64::MAX),
    })
}

/// Purges every trashed merchant (see `MerchantService.PurgeTrashedMerchants`).
pub(crate) async fn purge_trashed_merchants(
    shared: &Shared,
    auth: &AuthContext,
) -> Result<pb::PurgeTrashedMerchantsResponse, MerchantError> {
    let trashed: Vec<Uuid> =
        sqlx::query_scalar!("SELECT id FROM merchants.merchants WHERE deleted_at IS NOT NULL ORDER BY id")
            .fetch_all(&shared.ctx.db)
            .await?;
    let mut purged = 0_i64;
    for id in trashed {
        match purge(shared, auth, id).await {
            Ok(()) => purged += 1,
            // Restored or purged by someone else meanwhile.
            Err(MerchantError::NotTrashed(_) | MerchantError::NotFound(_)) => {}
            // Still referenced: it stays in the trash.
            Err(MerchantError::InUse(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(pb::PurgeTrashedMerchantsResponse {
        affected_count: purged,
    })
}

/// Purges one trashed merchant, its documents and their files, and the owner's grant.
async fn purge(shared: &Shared, auth: &AuthContext, id: Uuid) -> Result<(), MerchantError> {
    let ctx = &shared.ctx;
    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id)
        .await?
        .ok_or_else(|| MerchantError::NotFound(id.to_string()))?;
    if current.deleted_at.is_none() {
        return Err(MerchantError::NotTrashed(id.to_string()));
    }
    // What the module's own data tells: settled payments and refunds still reference it.
    if settlement::store::settled_transactions(&mut tx, id).await? {
        return Err(MerchantError::InUse(id.to_string()));
    }
    let files: Vec<String> = sqlx::query_scalar!(
        "DELETE FROM merchants.documents WHERE merchant_id = $1 RETURNING object_key",
        id,
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM merchants.merchants WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    events::lifecycle_changed(
        &mut tx,
        &Actor::of(auth),
        id,
        LifecycleChange::Purged,
        current.status(),
    )
    .await?;
    owner::revoke(ctx, current.owner_user_id, id).await?;
    tx.commit().await?;
    shared.cache.invalidate(&id.to_string()).await;
    for key in files {
        if let Err(error) = ctx.files.delete(&key).await {
            tracing::warn!(%error, key, "the file of a purged document could not be deleted");
        }
    }
    Ok(())
}

async fn set_trashed(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    trashed: bool,
) -> Result<MerchantRow, sqlx::Error> {
    sqlx::query_as!(
        MerchantRow,
        "UPDATE merchants.merchants SET deleted_at = CASE WHEN $2 THEN now() END, updated_at = now() \
         WHERE id = $1 \
         RETURNING id, owner_user_id, name, description, address, contact_email, contact_phone, \
         currency_code, time_zone, receipt_footer, status, status_reason, status_updated_at, \
         created_at, updated_at, deleted_at",
        id,
        trashed,
    )
    .fetch_one(conn)
    .await
}
