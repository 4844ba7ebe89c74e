//! The events the merchant module publishes on `pos.merchant.v1.events`, keyed by merchant id,
//! appended to its outbox in the transaction of the change they describe.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::merchant::v1 as pb;
use pos_platform::events::{Outbox, OutboxEvent};

pub(crate) use pos_platform::events::Actor;

use crate::owner::Owner;

async fn append<M: prost::Message + prost::Name>(
    conn: &mut PgConnection,
    id: Uuid,
    merchant_id: &str,
    event: &M,
) -> Result<(), sqlx::Error> {
    Outbox::of(Module::Merchant)
        .append(conn, &OutboxEvent::new(id, merchant_id.to_owned(), event))
        .await
}

/// Appends `MerchantCreated`.
pub(crate) async fn merchant_created(
    conn: &mut PgConnection,
    actor: &Actor,
    merchant: pb::Merchant,
    owner: &Owner,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let key = merchant.id.clone();
    let event = pb::MerchantCreated {
        meta: Some(actor.meta(id)),
        merchant: Some(merchant),
        owner_email: owner.email.clone(),
        owner_name: owner.name.clone(),
    };
    append(conn, id, &key, &event).await
}

/// Appends `MerchantUpdated` naming the fields that changed.
pub(crate) async fn merchant_updated(
    conn: &mut PgConnection,
    actor: &Actor,
    merchant: pb::Merchant,
    changed_fields: Vec<String>,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let key = merchant.id.clone();
    let event = pb::MerchantUpdated {
        meta: Some(actor.meta(id)),
        merchant: Some(merchant),
        changed_fields: Some(prost_types::FieldMask {
            paths: changed_fields,
        }),
    };
    append(conn, id, &key, &event).await
}

/// Appends `MerchantStatusChanged`.
pub(crate) async fn status_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    merchant: &pb::Merchant,
    from: pb::MerchantStatus,
    owner: &Owner,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::MerchantStatusChanged {
        meta: Some(actor.meta(id)),
        merchant_id: merchant.id.clone(),
        merchant_name: merchant.name.clone(),
        from_status: from.into(),
        to_status: merchant.status,
        reason: merchant.status_reason.clone(),
        owner_user_id: merchant.owner_user_id.clone(),
        owner_email: owner.email.clone(),
        owner_name: owner.name.clone(),
    };
    append(conn, id, &merchant.id, &event).await
}

/// Appends `MerchantLifecycleChanged`.
pub(crate) async fn lifecycle_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    merchant_id: Uuid,
    change: LifecycleChange,
    status: pb::MerchantStatus,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::MerchantLifecycleChanged {
        meta: Some(actor.meta(id)),
        merchant_id: merchant_id.to_string(),
        change: change.into(),
        status: status.into(),
    };
    append(conn, id, &merchant_id.to_string(), &event).await
}

/// Appends `MerchantDocumentUploaded`.
pub(crate) async fn document_uploaded(
    conn: &mut PgConnection,
    actor: &Actor,
    document: pb::MerchantDocument,
    replaced: bool,
    merchant: &pb::Merchant,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::MerchantDocumentUploaded {
        meta: Some(actor.meta(id)),
        document: Some(document),
        replaced,
        merchant_name: merchant.name.clone(),
        owner_user_id: merchant.owner_user_id.clone(),
    };
    append(conn, id, &merchant.id, &event).await
}

/// Appends `MerchantDocumentReviewed`.
pub(crate) async fn document_reviewed(
    conn: &mut PgConnection,
    actor: &Actor,
    document: pb::MerchantDocument,
    merchant: &pb::Merchant,
    owner: &Owner,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::MerchantDocumentReviewed {
        meta: Some(actor.meta(id)),
        status: document.status,
        note: document.note.clone(),
        document: Some(document),
        merchant_name: merchant.name.clone(),
        owner_user_id: merchant.owner_user_id.clone(),
        owner_email: owner.email.clone(),
        owner_name: owner.name.clone(),
    };
    append(conn, id, &merchant.id, &event).await
}

/// Appends `MerchantDocumentLifecycleChanged`.
pub(crate) async fn document_lifecycle_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    document_id: Uuid,
    merchant_id: Uuid,
    change: LifecycleChange,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::MerchantDocumentLifecycleChanged {
        meta: Some(actor.meta(id)),
        document_id: document_id.to_string(),
        merchant_id: merchant_id.to_string(),
        change: change.into(),
    };
    append(conn, id, &merchant_id.to_string(), &event).await
}
