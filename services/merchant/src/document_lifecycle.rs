//! Trash, restore and purge of documents, one or every trashed one (of one merchant or of all).
//! Each change publishes `MerchantDocumentLifecycleChanged`; a purge deletes the file after the
//! row is gone.

use uuid::Uuid;

use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::merchant::v1 as pb;
use pos_platform::AuthContext;

use crate::Shared;
use crate::access;
use crate::document::forget;
use crate::document_store::{DocumentRow, WRITERS, authorized};
use crate::error::MerchantError;
use crate::events::{self, Actor};
use crate::store::{self, parse_id};

/// Moves a document to the trash (see `MerchantDocumentService.DeleteMerchantDocument`).
pub(crate) async fn delete_document(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::DeleteMerchantDocumentRequest,
) -> Result<pb::DeleteMerchantDocumentResponse, MerchantError> {
    let id = parse_id("document_id", &request.document_id)?;
    let mut tx = shared.ctx.db.begin().await?;
    let (current, _) = authorized(&mut tx, auth, WRITERS, id, true).await?;
    if current.deleted_at.is_some() {
        return Err(MerchantError::DocumentTrashed(id.to_string()));
    }
    let trashed = set_trashed(&mut tx, id, true).await?;
    events::document_lifecycle_changed(
        &mut tx,
        &Actor::of(auth),
        id,
        trashed.merchant_id,
        LifecycleChange::Trashed,
    )
    .await?;
    tx.commit().await?;
    Ok(pb::DeleteMerchantDocumentResponse {
        document: Some(trashed.to_pb()),
    })
}

/// Takes a document out of the trash (see `MerchantDocumentService.RestoreMerchantDocument`).
pub(crate) async fn restore_document(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::RestoreMerchantDocumentRequest,
) -> Result<pb::RestoreMerchantDocumentResponse, MerchantError> {
    let id = parse_id("document_id", &request.document_id)?;
    let mut tx = shared.ctx.db.begin().await?;
    let (current, _) = authorized(&mut tx, auth, WRITERS, id, true).await?;
    if current.deleted_at.is_none() {
        return Err(MerchantError::DocumentNotTrashed(id.to_string()));
    }
    let restored = set_trashed(&mut tx, id, false).await?;
    events::document_lifecycle_changed(
        &mut tx,
        &Actor::of(auth),
        id,
        restored.merchant_id,
        LifecycleChange::Restored,
    )
    .await?;
    tx.commit().await?;
    Ok(pb::RestoreMerchantDocumentResponse {
        document: Some(restored.to_pb()),
    })
}

/// Deletes a trashed document and its file (see `MerchantDocumentService.PurgeMerchantDocument`).
pub(crate) async fn purge_document(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::PurgeMerchantDocumentRequest,
) -> Result<pb::PurgeMerchantDocumentResponse, MerchantError> {
    let id = parse_id("document_id", &request.document_id)?;
    let mut tx = shared.ctx.db.begin().await?;
    let (current, _) = authorized(&mut tx, auth, WRITERS, id, true).await?;
    if current.deleted_at.is_none() {
        return Err(MerchantError::DocumentNotTrashed(id.to_string()));
    }
    sqlx::query!("DELETE FROM merchants.documents WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    events::document_lifecycle_changed(
        &mut tx,
        &Actor::of(auth),
        id,
        current.merchant_id,
        LifecycleChange::Purged,
    )
    .await?;
    tx.commit().await?;
    forget(shared, &current.object_key).await;
    Ok(pb::PurgeMerchantDocumentResponse {})
}

/// The merchant a bulk operation is limited to (`None`: every merchant, platform callers only).
async fn bulk_scope(
    shared: &Shared,
    auth: &AuthContext,
    merchant_id: &str,
) -> Result<Option<Uuid>, MerchantError> {
    match merchant_id.trim() {
        "" if access::is_platform(auth, WRITERS) => Ok(None),
        "" => Err(MerchantError::PermissionMissing("merchant.write")),
        id => {
            let id = parse_id("merchant_id", id)?;
            let mut conn = shared.ctx.db.acquire().await?;
            let owner = store::find(&mut conn, id).await?.map(|row| row.owner_user_id);
            access::check(auth, WRITERS, id, owner)?;
            Ok(Some(id))
        }
    }
}

/// Restores every trashed document (see `MerchantDocumentService.RestoreTrashedMerchantDocuments`).
pub(crate) async fn restore_trashed_documents(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::RestoreTrashedMerchantDocumentsRequest,
) -> Result<pb::RestoreTrashedMerchantDocumentsResponse, MerchantError> {
    let merchant = bulk_scope(shared, auth, &request.merchant_id).await?;
    let mut tx = shared.ctx.db.begin().await?;
    let restored: Vec<(Uuid, Uuid)> = sqlx::query!(
        "UPDATE merchants.documents SET deleted_at = NULL, updated_at = now() \
         WHERE deleted_at IS NOT NULL AND ($1::uuid IS NULL OR merchant_id = $1) RETURNING id, merchant_id",
        merchant,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| (row.id, row.merchant_id))
    .collect();
    let actor = Actor::of(auth);
    for (id, merchant_id) in &restored {
        events::document_lifecycle_changed(&mut tx, &actor, *id, *merchant_id, LifecycleChange::Restored)
            .await?;
    }
    tx.commit().await?;
    Ok(pb::RestoreTrashedMerchantDocumentsResponse {
        affected_count: i64::try_from(restored.len()).unwrap_or(i64::MAX),
    })
}

/// Purges every trashed document and its file (see
/// `MerchantDocumentService.PurgeTrashedMerchantDocuments`).
pub(crate) async fn purge_trashed_documents(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::PurgeTrashedMerchantDocumentsRequest,
) -> Result<pb::PurgeTrashedMerchantDocumentsResponse, MerchantError> {
    let merchant = bulk_scope(shared, auth, &request.merchant_id).await?;
    let mut tx = shared.ctx.db.begin().await?;
    let purged: Vec<(Uuid, Uuid, String)> = sqlx::query!(
        "DELETE FROM merchants.documents WHERE deleted_at IS NOT NULL AND ($1::uuid IS NULL OR merchant_id = $1) \
         RETURNING id, merchant_id, object_key",
        merchant,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| (row.id, row.merchant_id, row.object_key))
    .collect();
    let actor = Actor::of(auth);
    for (id, merchant_id, _) in &purged {
        events::document_lifecycle_changed(&mut tx, &actor, *id, *merchant_id, LifecycleChange::Purged)
            .await?;
    }
    tx.commit().await?;
    for (_, _, key) in &purged {
        forget(shared, key).await;
    }
    Ok(pb::PurgeTrashedMerchantDocumentsResponse {
        affected_count: i64::try_from(purged.len()).unwrap_or(i64::MAX),
    })
}

async fn set_trashed(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    trashed: bool,
) -> Result<DocumentRow, sqlx::Error> {
    sqlx::query_as!(
        DocumentRow,
        "UPDATE merchants.documents SET deleted_at = CASE WHEN $2 THEN now() END, updated_at = now() \
         WHERE id = $1 \
         RETURNING id, merchant_id, document_type, status, note, reviewer_user_id, file_name, content_type, \
         size_bytes, sha256, object_key, version, created_at, updated_at, reviewed_at, deleted_at",
        id,
        trashed,
    )
    .fetch_one(conn)
    .await
}
