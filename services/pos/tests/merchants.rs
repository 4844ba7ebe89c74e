//! The merchant module end to end, against a whole platform (real PostgreSQL, Redis, broker, the
//! access layer and an in-memory object store): merchants, their status lifecycle, ownership, the
//! read-through cache, the trash, verification documents, and the owner's e-mails.

#[path = "support/platform.rs"]
mod platform;
#[path = "support/smtp.rs"]
mod smtp;

use std::time::Duration;

use platform::{MerchantOwner, Session, TestPlatform, bearer, eventually};
use pos_api::pos::common::v1::Lifecycle;
use pos_api::pos::merchant::v1 as pb;
use pos_api::pos::merchant::v1::merchant_document_service_client::MerchantDocumentServiceClient;
use pos_api::pos::merchant::v1::merchant_service_client::MerchantServiceClient;
use prost_types::FieldMask;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

/// How long event-driven effects (e-mails) may take.
const WAIT: Duration = Duration::from_secs(120);

/// A minimal PDF: recognised by its `%PDF-` signature.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
/// A PNG signature and IHDR chunk header.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0,
    0, 1, 8, 2, 0, 0, 0,
];

fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| bad.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

#[track_caller]
fn assert_refused(result: Result<impl std::fmt::Debug, Status>, code: Code, expected_reason: &str) -> Status {
    let status = result.expect_err("the call is refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(&status), expected_reason, "{status:?}");
    status
}

async fn merchants(platform: &TestPlatform) -> MerchantServiceClient<Channel> {
    MerchantServiceClient::new(platform.channel().await)
}

async fn documents(platform: &TestPlatform) -> MerchantDocumentServiceClient<Channel> {
    MerchantDocumentServiceClient::new(platform.channel().await)
        .max_decoding_message_size(pos_platform::UPLOAD_MESSAGE_LIMIT_BYTES)
        .max_encoding_message_size(pos_platform::UPLOAD_MESSAGE_LIMIT_BYTES)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::now_v7().simple())
}

fn new_merchant(name: &str) -> pb::Merchant {
    pb::Merchant {
        name: name.to_owned(),
        currency_code: "IDR".to_owned(),
        time_zone: "Asia/Jakarta".to_owned(),
        ..pb::Merchant::default()
    }
}

/// A signed-in user without roles.
async fn user(platform: &TestPlatform, prefix: &str) -> Session {
    let email = unique(prefix);
    platform.create_user(&email).await;
    platform.login(&email).await
}

async fn get(platform: &TestPlatform, token: &str, id: &str) -> Result<pb::Merchant, Status> {
    merchants(platform)
        .await
        .get_merchant(bearer(
            token,
            pb::GetMerchantRequest {
                merchant_id: id.to_owned(),
            },
        ))
        .await
        .map(|response| response.into_inner().merchant.expect("a merchant"))
}

async fn approve(platform: &TestPlatform, token: &str, id: &str) -> Result<pb::Merchant, Status> {
    merchants(platform)
        .await
        .approve_merchant(bearer(
            token,
            pb::ApproveMerchantRequest {
                merchant_id: id.to_owned(),
            },
        ))
        .await
        .map(|response| response.into_inner().merchant.expect("a merchant"))
}

async fn suspend(
    platform: &TestPlatform,
    token: &str,
    id: &str,
    reason: &str,
) -> Result<pb::Merchant, Status> {
    merchants(platform)
        .await
        .suspend_merchant(bearer(
            token,
            pb::SuspendMerchantRequest {
                merchant_id: id.to_owned(),
                reason: reason.to_owned(),
            },
        ))
        .await
        .map(|response| response.into_inner().merchant.expect("a merchant"))
}

async fn reject(
    platform: &TestPlatform,
    token: &str,
    id: &str,
    reason: &str,
) -> Result<pb::Merchant, Status> {
    merchants(platform)
        .await
        .reject_merchant(bearer(
            token,
            pb::RejectMerchantRequest {
                merchant_id: id.to_owned(),
                reason: reason.to_owned(),
            },
        ))
        .await
        .map(|response| response.into_inner().merchant.expect("a merchant"))
}

async fn reactivate(platform: &TestPlatform, token: &str, id: &str) -> Result<pb::Merchant, Status> {
    merchants(platform)
        .await
        .reactivate_merchant(bearer(
            token,
            pb::ReactivateMerchantRequest {
                merchant_id: id.to_owned(),
            },
        ))
        .await
        .map(|response| response.into_inner().merchant.expect("a merchant"))
}

