//! Verification documents: upload, replace the file of a pending one, review, read, download.
//!
//! A file is checked by content ([`CheckedFile`]) and written to the object store under a new key
//! before the row that names it commits; if the transaction fails the object is deleted, so no
//! row names a missing file. A replaced file is deleted after the commit that stopped naming it.

use bytes::Bytes;
use prost::Message as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use pos_api::Module;
use pos_api::google::api::HttpBody;
use pos_api::pos::merchant::v1 as pb;
use pos_platform::files::{CheckedFile, FileKind};
use pos_platform::idempotency::{Claim, IdempotencyKey};
use pos_platform::{AuthContext, paging};

use crate::Shared;
use crate::access;
use crate::create::principal;
use crate::document_store::{self, DocumentRow, READERS, WRITERS, authorized, clean_file_name, object_key};
use crate::error::MerchantError;
use crate::events::{self, Actor};
use crate::owner;
use crate::read::lifecycle_filter;
use crate::store::{self, parse_id};

/// Longest review note, in characters.
const MAX_NOTE_CHARS: usize = 2000;

/// Returns one document's metadata (see `MerchantDocumentService.GetMerchantDocument`).
pub(crate) async fn get_document(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::GetMerchantDocumentRequest,
) -> Result<pb::GetMerchantDocumentResponse, MerchantError> {
    let id = parse_id("document_id", &request.document_id)?;
    let mut conn = shared.ctx.db.acquire().await?;
    let (document, _) = authorized(&mut conn, auth, READERS, id, false).await?;
    Ok(pb::GetMerchantDocumentResponse {
        document: Some(document.to_pb()),
    })
}

/// Returns a document's file (see `MerchantDocumentService.DownloadMerchantDocument`).
pub(crate) async fn download_document(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::DownloadMerchantDocumentRequest,
) -> Result<HttpBody, MerchantError> {
    let id = parse_id("document_id", &request.document_id)?;
    let mut conn = shared.ctx.db.acquire().await?;
    let (document, _) = authorized(&mut conn, auth, READERS, id, false).await?;
    drop(conn);
    let data = shared
        .ctx
        .files
        .get(&document.object_key)
        .await
        .map_err(MerchantError::Files)?;
    Ok(HttpBody {
        content_type: document.content_type,
        data: data.to_vec(),
        extensions: Vec::new(),
    })
}

/// The filters a page token is bound to.
#[derive(Serialize)]
struct Filters {
    merchant: Option<Uuid>,
    lifecycle: &'static str,
    status: &'static str,
    document_type: &'static str,
}

/// Where the next page starts: after this document, in (create time, id) descending order.
#[derive(Serialize, Deserialize)]
struct Cursor {
    created_at: chrono::DateTime<chrono::Utc>,
    id: Uuid,
}

