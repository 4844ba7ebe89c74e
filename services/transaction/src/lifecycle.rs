//! Trash, restore and purge of FAILED payment attempts, one by one or all in the caller's scope.
//! Succeeded and pending payments and refunds are financial records and are never trashed.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::transaction::v1 as pb;
use pos_platform::{AuthContext, ModuleContext};

use crate::access::Reach;
use crate::error::TransactionError;
use crate::events::{self, Actor};
use crate::store::{self, TransactionRow, WRITE, parse_id, parse_optional_id};

/// Locks the transaction `id` within the caller's reach (owners and admins only).
async fn locked(
    tx: &mut PgConnection,
    auth: &AuthContext,
    request_id: &str,
) -> Result<TransactionRow, TransactionError> {
    let id = parse_id("transaction_id", request_id)?;
    let reach = Reach::owner_or_admin(auth, WRITE)?;
    reach.visible(id, store::lock(tx, id).await?)
}

/// Moves a failed attempt to the trash (see `TransactionService.DeleteTransaction`).
pub(crate) async fn delete_transaction(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::DeleteTransactionRequest,
) -> Result<pb::DeleteTransactionResponse, TransactionError> {
    let mut tx = ctx.db.begin().await?;
    let current = locked(&mut tx, auth, &request.transaction_id).await?;
    if current.status != store::FAILED {
        return Err(TransactionError::NotFailed(current.id.to_string()));
    }
    if current.deleted_at.is_some() {
        return Err(TransactionError::AlreadyTrashed(current.id.to_string()));
    }
    let trashed = set_trashed(&mut tx, current.id, true).await?;
    events::lifecycle_changed(&mut tx, &Actor::of(auth), &trashed, LifecycleChange::Trashed).await?;
    tx.commit().await?;
    Ok(pb::DeleteTransactionResponse {
        transaction: Some(trashed.to_pb()),
    })
}

/// Takes a failed attempt out of the trash (see `TransactionService.RestoreTransaction`).
pub(crate) async fn restore_transaction(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreTransactionRequest,
) -> Result<pb::RestoreTransactionResponse, TransactionError> {
    let mut tx = ctx.db.begin().await?;
    let current = locked(&mut tx, auth, &request.transaction_id).await?;
    if current.deleted_at.is_none() {
        return Err(TransactionError::NotTrashed(current.id.to_string()));
    }
    let restored = set_trashed(&mut tx, current.id, false).await?;
    events::lifecycle_changed(&mut tx, &Actor::of(auth), &restored, LifecycleChange::Restored).await?;
    tx.commit().await?;
    Ok(pb::RestoreTransactionResponse {
        transaction: Some(restored.to_pb()),
    })
}

/// Deletes a trashed failed attempt for good (see `TransactionService.PurgeTransaction`).
pub(crate) async fn purge_transaction(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeTransactionRequest,
) -> Result<pb::PurgeTransactionResponse, TransactionError> {
    let mut tx = ctx.db.begin().await?;
    let current = locked(&mut tx, auth, &request.transaction_id).await?;
    if current.deleted_at.is_none() {
        return Err(TransactionError::NotTrashed(current.id.to_string()));
    }
    purge(&mut tx, auth, &current).await?;
    tx.commit().await?;
    Ok(pb::PurgeTransactionResponse {})
}

/// The merchant a bulk request is limited to (`None`: the whole platform, admins only).
fn bulk_merchant(auth: &AuthContext, requested: &str) -> Result<Option<Uuid>, TransactionError> {
    let requested = parse_optional_id("merchant_id", requested)?;
    match (Reach::owner_or_admin(auth, WRITE)?.merchant(), requested) {
        (None, requested) => Ok(requested),
        (Some(own), None) => Ok(Some(own)),
        (Some(own), Some(wanted)) if own == wanted => Ok(Some(own)),
        _ => Err(TransactionError::PermissionMissing(WRITE)),
    }
}

/// Ids of the trashed attempts of `merchant_id` (`None`: of every merchant).
async fn trashed(ctx: &ModuleContext, merchant_id: Option<Uuid>) -> Result<Vec<Uuid>, TransactionError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM transactions.transactions \
         WHERE deleted_at IS NOT NULL AND ($1::uuid IS NULL OR merchant_id = $1) ORDER BY id",
        merchant_id,
    )
    .fetch_all(&ctx.db)
    .await?)
}

/// Restores every trashed attempt in scope (see `TransactionService.RestoreTrashedTransactions`).
pub(crate) async fn restore_trashed_transactions(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreTrashedTransactionsRequest,
) -> Result<pb::RestoreTrashedTransactionsResponse, TransactionError> {
    let merchant_id = bulk_merchant(auth, &request.merchant_id)?;
    let mut affected = 0;
    for id in trashed(ctx, merchant_id).await? {
        let mut tx = ctx.db.begin().await?;
        match store::lock(&mut tx, id).await? {
            Some(current) if current.deleted_at.is_some() => {
                let restored = set_trashed(&mut tx, id, false).await?;
                events::lifecycle_changed(&mut tx, &Actor::of(auth), &restored, LifecycleChange::Restored)
                    .await?;
                tx.commit().await?;
                affected += 1;
            }
            _ => {}
        }
    }
    Ok(pb::RestoreTrashedTransactionsResponse {
        affected_count: affected,
    })
}

/// Purges every trashed attempt in scope (see `TransactionService.PurgeTrashedTransactions`).
pub(crate) async fn purge_trashed_transactions(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeTrashedTransactionsRequest,
) -> Result<pb::PurgeTrashedTransactionsResponse, TransactionError> {
    let merchant_id = bulk_merchant(auth, &request.merchant_id)?;
    let mut affected = 0;
    for id in trashed(ctx, merchant_id).await? {
        let mut tx = ctx.db.begin().await?;
        match store::lock(&mut tx, id).await? {
            Some(current) if current.deleted_at.is_some() => {
                purge(&mut tx, auth, &current).await?;
                tx.commit().await?;
                affected += 1;
            }
            _ => {}
        }
    }
    Ok(pb::PurgeTrashedTransactionsResponse {
        affected_count: affected,
    })
}

async fn purge(
    tx: &mut PgConnection,
    auth: &AuthContext,
    current: &TransactionRow,
) -> Result<(), TransactionError> {
    sqlx::query!(
        "DELETE FROM transactions.transactions WHERE id = $1 AND deleted_at IS NOT NULL AND status = 'FAILED'",
        current.id,
    )
    .execute(&mut *tx)
    .await?;
    events::lifecycle_changed(tx, &Actor::of(auth), current, LifecycleChange::Purged).await?;
    Ok(())
}

async fn set_trashed(
    conn: &mut PgConnection,
    id: Uuid,
    trashed: bool,
) -> Result<TransactionRow, TransactionError> {
    Ok(sqlx::query_as!(
        TransactionRow,
        "UPDATE transactions.transactions SET deleted_at = CASE WHEN $2 THEN now() END, updated_at = now() \
         WHERE id = $1 \
         RETURNING id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
         tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
         refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
         settled_at, created_at, updated_at, completed_at, deleted_at",
        id,
        trashed,
    )
    .fetch_one(conn)
    .await?)
}