async fn rename(
    platform: &TestPlatform,
    token: &str,
    id: &str,
    field: &str,
    merchant: pb::Merchant,
) -> Result<pb::Merchant, Status> {
    merchants(platform)
        .await
        .update_merchant(bearer(
            token,
            pb::UpdateMerchantRequest {
                merchant: Some(pb::Merchant {
                    id: id.to_owned(),
                    ..merchant
                }),
                update_mask: Some(FieldMask {
                    paths: vec![field.to_owned()],
                }),
            },
        ))
        .await
        .map(|response| response.into_inner().merchant.expect("a merchant"))
}

async fn upload(
    platform: &TestPlatform,
    token: &str,
    merchant_id: &str,
    file_name: &str,
    content: Vec<u8>,
) -> Result<pb::MerchantDocument, Status> {
    documents(platform)
        .await
        .upload_merchant_document(bearer(
            token,
            pb::UploadMerchantDocumentRequest {
                merchant_id: merchant_id.to_owned(),
                document_type: pb::DocumentType::BusinessLicense.into(),
                file_name: file_name.to_owned(),
                content,
                request_id: String::new(),
            },
        ))
        .await
        .map(|response| response.into_inner().document.expect("a document"))
}

#[tokio::test]
async fn a_signed_in_user_creates_a_pending_merchant_it_owns_and_can_read() {
    let platform = TestPlatform::start().await;
    let owner = user(&platform, "creator").await;
    let created = merchants(&platform)
        .await
        .create_merchant(bearer(
            &owner.access_token,
            pb::CreateMerchantRequest {
                merchant: Some(new_merchant("Toko Maju")),
                request_id: String::new(),
            },
        ))
        .await
        .expect("CreateMerchant")
        .into_inner()
        .merchant
        .expect("the merchant");
    assert_eq!(created.status(), pb::MerchantStatus::Pending);
    assert_eq!(created.owner_user_id, owner.user_id);
    assert_eq!(created.time_zone, "Asia/Jakarta");
    // The owner's grant reaches the access layer's cache of grants through the role module's events.
    let read = eventually(WAIT, "the owner reads its new merchant", || async {
        get(&platform, &owner.access_token, &created.id).await.ok()
    })
    .await;
    assert_eq!(read.name, "Toko Maju");
    platform.stop().await;
}

#[tokio::test]
async fn a_retried_create_returns_the_first_merchant_and_a_reused_key_is_refused() {
    let platform = TestPlatform::start().await;
    let owner = user(&platform, "retry").await;
    let request_id = uuid::Uuid::now_v7().to_string();
    let create = |name: &str| pb::CreateMerchantRequest {
        merchant: Some(new_merchant(name)),
        request_id: request_id.clone(),
    };
    let mut client = merchants(&platform).await;
    let first = client
        .create_merchant(bearer(&owner.access_token, create("Toko")))
        .await
        .expect("first");
    let retried = client
        .create_merchant(bearer(&owner.access_token, create("Toko")))
        .await
        .expect("retry");
    assert_eq!(first.into_inner().merchant, retried.into_inner().merchant);
    assert_refused(
        client
            .create_merchant(bearer(&owner.access_token, create("Another")))
            .await,
        Code::AlreadyExists,
        "IDEMPOTENCY_KEY_REUSED",
    );
    platform.stop().await;
}

#[tokio::test]
async fn create_refuses_bad_currencies_time_zones_and_fields_naming_them() {
    let platform = TestPlatform::start().await;
    let owner = user(&platform, "invalid").await;
    let mut client = merchants(&platform).await;
    let mut call = async |merchant: pb::Merchant| {
        client
            .create_merchant(bearer(
                &owner.access_token,
                pb::CreateMerchantRequest {
                    merchant: Some(merchant),
                    request_id: String::new(),
                },
            ))
            .await
    };
    let status = assert_refused(
        call(pb::Merchant {
            currency_code: "RUPIAH".into(),
            ..new_merchant("Toko")
        })
        .await,
        Code::InvalidArgument,
        "INVALID_CURRENCY_CODE",
    );
    assert_eq!(violated_fields(&status), ["merchant.currency_code"]);
    let status = assert_refused(
        call(pb::Merchant {
            time_zone: "Asia/Atlantis".into(),
            ..new_merchant("Toko")
        })
        .await,
        Code::InvalidArgument,
        "INVALID_TIME_ZONE",
    );
    assert_eq!(violated_fields(&status), ["merchant.time_zone"]);
    let status = assert_refused(
        call(pb::Merchant {
            contact_email: "not-an-address".into(),
            ..new_merchant("  ")
        })
        .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violated_fields(&status),
        ["merchant.contact_email", "merchant.name"]
    );
    platform.stop().await;
}

