//! Trash, restore and purge of cashiers, one or every trashed one. Each change publishes
//! `CashierLifecycleChanged` in its transaction.
//!
//! A trashed cashier, like a disabled one, holds no `cashier` role grant: trashing and purging
//! revoke it, restoring grants it again unless the cashier is disabled (see `update.rs` for how
//! the row lock and the role module's answer are ordered). The collection RPCs handle each
//! cashier in its own transaction, so a failure half way leaves every cashier consistent.

use std::collections::HashMap;

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::cashier::v1 as pb;
use pos_api::pos::common::v1::LifecycleChange;
use pos_platform::{AuthContext, ModuleContext};

use crate::error::CashierError;
use crate::events::{self, Actor};
use crate::store::{self, CashierRow, WRITE, parse_id};
use crate::upstream::{self, MerchantState};

/// Moves a cashier to the trash (see `CashierService.DeleteCashier`).
pub(crate) async fn delete_cashier(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::DeleteCashierRequest,
) -> Result<pb::DeleteCashierResponse, CashierError> {
    let id = parse_id("cashier_id", &request.cashier_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::visible(auth, WRITE, id, store::lock(&mut tx, id).await?)?;
    if current.deleted_at.is_some() {
        return Err(CashierError::Trashed(id.to_string()));
    }
    upstream::revoke(ctx, current.user_id).await?;
    let trashed = set_trashed(&mut tx, id, true).await?;
    events::lifecycle_changed(&mut tx, &Actor::of(auth), &trashed, LifecycleChange::Trashed).await?;
    tx.commit().await?;
    Ok(pb::DeleteCashierResponse {
        cashier: Some(trashed.to_pb()),
    })
}

/// Takes a cashier out of the trash (see `CashierService.RestoreCashier`).
pub(crate) async fn restore_cashier(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreCashierRequest,
) -> Result<pb::RestoreCashierResponse, CashierError> {
    let id = parse_id("cashier_id", &request.cashier_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::visible(auth, WRITE, id, store::lock(&mut tx, id).await?)?;
    if current.deleted_at.is_none() {
        return Err(CashierError::NotTrashed(id.to_string()));
    }
    if merchant_gone(ctx, current.merchant_id).await? {
        return Err(CashierError::MerchantTrashed(current.merchant_id.to_string()));
    }
    let restored = restore(&mut tx, ctx, auth, &current).await?;
    tx.commit().await?;
    Ok(pb::RestoreCashierResponse {
        cashier: Some(restored.to_pb()),
    })
}

/// Deletes a trashed cashier for good (see `CashierService.PurgeCashier`).
pub(crate) async fn purge_cashier(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeCashierRequest,
) -> Result<pb::PurgeCashierResponse, CashierError> {
    let id = parse_id("cashier_id", &request.cashier_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = store::visible(auth, WRITE, id, store::lock(&mut tx, id).await?)?;
    if current.deleted_at.is_none() {
        return Err(CashierError::NotTrashed(id.to_string()));
    }
    purge(&mut tx, ctx, auth, &current).await?;
    tx.commit().await?;
    Ok(pb::PurgeCashierResponse {})
}

/// Restores every trashed cashier of a merchant or of all (see
/// `CashierService.RestoreTrashedCashiers`); cashiers of trashed merchants stay in the trash.
pub(crate) async fn restore_trashed_cashiers(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreTrashedCashiersRequest,
) -> Result<pb::RestoreTrashedCashiersResponse, CashierError> {
    let merchant_id = store::requested_merchant(auth, WRITE, &request.merchant_id)?;
    let mut merchants_gone: HashMap<Uuid, bool> = HashMap::new();
    let mut affected = 0;
    for (id, merchant) in trashed(ctx, merchant_id).await? {
        let gone = match merchants_gone.get(&merchant) {
            Some(gone) => *gone,
            None => {
                let gone = merchant_gone(ctx, merchant).await?;
                merchants_gone.insert(merchant, gone);
                gone
            }
        };
        if gone {
            continue;
        }
        let mut tx = ctx.db.begin().await?;
        let Some(current) = store::lock(&mut tx, id).await? else {
            continue;
        };
        if current.deleted_at.is_none() {
            continue;
        }
        restore(&mut tx, ctx, auth, &current).await?;
        tx.commit().await?;
        affected += 1;
    }
    Ok(pb::RestoreTrashedCashiersResponse {
        affected_count: affected,
    })
}

/// Purges every trashed cashier of a merchant or of all (see
/// `CashierService.PurgeTrashedCashiers`).
pub(crate) async fn purge_trashed_cashiers(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeTrashedCashiersRequest,
) -> Result<pb::PurgeTrashedCashiersResponse, CashierError> {
    let merchant_id = store::requested_merchant(auth, WRITE, &request.merchant_id)?;
    let mut affected = 0;
    for (id, _) in trashed(ctx, merchant_id).await? {
        let mut tx = ctx.db.begin().await?;
        let Some(current) = store::lock(&mut tx, id).await? else {
            continue;
        };
        if current.deleted_at.is_none() {
            continue;
        }
        purge(&mut tx, ctx, auth, &current).await?;
        tx.commit().await?;
        affected += 1;
    }
    Ok(pb::PurgeTrashedCashiersResponse {
        affected_count: affected,
    })
}

/// Ids and merchants of the trashed cashiers of `merchant_id` (`None`: of every merchant).
async fn trashed(ctx: &ModuleContext, merchant_id: Option<Uuid>) -> Result<Vec<(Uuid, Uuid)>, CashierError> {
    Ok(sqlx::query!(
        "SELECT id, merchant_id FROM cashiers.cashiers \
         WHERE deleted_at IS NOT NULL AND ($1::uuid IS NULL OR merchant_id = $1) ORDER BY id",
        merchant_id,
    )
    .fetch_all(&ctx.db)
    .await?
    .into_iter()
    .map(|row| (row.id, row.merchant_id))
    .collect())
}

/// Whether the merchant is in the trash or no longer exists (its cashiers stay in the trash).
async fn merchant_gone(ctx: &ModuleContext, merchant_id: Uuid) -> Result<bool, CashierError> {
    Ok(matches!(
        upstream::merchant_state(ctx, merchant_id).await?,
        MerchantState::Trashed | MerchantState::Missing
    ))
}

/// Restores the locked, trashed `current`: its grant again unless it is disabled, then the row.
async fn restore(
    tx: &mut PgConnection,
    ctx: &ModuleContext,
    auth: &AuthContext,
    current: &CashierRow,
) -> Result<CashierRow, CashierError> {
    if current.disabled_at.is_none() {
        upstream::grant(ctx, current).await?;
    }
    let restored = set_trashed(tx, current.id, false).await?;
    events::lifecycle_changed(tx, &Actor::of(auth), &restored, LifecycleChange::Restored).await?;
    Ok(restored)
}

/// Purges the locked, trashed `current`: its grant (normally gone already), then the row.
async fn purge(
    tx: &mut PgConnection,
    ctx: &ModuleContext,
    auth: &AuthContext,
    current: &CashierRow,
) -> Result<(), CashierError> {
    upstream::revoke(ctx, current.user_id).await?;
    sqlx::query!("DELETE FROM cashiers.cashiers WHERE id = $1", current.id)
        .execute(&mut *tx)
        .await?;
    events::lifecycle_changed(tx, &Actor::of(auth), current, LifecycleChange::Purged).await?;
    Ok(())
}

async fn set_trashed(conn: &mut PgConnection, id: Uuid, trashed: bool) -> Result<CashierRow, CashierError> {
    Ok(sqlx::query_as!(
        CashierRow,
        "UPDATE cashiers.cashiers SET deleted_at = CASE WHEN $2 THEN now() END, updated_at = now() \
         WHERE id = $1 \
         RETURNING id, merchant_id, user_id, name, disabled_at, created_at, updated_at, deleted_at",
        id,
        trashed,
    )
    .fetch_one(conn)
    .await?)
}