/// Lists documents newest first (see `MerchantDocumentService.ListMerchantDocuments`).
pub(crate) async fn list_documents(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::ListMerchantDocumentsRequest,
) -> Result<pb::ListMerchantDocumentsResponse, MerchantError> {
    let ctx = &shared.ctx;
    let page_size = paging::page_size(Module::Merchant, request.page_size)?;
    let lifecycle = lifecycle_filter(request.lifecycle)?;
    let status = match pb::DocumentStatus::try_from(request.status) {
        Ok(status) => document_store::status_to_db(status).unwrap_or(""),
        Err(_) => return Err(MerchantError::invalid("status", "is not a known status")),
    };
    let document_type = match pb::DocumentType::try_from(request.document_type) {
        Ok(value) => document_store::type_to_db(value).unwrap_or(""),
        Err(_) => return Err(MerchantError::invalid("document_type", "is not a known type")),
    };
    let merchant = match request.merchant_id.trim() {
        "" if access::is_platform(auth, READERS) => None,
        "" => return Err(MerchantError::PermissionMissing("merchant.review")),
        id => {
            let id = parse_id("merchant_id", id)?;
            let mut conn = ctx.db.acquire().await?;
            let owner = store::find(&mut conn, id).await?.map(|row| row.owner_user_id);
            access::check(auth, READERS, id, owner)?;
            Some(id)
        }
    };
    let filters = Filters {
        merchant,
        lifecycle,
        status,
        document_type,
    };
    let cursor: Option<Cursor> = ctx
        .page_tokens
        .decode(Module::Merchant, &request.page_token, &filters)?;
    let mut conn = ctx.db.acquire().await?;
    // Both statements filter alike: $1 merchant (NULL any), $2 lifecycle, $3 status, $4 type ('' any).
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM merchants.documents
           WHERE ($1::uuid IS NULL OR merchant_id = $1)
             AND ($2 = 'all' OR ($2 = 'active' AND deleted_at IS NULL)
                  OR ($2 = 'trashed' AND deleted_at IS NOT NULL))
             AND ($3 = '' OR status = $3) AND ($4 = '' OR document_type = $4)"#,
        merchant,
        lifecycle,
        status,
        document_type,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows = sqlx::query_as!(
        DocumentRow,
        r#"SELECT id, merchant_id, document_type, status, note, reviewer_user_id, file_name, content_type,
                  size_bytes, sha256, object_key, version, created_at, updated_at, reviewed_at, deleted_at
           FROM merchants.documents
           WHERE ($1::uuid IS NULL OR merchant_id = $1)
             AND ($2 = 'all' OR ($2 = 'active' AND deleted_at IS NULL)
                  OR ($2 = 'trashed' AND deleted_at IS NOT NULL))
             AND ($3 = '' OR status = $3) AND ($4 = '' OR document_type = $4)
             AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6))
           ORDER BY created_at DESC, id DESC LIMIT $7"#,
        merchant,
        lifecycle,
        status,
        document_type,
        cursor.as_ref().map(|cursor| cursor.created_at),
        cursor.as_ref().map(|cursor| cursor.id),
        i64::from(page_size) + 1,
    )
    .fetch_all(&mut *conn)
    .await?;
    let more = rows.len() > page_size as usize;
    rows.truncate(page_size as usize);
    let next_page_token = match rows.last() {
        Some(last) if more => ctx.page_tokens.encode(
            &Cursor {
                created_at: last.created_at,
                id: last.id,
            },
            &filters,
        ),
        _ => String::new(),
    };
    Ok(pb::ListMerchantDocumentsResponse {
        documents: rows.iter().map(DocumentRow::to_pb).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// What makes two uploads the same: the target, the declared type, the name and the file's hash.
fn canonical_content(target: &str, document_type: i32, file_name: &str, content: &[u8]) -> Vec<u8> {
    let mut bytes = pb::MerchantDocument {
        id: target.to_owned(),
        document_type,
        file_name: file_name.to_owned(),
        ..pb::MerchantDocument::default()
    }
    .encode_to_vec();
    bytes.extend_from_slice(&Sha256::digest(content));
    bytes
}

/// Uploads a document (see `MerchantDocumentService.UploadMerchantDocument`).
pub(crate) async fn upload_document(
    shared: &Shared,
    auth: &AuthContext,
    request: pb::UploadMerchantDocumentRequest,
) -> Result<pb::UploadMerchantDocumentResponse, MerchantError> {
    let merchant_id = parse_id("merchant_id", &request.merchant_id)?;
    let document_type = pb::DocumentType::try_from(request.document_type)
        .ok()
        .and_then(document_store::type_to_db)
        .ok_or_else(|| MerchantError::invalid("document_type", "is required"))?;
    let file_name = clean_file_name(&request.file_name)?;
    let key = IdempotencyKey::new(
        Module::Merchant,
        "UploadMerchantDocument",
        principal(auth),
        &request.request_id,
        &canonical_content(
            &request.merchant_id,
            request.document_type,
            &file_name,
            &request.content,
        ),
    )?;
    let file =
        CheckedFile::check(Bytes::from(request.content), FileKind::DOCUMENTS).map_err(MerchantError::file)?;
    let ctx = &shared.ctx;

    let mut tx = ctx.db.begin().await?;
    // The merchant is shared-locked: it cannot be trashed or purged while the upload commits.
    let merchant = sqlx::query_as!(
        crate::store::MerchantRow,
        "SELECT id, owner_user_id, name, description, address, contact_email, contact_phone, \
         currency_code, time_zone, receipt_footer, status, status_reason, status_updated_at, \
         created_at, updated_at, deleted_at \
         FROM merchants.merchants WHERE id = $1 FOR SHARE",
        merchant_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    access::check(
        auth,
        WRITERS,
        merchant_id,
        merchant.as_ref().map(|row| row.owner_user_id),
    )?;
    let merchant = merchant.ok_or_else(|| MerchantError::NotFound(merchant_id.to_string()))?;
    if merchant.deleted_at.is_some() {
        return Err(MerchantError::Trashed(merchant_id.to_string()));
    }
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        return pb::UploadMerchantDocumentResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored UploadMerchantDocument response: {error}").into());
    }
    let id = Uuid::now_v7();
    let object = object_key(id, 1, file.kind.extension());
    ctx.files
        .put(&object, &file)
        .await
        .map_err(MerchantError::Files)?;
    let written = async {
        let row = sqlx::query_as!(
            DocumentRow,
            "INSERT INTO merchants.documents (id, merchant_id, document_type, file_name, content_type, \
             size_bytes, sha256, object_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id, merchant_id, document_type, status, note, reviewer_user_id, file_name, \
             content_type, size_bytes, sha256, object_key, version, created_at, updated_at, reviewed_at, \
             deleted_at",
            id,
            merchant_id,
            document_type,
            &file_name,
            file.kind.media_type(),
            file.size(),
            &file.sha256,
            &object,
        )
        .fetch_one(&mut *tx)
        .await?;
        events::document_uploaded(&mut tx, &Actor::of(auth), row.to_pb(), false, &merchant.to_pb()).await?;
        let response = pb::UploadMerchantDocumentResponse {
            document: Some(row.to_pb()),
        };
        if let Some(key) = &key {
            key.complete(&mut tx, &response).await?;
        }
        tx.commit().await?;
        Ok::<_, MerchantError>(response)
    }
    .await;
    if written.is_err() {
        forget(shared, &object).await;
    }
    written
}

/// Replaces the file of a pending document (see
/// `MerchantDocumentService.ReplaceMerchantDocumentFile`). Only the document named by
/// `document_id` changes (the reference updated another row).
pub(crate) async fn replace_file(
    shared: &Shared,
    auth: &AuthContext,
    request: pb::ReplaceMerchantDocumentFileRequest,
) -> Result<pb::ReplaceMerchantDocumentFileResponse, MerchantError> {
    let id = parse_id("document_id", &request.document_id)?;
    let new_type = match pb::DocumentType::try_from(request.document_type) {
        Ok(value) => document_store::type_to_db(value),
        Err(_) => return Err(MerchantError::invalid("document_type", "is not a known type")),
    };
    let file_name = clean_file_name(&request.file_name)?;
    let key = IdempotencyKey::new(
        Module::Merchant,
        "ReplaceMerchantDocumentFile",
        principal(auth),
        &request.request_id,
        &canonical_content(
            &request.document_id,
            request.document_type,
            &file_name,
            &request.content,
        ),
    )?;
    let file =
        CheckedFile::check(Bytes::from(request.content), FileKind::DOCUMENTS).map_err(MerchantError::file)?;
    let ctx = &shared.ctx;

    let mut tx = ctx.db.begin().await?;
    let (current, merchant) = authorized(&mut tx, auth, WRITERS, id, true).await?;
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        return pb::ReplaceMerchantDocumentFileResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored ReplaceMerchantDocumentFile response: {error}").into());
    }
    if current.deleted_at.is_some() {
        return Err(MerchantError::DocumentTrashed(id.to_string()));
    }
    if current.status != "pending" {
        return Err(MerchantError::DocumentAlreadyReviewed(id.to_string()));
    }
    let version = current.version + 1;
    let object = object_key(id, version, file.kind.extension());
    ctx.files
        .put(&object, &file)
        .await
        .map_err(MerchantError::Files)?;
    let written = async {
        let row = sqlx::query_as!(
            DocumentRow,
            "UPDATE merchants.documents SET document_type = COALESCE($2, document_type), file_name = $3, \
             content_type = $4, size_bytes = $5, sha256 = $6, object_key = $7, version = $8, updated_at = now() \
             WHERE id = $1 AND status = 'pending' AND deleted_at IS NULL \
             RETURNING id, merchant_id, document_type, status, note, reviewer_user_id, file_name, \
             content_type, size_bytes, sha256, object_key, version, created_at, updated_at, reviewed_at, \
             deleted_at",
            id,
            new_type,
            &file_name,
            file.kind.media_type(),
            file.size(),
            &file.sha256,
            &object,
            version,
        )
        .fetch_one(&mut *tx)
        .await?;
        events::document_uploaded(&mut tx, &Actor::of(auth), row.to_pb(), true, &merchant.to_pb()).await?;
        let response = pb::ReplaceMerchantDocumentFileResponse {
            document: Some(row.to_pb()),
        };
        if let Some(key) = &key {
            key.complete(&mut tx, &response).await?;
        }
        tx.commit().await?;
        Ok::<_, MerchantError>(response)
    }
    .await;
    match &written {
        Ok(_) => forget(shared, &current.object_key).await,
        Err(_) => forget(shared, &object).await,
    }
    written
}

/// Records an admin's review (see `MerchantDocumentService.ReviewMerchantDocument`).
pub(crate) async fn review_document(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::ReviewMerchantDocumentRequest,
) -> Result<pb::ReviewMerchantDocumentResponse, MerchantError> {
    let id = parse_id("document_id", &request.document_id)?;
    let decision = match pb::DocumentStatus::try_from(request.status) {
        Ok(status @ (pb::DocumentStatus::Approved | pb::DocumentStatus::Rejected)) => status,
        _ => {
            return Err(MerchantError::invalid(
                "status",
                "must be DOCUMENT_STATUS_APPROVED or DOCUMENT_STATUS_REJECTED",
            ));
        }
    };
    let note = request.note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(MerchantError::invalid(
            "note",
            format!("must have at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    if decision == pb::DocumentStatus::Rejected && note.is_empty() {
        return Err(MerchantError::invalid("note", "is required when rejecting"));
    }
    let ctx = &shared.ctx;
    let mut conn = ctx.db.acquire().await?;
    let (_, merchant) = authorized(&mut conn, auth, &["merchant.review"], id, false).await?;
    drop(conn);
    let owner_profile = owner::profile(ctx, merchant.owner_user_id).await?;

    let mut tx = ctx.db.begin().await?;
    let reviewed = sqlx::query_as!(
        DocumentRow,
        "UPDATE merchants.documents SET status = $2, note = $3, reviewer_user_id = $4, reviewed_at = now(), \
         updated_at = now() WHERE id = $1 AND status = 'pending' AND deleted_at IS NULL \
         RETURNING id, merchant_id, document_type, status, note, reviewer_user_id, file_name, \
         content_type, size_bytes, sha256, object_key, version, created_at, updated_at, reviewed_at, \
         deleted_at",
        id,
        document_store::status_to_db(decision),
        note,
        auth.user_id(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(reviewed) = reviewed else {
        let (now, _) = authorized(&mut tx, auth, &["merchant.review"], id, false).await?;
        return Err(if now.deleted_at.is_some() {
            MerchantError::DocumentTrashed(id.to_string())
        } else {
            MerchantError::DocumentAlreadyReviewed(id.to_string())
        });
    };
    events::document_reviewed(
        &mut tx,
        &Actor::of(auth),
        reviewed.to_pb(),
        &merchant.to_pb(),
        &owner_profile,
    )
    .await?;
    tx.commit().await?;
    Ok(pb::ReviewMerchantDocumentResponse {
        document: Some(reviewed.to_pb()),
    })
}

/// Deletes an object no row names (any more); a failure is logged, not returned.
pub(crate) async fn forget(shared: &Shared, key: &str) {
    if let Err(error) = shared.ctx.files.delete(key).await {
        tracing::warn!(%error, key, "an unreferenced document file could not be deleted");
    }
}