#[tokio::test]
async fn an_owner_of_an_open_merchant_cannot_create_a_second_one() {
    let platform = TestPlatform::start().await;
    let owner = platform.pending_merchant().await;
    assert_refused(
        merchants(&platform)
            .await
            .create_merchant(bearer(
                &owner.session.access_token,
                pb::CreateMerchantRequest {
                    merchant: Some(new_merchant("Second")),
                    request_id: String::new(),
                },
            ))
            .await,
        Code::FailedPrecondition,
        "MERCHANT_SCOPE_CONFLICT",
    );
    platform.stop().await;
}

#[tokio::test]
async fn admins_move_a_merchant_through_the_allowed_statuses_only() {
    let platform = TestPlatform::start().await;
    let admin = platform.admin().await;
    let token = &admin.access_token;
    let owner = platform.pending_merchant().await;
    let id = &owner.merchant_id;

    assert_refused(
        suspend(&platform, token, id, "fraud").await,
        Code::FailedPrecondition,
        "INVALID_STATUS_TRANSITION",
    );
    assert_refused(
        reactivate(&platform, token, id).await,
        Code::FailedPrecondition,
        "INVALID_STATUS_TRANSITION",
    );
    let active = approve(&platform, token, id)
        .await
        .expect("approve a pending merchant");
    assert_eq!(active.status(), pb::MerchantStatus::Active);
    assert_refused(
        approve(&platform, token, id).await,
        Code::FailedPrecondition,
        "INVALID_STATUS_TRANSITION",
    );
    assert_refused(
        reject(&platform, token, id, "late").await,
        Code::FailedPrecondition,
        "INVALID_STATUS_TRANSITION",
    );
    assert_refused(
        suspend(&platform, token, id, " ").await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    let suspended = suspend(&platform, token, id, "unpaid fees")
        .await
        .expect("suspend");
    assert_eq!(suspended.status(), pb::MerchantStatus::Suspended);
    assert_eq!(suspended.status_reason, "unpaid fees");
    let reactivated = reactivate(&platform, token, id).await.expect("reactivate");
    assert_eq!(reactivated.status(), pb::MerchantStatus::Active);
    assert_eq!(reactivated.status_reason, "");
    platform.stop().await;
}

#[tokio::test]
async fn a_rejected_merchant_is_final_and_its_owner_may_open_another() {
    let platform = TestPlatform::start().await;
    let admin = platform.admin().await;
    let owner = platform.pending_merchant().await;
    assert_refused(
        reject(&platform, &admin.access_token, &owner.merchant_id, "").await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    let rejected = reject(
        &platform,
        &admin.access_token,
        &owner.merchant_id,
        "blurry licence",
    )
    .await
    .expect("reject");
    assert_eq!(rejected.status(), pb::MerchantStatus::Rejected);
    assert_refused(
        approve(&platform, &admin.access_token, &owner.merchant_id).await,
        Code::FailedPrecondition,
        "INVALID_STATUS_TRANSITION",
    );
    let second = merchants(&platform)
        .await
        .create_merchant(bearer(
            &owner.session.access_token,
            pb::CreateMerchantRequest {
                merchant: Some(new_merchant("Second try")),
                request_id: String::new(),
            },
        ))
        .await
        .expect("a new merchant after a rejection");
    assert_eq!(
        second.into_inner().merchant.expect("merchant").status(),
        pb::MerchantStatus::Pending
    );
    platform.stop().await;
}

#[tokio::test]
async fn an_owner_cannot_approve_its_own_merchant() {
    let platform = TestPlatform::start().await;
    let owner = platform.pending_merchant().await;
    let status = approve(&platform, &owner.session.access_token, &owner.merchant_id)
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::PermissionDenied);
    platform.stop().await;
}

#[tokio::test]
async fn another_owner_is_denied_a_merchant_and_a_cashier_reads_its_own() {
    let platform = TestPlatform::start().await;
    let owner = platform.active_merchant().await;
    let other = platform.active_merchant().await;
    let admin = platform.admin().await;
    assert_refused(
        get(&platform, &other.session.access_token, &owner.merchant_id).await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    let missing = uuid::Uuid::now_v7().to_string();
    assert_refused(
        get(&platform, &other.session.access_token, &missing).await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    assert_refused(
        get(&platform, &admin.access_token, &missing).await,
        Code::NotFound,
        "MERCHANT_NOT_FOUND",
    );

    let cashier_id = uuid::Uuid::now_v7().to_string();
    let cashier = platform
        .session_with_role(
            &unique("cashier"),
            "cashier",
            Some(&owner.merchant_id),
            Some(&cashier_id),
        )
        .await;
    let read = get(&platform, &cashier.access_token, &owner.merchant_id)
        .await
        .expect("the cashier reads its merchant");
    assert_eq!(read.id, owner.merchant_id);
    assert_refused(
        get(&platform, &cashier.access_token, &other.merchant_id).await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    let renamed = rename(
        &platform,
        &cashier.access_token,
        &owner.merchant_id,
        "name",
        new_merchant("Mine now"),
    )
    .await;
    assert_eq!(
        renamed.expect_err("a cashier cannot update").code(),
        Code::PermissionDenied
    );
    let renamed = rename(
        &platform,
        &other.session.access_token,
        &owner.merchant_id,
        "name",
        new_merchant("Mine now"),
    )
    .await;
    assert_eq!(
        renamed.expect_err("another owner cannot update").code(),
        Code::PermissionDenied
    );
    platform.stop().await;
}

#[tokio::test]
async fn a_read_right_after_a_write_never_returns_the_cached_old_value() {
    let platform = TestPlatform::start().await;
    let admin = platform.admin().await;
    let MerchantOwner { merchant_id, session } = platform.pending_merchant().await;
    let before = get(&platform, &session.access_token, &merchant_id)
        .await
        .expect("cached");
    assert_eq!(before.status(), pb::MerchantStatus::Pending);
    rename(
        &platform,
        &session.access_token,
        &merchant_id,
        "name",
        new_merchant("Renamed"),
    )
    .await
    .expect("update");
    assert_eq!(
        get(&platform, &session.access_token, &merchant_id)
            .await
            .expect("read")
            .name,
        "Renamed"
    );
    approve(&platform, &admin.access_token, &merchant_id)
        .await
        .expect("approve");
    assert_eq!(
        get(&platform, &session.access_token, &merchant_id)
            .await
            .expect("read")
            .status(),
        pb::MerchantStatus::Active
    );
    platform.stop().await;
}

#[tokio::test]
async fn update_changes_the_masked_fields_and_locks_the_currency_once_approved() {
    let platform = TestPlatform::start().await;
    let admin = platform.admin().await;
    let owner = platform.pending_merchant().await;
    let token = &owner.session.access_token;
    let changed = rename(
        &platform,
        token,
        &owner.merchant_id,
        "currencyCode",
        pb::Merchant {
            currency_code: "USD".into(),
            name: "ignored".into(),
            ..pb::Merchant::default()
        },
    )
    .await
    .expect("a pending merchant changes its currency");
    assert_eq!(changed.currency_code, "USD");
    assert_ne!(changed.name, "ignored");
    let status = assert_refused(
        rename(
            &platform,
            token,
            &owner.merchant_id,
            "status",
            pb::Merchant::default(),
        )
        .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["update_mask"]);
    approve(&platform, &admin.access_token, &owner.merchant_id)
        .await
        .expect("approve");
    assert_refused(
        rename(
            &platform,
            token,
            &owner.merchant_id,
            "currency_code",
            pb::Merchant {
                currency_code: "EUR".into(),
                ..pb::Merchant::default()
            },
        )
        .await,
        Code::FailedPrecondition,
        "CURRENCY_LOCKED",
    );
    platform.stop().await;
}

#[tokio::test]
async fn owners_list_their_own_merchants_and_admins_list_every_one() {
    let platform = TestPlatform::start().await;
    let admin = platform.admin().await;
    let first = platform.pending_merchant().await;
    let second = platform.pending_merchant().await;
    let list = async |token: &str, query: &str| {
        merchants(&platform)
            .await
            .list_merchants(bearer(
                token,
                pb::ListMerchantsRequest {
                    query: query.to_owned(),
                    ..pb::ListMerchantsRequest::default()
                },
            ))
            .await
            .expect("ListMerchants")
            .into_inner()
    };
    let own = list(&first.session.access_token, "").await;
    assert_eq!(
        own.merchants.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
        [first.merchant_id.as_str()]
    );
    let all = list(&admin.access_token, "").await;
    assert_eq!(all.total_size, 2);
    rename(
        &platform,
        &admin.access_token,
        &second.merchant_id,
        "name",
        new_merchant("Warung 50%_Unik"),
    )
    .await
    .expect("rename");
    let found = list(&admin.access_token, "50%_unik").await;
    assert_eq!(
        found.merchants.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
        [second.merchant_id.as_str()]
    );
    platform.stop().await;
}

#[tokio::test]
async fn a_merchant_goes_to_the_trash_comes_back_and_is_purged_only_from_the_trash() {
    let platform = TestPlatform::start().await;
    let admin = platform.admin().await;
    let owner = platform.pending_merchant().await;
    let id = owner.merchant_id.clone();
    let mut client = merchants(&platform).await;
    let token = &owner.session.access_token;
    let request = || pb::DeleteMerchantRequest {
        merchant_id: id.clone(),
    };
    let trashed = client
        .delete_merchant(bearer(token, request()))
        .await
        .expect("trash")
        .into_inner();
    assert!(trashed.merchant.expect("merchant").delete_time.is_some());
    assert!(
        get(&platform, token, &id)
            .await
            .expect("still readable")
            .delete_time
            .is_some()
    );
    assert_refused(
        client.delete_merchant(bearer(token, request())).await,
        Code::FailedPrecondition,
        "MERCHANT_TRASHED",
    );
    assert_refused(
        rename(&platform, token, &id, "name", new_merchant("x")).await,
        Code::FailedPrecondition,
        "MERCHANT_TRASHED",
    );
    assert_refused(
        approve(&platform, &admin.access_token, &id).await,
        Code::FailedPrecondition,
        "MERCHANT_TRASHED",
    );
    let restored = client
        .restore_merchant(bearer(
            token,
            pb::RestoreMerchantRequest {
                merchant_id: id.clone(),
            },
        ))
        .await
        .expect("restore")
        .into_inner();
    assert!(restored.merchant.expect("merchant").delete_time.is_none());
    assert_refused(
        client
            .purge_merchant(bearer(
                &admin.access_token,
                pb::PurgeMerchantRequest {
                    merchant_id: id.clone(),
                },
            ))
            .await,
        Code::FailedPrecondition,
        "MERCHANT_NOT_TRASHED",
    );
    client
        .delete_merchant(bearer(token, request()))
        .await
        .expect("trash again");
    let listed = client
        .list_merchants(bearer(
            token,
            pb::ListMerchantsRequest {
                lifecycle: Lifecycle::Trashed.into(),
                ..pb::ListMerchantsRequest::default()
            },
        ))
        .await
        .expect("the owner lists its trash")
        .into_inner();
    assert_eq!(listed.merchants.len(), 1);
    client
        .purge_merchant(bearer(
            &admin.access_token,
            pb::PurgeMerchantRequest {
                merchant_id: id.clone(),
            },
        ))
        .await
        .expect("purge");
    assert_refused(
        get(&platform, &admin.access_token, &id).await,
        Code::NotFound,
        "MERCHANT_NOT_FOUND",
    );
    platform.stop().await;
}

#[tokio::test]
async fn an_uploaded_document_downloads_as_the_same_bytes_and_type() {
    let platform = TestPlatform::start().await;
    let owner = platform.pending_merchant().await;
    let token = &owner.session.access_token;
    let document = upload(
        &platform,
        token,
        &owner.merchant_id,
        "scans/licence.pdf",
        PDF.to_vec(),
    )
    .await
    .expect("upload");
    assert_eq!(document.status(), pb::DocumentStatus::Pending);
    assert_eq!(document.content_type, "application/pdf");
    assert_eq!(document.file_name, "licence.pdf");
    assert_eq!(document.size_bytes, i64::try_from(PDF.len()).unwrap());
    let body = documents(&platform)
        .await
        .download_merchant_document(bearer(
            token,
            pb::DownloadMerchantDocumentRequest {
                document_id: document.id.clone(),
            },
        ))
        .await
        .expect("download")
        .into_inner();
    assert_eq!(body.content_type, "application/pdf");
    assert_eq!(body.data, PDF);
    platform.stop().await;
}

#[tokio::test]
async fn documents_are_refused_by_content_and_size_not_by_name() {
    let platform = TestPlatform::start().await;
    let owner = platform.pending_merchant().await;
    let token = &owner.session.access_token;
    let status = assert_refused(
        upload(
            &platform,
            token,
            &owner.merchant_id,
            "licence.pdf",
            b"just text, honestly a PDF".to_vec(),
        )
        .await,
        Code::InvalidArgument,
        "DOCUMENT_TYPE_NOT_ALLOWED",
    );
    assert_eq!(violated_fields(&status), ["content"]);
    let mut big = PDF.to_vec();
    big.resize(11 * 1024 * 1024, b' ');
    let status = assert_refused(
        upload(&platform, token, &owner.merchant_id, "big.pdf", big).await,
        Code::InvalidArgument,
        "DOCUMENT_TOO_LARGE",
    );
    assert_eq!(violated_fields(&status), ["content"]);
    assert_refused(
        upload(&platform, token, &owner.merchant_id, "empty.pdf", Vec::new()).await,
        Code::InvalidArgument,
        "DOCUMENT_EMPTY",
    );
    platform.stop().await;
}

#[tokio::test]
async fn only_the_named_pending_document_has_its_file_replaced() {
    let platform = TestPlatform::start().await;
    let admin = platform.admin().await;
    let owner = platform.pending_merchant().await;
    let token = &owner.session.access_token;
    let first = upload(&platform, token, &owner.merchant_id, "a.pdf", PDF.to_vec())
        .await
        .expect("upload a");
    let second = upload(&platform, token, &owner.merchant_id, "b.pdf", PDF.to_vec())
        .await
        .expect("upload b");
    let mut client = documents(&platform).await;
    let replace = |id: &str| pb::ReplaceMerchantDocumentFileRequest {
        document_id: id.to_owned(),
        document_type: pb::DocumentType::Identity.into(),
        file_name: "id.png".into(),
        content: PNG.to_vec(),
        request_id: String::new(),
    };
    let replaced = client
        .replace_merchant_document_file(bearer(token, replace(&second.id)))
        .await
        .expect("replace")
        .into_inner()
        .document
        .expect("document");
    assert_eq!(replaced.id, second.id);
    assert_eq!(replaced.content_type, "image/png");
    assert_eq!(replaced.document_type(), pb::DocumentType::Identity);
    let untouched = client
        .get_merchant_document(bearer(
            token,
            pb::GetMerchantDocumentRequest {
                document_id: first.id.clone(),
            },
        ))
        .await
        .expect("get")
        .into_inner()
        .document
        .expect("document");
    assert_eq!(untouched, first);
    client
        .review_merchant_document(bearer(
            &admin.access_token,
            pb::ReviewMerchantDocumentRequest {
                document_id: second.id.clone(),
                status: pb::DocumentStatus::Approved.into(),
                note: String::new(),
            },
        ))
        .await
        .expect("review");
    assert_refused(
        client
            .replace_merchant_document_file(bearer(token, replace(&second.id)))
            .await,
        Code::FailedPrecondition,
        "DOCUMENT_ALREADY_REVIEWED",
    );
    platform.stop().await;
}

#[tokio::test]
async fn another_owner_cannot_see_or_list_a_merchants_documents() {
    let platform = TestPlatform::start().await;
    let owner = platform.pending_merchant().await;
    let other = platform.pending_merchant().await;
    let document = upload(
        &platform,
        &owner.session.access_token,
        &owner.merchant_id,
        "a.pdf",
        PDF.to_vec(),
    )
    .await
    .expect("upload");
    let mut client = documents(&platform).await;
    assert_refused(
        client
            .get_merchant_document(bearer(
                &other.session.access_token,
                pb::GetMerchantDocumentRequest {
                    document_id: document.id.clone(),
                },
            ))
            .await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    assert_refused(
        client
            .list_merchant_documents(bearer(
                &other.session.access_token,
                pb::ListMerchantDocumentsRequest {
                    merchant_id: owner.merchant_id.clone(),
                    ..pb::ListMerchantDocumentsRequest::default()
                },
            ))
            .await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    assert_refused(
        upload(
            &platform,
            &other.session.access_token,
            &owner.merchant_id,
            "x.pdf",
            PDF.to_vec(),
        )
        .await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    platform.stop().await;
}

#[tokio::test]
async fn a_document_is_trashed_restored_and_purged_from_the_trash() {
    let platform = TestPlatform::start().await;
    let admin = platform.admin().await;
    let owner = platform.pending_merchant().await;
    let token = &owner.session.access_token;
    let document = upload(&platform, token, &owner.merchant_id, "a.pdf", PDF.to_vec())
        .await
        .expect("upload");
    let id = document.id.clone();
    let mut client = documents(&platform).await;
    assert_refused(
        client
            .purge_merchant_document(bearer(
                &admin.access_token,
                pb::PurgeMerchantDocumentRequest {
                    document_id: id.clone(),
                },
            ))
            .await,
        Code::FailedPrecondition,
        "DOCUMENT_NOT_TRASHED",
    );
    client
        .delete_merchant_document(bearer(
            token,
            pb::DeleteMerchantDocumentRequest {
                document_id: id.clone(),
            },
        ))
        .await
        .expect("trash");
    assert_refused(
        client
            .delete_merchant_document(bearer(
                token,
                pb::DeleteMerchantDocumentRequest {
                    document_id: id.clone(),
                },
            ))
            .await,
        Code::FailedPrecondition,
        "DOCUMENT_TRASHED",
    );
    client
        .purge_merchant_document(bearer(
            &admin.access_token,
            pb::PurgeMerchantDocumentRequest {
                document_id: id.clone(),
            },
        ))
        .await
        .expect("purge");
    assert_refused(
        client
            .get_merchant_document(bearer(
                &admin.access_token,
                pb::GetMerchantDocumentRequest {
                    document_id: id.clone(),
                },
            ))
            .await,
        Code::NotFound,
        "DOCUMENT_NOT_FOUND",
    );
    platform.stop().await;
}

#[tokio::test]
async fn the_owner_is_emailed_when_its_merchant_is_approved() {
    let sink = smtp::SmtpSink::start().await;
    let platform = TestPlatform::start_with(&["--smtp-url", &sink.url()]).await;
    let admin = platform.admin().await;
    let owner = platform.pending_merchant().await;
    let merchant = approve(&platform, &admin.access_token, &owner.merchant_id)
        .await
        .expect("approve");
    let mail = sink.wait_for(&owner.session.email, WAIT).await;
    assert_eq!(mail.subject, format!("{} was approved on POS", merchant.name));
    assert!(mail.text_body.contains("it can now sell"), "{}", mail.text_body);
    platform.stop().await;
}

#[tokio::test]
async fn the_owner_is_emailed_the_reviewers_note_when_a_document_is_rejected() {
    let sink = smtp::SmtpSink::start().await;
    let platform = TestPlatform::start_with(&["--smtp-url", &sink.url()]).await;
    let admin = platform.admin().await;
    let owner = platform.pending_merchant().await;
    let document = upload(
        &platform,
        &owner.session.access_token,
        &owner.merchant_id,
        "licence.pdf",
        PDF.to_vec(),
    )
    .await
    .expect("upload");
    let mut client = documents(&platform).await;
    assert_refused(
        client
            .review_merchant_document(bearer(
                &admin.access_token,
                pb::ReviewMerchantDocumentRequest {
                    document_id: document.id.clone(),
                    status: pb::DocumentStatus::Rejected.into(),
                    note: String::new(),
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    let reviewed = client
        .review_merchant_document(bearer(
            &admin.access_token,
            pb::ReviewMerchantDocumentRequest {
                document_id: document.id.clone(),
                status: pb::DocumentStatus::Rejected.into(),
                note: "The licence has expired <2024>".into(),
            },
        ))
        .await
        .expect("review")
        .into_inner()
        .document
        .expect("document");
    assert_eq!(reviewed.status(), pb::DocumentStatus::Rejected);
    assert_eq!(reviewed.reviewer_user_id, admin.user_id);
    let mail = sink.wait_for(&owner.session.email, WAIT).await;
    assert!(mail.subject.ends_with("was rejected"), "{}", mail.subject);
    assert!(
        mail.text_body.contains("The licence has expired <2024>"),
        "{}",
        mail.text_body
    );
    assert!(mail.html_body.expect("an HTML part").contains("&lt;2024&gt;"));
    platform.stop().await;
}
