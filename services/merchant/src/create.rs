//! CreateMerchant: a PENDING merchant, its `MerchantCreated` event, and the owner's `merchant`
//! grant bound to it (through the role module, before the merchant's transaction commits).

use prost::Message as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::merchant::v1 as pb;
use pos_platform::AuthContext;
use pos_platform::auth::Principal;
use pos_platform::db::unique_violation;
use pos_platform::idempotency::{Claim, IdempotencyKey};

use crate::Shared;
use crate::error::MerchantError;
use crate::events::{self, Actor};
use crate::input::MerchantFields;
use crate::owner;
use crate::store::{MerchantRow, parse_id};

/// The index that keeps one open (not REJECTED) merchant per owner.
const ONE_OPEN_PER_OWNER: &str = "merchants_one_open_per_owner_idx";

/// Creates a merchant (see `MerchantService.CreateMerchant`).
pub(crate) async fn create_merchant(
    shared: &Shared,
    auth: &AuthContext,
    request: pb::CreateMerchantRequest,
) -> Result<pb::CreateMerchantResponse, MerchantError> {
    let merchant = request.merchant.unwrap_or_default();
    let owner_id = match (merchant.owner_user_id.trim(), auth.user_id()) {
        ("", Some(caller)) => caller,
        ("", None) => return Err(MerchantError::invalid("merchant.owner_user_id", "is required")),
        (id, _) => parse_id("merchant.owner_user_id", id)?,
    };
    if !auth.is_user(owner_id) && !auth.has_platform_permission("merchant.write") {
        return Err(MerchantError::PermissionMissing("merchant.write"));
    }
    let fields = MerchantFields::from_pb(&merchant);
    fields.check()?;
    let key = IdempotencyKey::new(
        Module::Merchant,
        "CreateMerchant",
        principal(auth),
        &request.request_id,
        &canonical_content(owner_id, &fields),
    )?;
    let actor = Actor::of(auth).with_request_id(&request.request_id);
    let ctx = &shared.ctx;

    let mut tx = ctx.db.begin().await?;
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        return pb::CreateMerchantResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored CreateMerchant response: {error}").into());
    }
    let owner = owner::active_user(ctx, owner_id)
        .await?
        .ok_or_else(|| MerchantError::OwnerNotFound(owner_id.to_string()))?;
    if owns_open_merchant(&mut tx, owner_id).await? {
        return Err(MerchantError::ScopeConflict);
    }
    release_closed_grants(shared, &mut tx, owner_id).await?;

    let id = Uuid::now_v7();
    let row = insert(&mut tx, id, owner_id, &fields).await?;
    events::merchant_created(&mut tx, &actor, row.to_pb(), &owner).await?;
    owner::grant(ctx, owner_id, id).await?;
    let response = pb::CreateMerchantResponse {
        merchant: Some(row.to_pb()),
    };
    if let Some(key) = &key {
        key.complete(&mut tx, &response).await?;
    }
    tx.commit().await?;
    Ok(response)
}

/// Who sent the request, for idempotency keys: the user id, or `service:<name>`.
pub(crate) fn principal(auth: &AuthContext) -> String {
    match &auth.principal {
        Principal::User { user_id, .. } => user_id.to_string(),
        Principal::Service { name } => format!("service:{name}"),
    }
}

/// What makes two CreateMerchant requests the same: the owner and the merchant's fields.
fn canonical_content(owner: Uuid, fields: &MerchantFields) -> Vec<u8> {
    pb::Merchant {
        owner_user_id: owner.to_string(),
        name: fields.name.clone(),
        description: fields.description.clone(),
        address: fields.address.clone(),
        contact_email: fields.contact_email.clone(),
        contact_phone: fields.contact_phone.clone(),
        currency_code: fields.currency_code.clone(),
        time_zone: fields.time_zone.clone(),
        receipt_footer: fields.receipt_footer.clone(),
        ..pb::Merchant::default()
    }
    .encode_to_vec()
}

async fn owns_open_merchant(conn: &mut PgConnection, owner: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM merchants.merchants WHERE owner_user_id = $1 AND status <> 'rejected')
           AS "exists!""#,
        owner,
    )
    .fetch_one(conn)
    .await
}

/// Refuses an owner who works as a cashier or holds the `merchant` role of an open merchant, and
/// revokes a `merchant` grant left from a rejected or purged merchant (a user acts for at most
/// one merchant).
async fn release_closed_grants(
    shared: &Shared,
    conn: &mut PgConnection,
    owner_id: Uuid,
) -> Result<(), MerchantError> {
    for grant in owner::grants(&shared.ctx, owner_id).await? {
        if !grant.cashier_id.is_empty() {
            return Err(MerchantError::ScopeConflict);
        }
        if grant.merchant_id.is_empty() || !owner::is_merchant_grant(&grant) {
            continue;
        }
        let merchant_id = Uuid::parse_str(&grant.merchant_id)
            .map_err(|_| anyhow::anyhow!("a grant with a malformed merchant id"))?;
        let open = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM merchants.merchants WHERE id = $1 AND status <> 'rejected')
               AS "exists!""#,
            merchant_id,
        )
        .fetch_one(&mut *conn)
        .await?;
        if open {
            return Err(MerchantError::ScopeConflict);
        }
        owner::revoke(&shared.ctx, owner_id, merchant_id).await?;
    }
    Ok(())
}

async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    owner: Uuid,
    fields: &MerchantFields,
) -> Result<MerchantRow, MerchantError> {
    sqlx::query_as!(
        MerchantRow,
        "INSERT INTO merchants.merchants (id, owner_user_id, name, description, address, contact_email, \
         contact_phone, currency_code, time_zone, receipt_footer) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         RETURNING id, owner_user_id, name, description, address, contact_email, contact_phone, \
         currency_code, time_zone, receipt_footer, status, status_reason, status_updated_at, \
         created_at, updated_at, deleted_at",
        id,
        owner,
        &fields.name,
        &fields.description,
        &fields.address,
        &fields.contact_email,
        &fields.contact_phone,
        &fields.currency_code,
        &fields.time_zone,
        &fields.receipt_footer,
    )
    .fetch_one(conn)
    .await
    .map_err(|error| {
        if unique_violation(&error) == Some(ONE_OPEN_PER_OWNER) {
            MerchantError::ScopeConflict
        } else {
            MerchantError::Database(error)
        }
    })
}
