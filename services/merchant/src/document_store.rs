//! The `merchants.documents` table: the row type, its wire form, and the checks every document
//! operation makes (the document exists and the caller may act on its merchant).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::merchant::v1 as pb;
use pos_platform::AuthContext;

use crate::access;
use crate::error::MerchantError;
use crate::store::{self, MerchantRow, timestamp};

/// Who may read documents and their files: the owner or an admin writing merchants, or a reviewer.
pub(crate) const READERS: &[&str] = &["merchant.write", "merchant.review"];
/// Who may change documents.
pub(crate) const WRITERS: &[&str] = &["merchant.write"];

/// One document as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DocumentRow {
    pub(crate) id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) document_type: String,
    pub(crate) status: String,
    pub(crate) note: String,
    pub(crate) reviewer_user_id: Option<Uuid>,
    pub(crate) file_name: String,
    pub(crate) content_type: String,
    pub(crate) size_bytes: i64,
    pub(crate) sha256: String,
    pub(crate) object_key: String,
    pub(crate) version: i32,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) reviewed_at: Option<DateTime<Utc>>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

impl DocumentRow {
    /// The document as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::MerchantDocument {
        pb::MerchantDocument {
            id: self.id.to_string(),
            merchant_id: self.merchant_id.to_string(),
            document_type: type_from_db(&self.document_type).into(),
            status: status_from_db(&self.status).into(),
            note: self.note.clone(),
            reviewer_user_id: self.reviewer_user_id.map(|id| id.to_string()).unwrap_or_default(),
            file_name: self.file_name.clone(),
            content_type: self.content_type.clone(),
            size_bytes: self.size_bytes,
            sha256: self.sha256.clone(),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            review_time: self.reviewed_at.map(timestamp),
            delete_time: self.deleted_at.map(timestamp),
        }
    }
}

/// The database spelling of a declared type; `None` for UNSPECIFIED.
pub(crate) fn type_to_db(value: pb::DocumentType) -> Option<&'static str> {
    Some(match value {
        pb::DocumentType::Unspecified => return None,
        pb::DocumentType::BusinessLicense => "business_license",
        pb::DocumentType::TaxId => "tax_id",
        pb::DocumentType::Identity => "identity",
        pb::DocumentType::BankAccount => "bank_account",
        pb::DocumentType::Other => "other",
    })
}

fn type_from_db(value: &str) -> pb::DocumentType {
    match value {
        "business_license" => pb::DocumentType::BusinessLicense,
        "tax_id" => pb::DocumentType::TaxId,
        "identity" => pb::DocumentType::Identity,
        "bank_account" => pb::DocumentType::BankAccount,
        "other" => pb::DocumentType::Other,
        _ => pb::DocumentType::Unspecified,
    }
}

/// The database spelling of a review state; `None` for UNSPECIFIED.
pub(crate) fn status_to_db(value: pb::DocumentStatus) -> Option<&'static str> {
    Some(match value {
        pb::DocumentStatus::Unspecified => return None,
        pb::DocumentStatus::Pending => "pending",
        pb::DocumentStatus::Approved => "approved",
        pb::DocumentStatus::Rejected => "rejected",
    })
}

fn status_from_db(value: &str) -> pb::DocumentStatus {
    match value {
        "pending" => pb::DocumentStatus::Pending,
        "approved" => pb::DocumentStatus::Approved,
        "rejected" => pb::DocumentStatus::Rejected,
        _ => pb::DocumentStatus::Unspecified,
    }
}

/// The document `id` (locked when `for_update`) and its merchant, after checking that the caller
/// may use one of `permissions` on that merchant. A document that does not exist is NOT_FOUND for
/// platform callers and PERMISSION_DENIED for the others.
pub(crate) async fn authorized(
    conn: &mut PgConnection,
    auth: &AuthContext,
    permissions: &[&'static str],
    id: Uuid,
    for_update: bool,
) -> Result<(DocumentRow, MerchantRow), MerchantError> {
    // Both statements select alike; only the row lock differs.
    let document = if for_update {
        sqlx::query_as!(
            DocumentRow,
            "SELECT id, merchant_id, document_type, status, note, reviewer_user_id, file_name, content_type, \
             size_bytes, sha256, object_key, version, created_at, updated_at, reviewed_at, deleted_at \
             FROM merchants.documents WHERE id = $1 FOR UPDATE",
            id,
        )
        .fetch_optional(&mut *conn)
        .await?
    } else {
        sqlx::query_as!(
            DocumentRow,
            "SELECT id, merchant_id, document_type, status, note, reviewer_user_id, file_name, content_type, \
             size_bytes, sha256, object_key, version, created_at, updated_at, reviewed_at, deleted_at \
             FROM merchants.documents WHERE id = $1",
            id,
        )
        .fetch_optional(&mut *conn)
        .await?
    };
    let Some(document) = document else {
        return Err(if access::is_platform(auth, permissions) {
            MerchantError::DocumentNotFound(id.to_string())
        } else {
            MerchantError::PermissionMissing(permissions[0])
        });
    };
    let merchant = store::find(conn, document.merchant_id)
        .await?
        .ok_or_else(|| MerchantError::DocumentNotFound(id.to_string()))?;
    access::check(auth, permissions, merchant.id, Some(merchant.owner_user_id))?;
    Ok((document, merchant))
}

/// The file name without any directory part, at most 255 characters.
pub(crate) fn clean_file_name(name: &str) -> Result<String, MerchantError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if base.chars().count() > 255 {
        return Err(MerchantError::invalid(
            "file_name",
            "must have at most 255 characters",
        ));
    }
    Ok(base.to_owned())
}

/// Where version `version` of document `id` is stored.
pub(crate) fn object_key(id: Uuid, version: i32, extension: &str) -> String {
    format!("merchant/documents/{id}/{version}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_loses_its_directories() {
        assert_eq!(clean_file_name("C:\\scans\\licence.pdf").unwrap(), "licence.pdf");
        assert_eq!(clean_file_name("../../etc/passwd").unwrap(), "passwd");
        assert!(clean_file_name(&"a".repeat(256)).is_err());
    }

    #[test]
    fn every_type_round_trips_and_unspecified_has_no_spelling() {
        for value in [
            pb::DocumentType::BusinessLicense,
            pb::DocumentType::TaxId,
            pb::DocumentType::Identity,
            pb::DocumentType::BankAccount,
            pb::DocumentType::Other,
        ] {
            assert_eq!(type_from_db(type_to_db(value).unwrap()), value);
        }
        assert_eq!(type_to_db(pb::DocumentType::Unspecified), None);
    }
}
