//! CreateCashier: a user account (user and auth modules), its `cashier` role grant (role module)
//! and the cashier record, with nothing left half-written.
//!
//! The steps span three modules, so they cannot share one transaction. How a failure half way is
//! handled depends on `request_id`:
//! - **With a `request_id`, the steps are resumable.** The cashier id is reserved for the key and
//!   committed first (`cashiers.creation_reservations`); the user is created with that id as its
//!   own `request_id` (UserService.CreateUser replays its first result) and the grant is
//!   idempotent (GrantRole returns an identical existing grant). The cashier row, its event and the
//!   stored response commit together last. A retry with the same key therefore finishes what an
//!   earlier attempt started and never creates a second user; no cashier row exists before its
//!   user and grant do. (Compensating instead would break this: CreateUser would replay a user
//!   that was purged.)
//! - **Without a `request_id`, a failure is compensated**: the user this call created is trashed
//!   and purged (which also drops its grants), so the caller can simply try again with the same
//!   email. A bound existing user (`user_id`) loses the grant this call gave it.

use prost::Message as _;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::cashier::v1 as pb;
use pos_platform::auth::Principal;
use pos_platform::idempotency::{Claim, IdempotencyKey};
use pos_platform::{AuthContext, ModuleContext, validation};

use crate::error::CashierError;
use crate::events::{self, Actor};
use crate::input::NewCashier;
use crate::store::{self, CashierRow, WRITE, parse_id, parse_optional_id};
use crate::upstream;

/// Creates a cashier (see `CashierService.CreateCashier`).
pub(crate) async fn create_cashier(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::CreateCashierRequest,
) -> Result<pb::CreateCashierResponse, CashierError> {
    let merchant_id = parse_id("merchant_id", &request.merchant_id)?;
    let bound_user = parse_optional_id("user_id", &request.user_id)?;
    let input = NewCashier::from_pb(&request, bound_user.is_some());
    validation::validate(Module::Cashier, "", &input)?;
    store::check_merchant(auth, WRITE, merchant_id)?;
    if bound_user.is_some() && !auth.has_platform_permission(WRITE) {
        return Err(CashierError::PermissionMissing(WRITE));
    }
    let principal = principal(auth);
    let key = IdempotencyKey::new(
        Module::Cashier,
        "CreateCashier",
        principal.clone(),
        &request.request_id,
        &canonical_content(merchant_id, &input, bound_user),
    )?;
    let cashier_id = match &key {
        Some(_) => reserve_id(ctx, &principal, &request.request_id).await?,
        None => Uuid::now_v7(),
    };
    let actor = Actor::of(auth).with_request_id(&request.request_id);

    let mut tx = ctx.db.begin().await?;
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        return pb::CreateCashierResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored CreateCashier response: {error}").into());
    }
    upstream::require_approved_merchant(ctx, merchant_id).await?;
    let (user_id, email, created_user) = match bound_user {
        Some(user_id) => {
            let user = upstream::get_user(ctx, user_id).await?;
            if is_cashier(&mut tx, user_id).await? {
                return Err(CashierError::UserAlreadyCashier(user_id.to_string()));
            }
            (user_id, user.email, false)
        }
        None => {
            let email = input.email.clone().unwrap_or_default();
            let password = input.initial_password.clone().unwrap_or_default();
            let user = upstream::create_user(ctx, cashier_id, &email, &input.cashier.name, &password).await?;
            let user_id = parse_id("user.id", &user.id)?;
            (user_id, user.email, true)
        }
    };

    if let Err(error) = upstream::grant_ids(ctx, user_id, merchant_id, cashier_id).await {
        if key.is_none() && created_user {
            upstream::remove_user(ctx, user_id).await;
        }
        return Err(error);
    }
    let finish = async {
        let cashier = sqlx::query_as!(
            CashierRow,
            "INSERT INTO cashiers.cashiers (id, merchant_id, user_id, name) VALUES ($1, $2, $3, $4) \
             RETURNING id, merchant_id, user_id, name, disabled_at, created_at, updated_at, deleted_at",
            cashier_id,
            merchant_id,
            user_id,
            &input.cashier.name,
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| store::write_error(error, user_id))?;
        let invited = created_user && input.initial_password.is_none();
        events::created(&mut tx, &actor, &cashier, email, invited).await?;
        let response = pb::CreateCashierResponse {
            cashier: Some(cashier.to_pb()),
        };
        if let Some(key) = &key {
            key.complete(&mut tx, &response).await?;
        }
        tx.commit().await?;
        Ok::<_, CashierError>(response)
    };
    match finish.await {
        Ok(response) => Ok(response),
        Err(error) => {
            if key.is_none() {
                compensate(ctx, user_id, created_user).await;
            }
            Err(error)
        }
    }
}

/// Undoes what a failed creation without `request_id` did in other modules once the grant was
/// given: removes the user it created, or takes back the grant from the user it bound.
async fn compensate(ctx: &ModuleContext, user_id: Uuid, created_user: bool) {
    if created_user {
        upstream::remove_user(ctx, user_id).await;
    } else if let Err(error) = upstream::revoke(ctx, user_id).await {
        tracing::warn!(%user_id, %error, "could not revoke the grant of a cashier whose creation failed");
    }
}

/// The cashier id reserved for `request_id` of `principal`: a new one the first time, the same one
/// on every retry within the idempotency window. Committed before any other module is called.
async fn reserve_id(ctx: &ModuleContext, principal: &str, request_id: &str) -> Result<Uuid, CashierError> {
    let mut conn = ctx.db.acquire().await?;
    sqlx::query!(
        "DELETE FROM cashiers.creation_reservations \
         WHERE principal = $1 AND request_id = $2 AND created_at < now() - interval '24 hours'",
        principal,
        request_id,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO cashiers.creation_reservations (principal, request_id, cashier_id) VALUES ($1, $2, $3) \
         ON CONFLICT (principal, request_id) DO NOTHING",
        principal,
        request_id,
        Uuid::now_v7(),
    )
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_scalar!(
        "SELECT cashier_id FROM cashiers.creation_reservations WHERE principal = $1 AND request_id = $2",
        principal,
        request_id,
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// Whether `user_id` is already a (non-purged) cashier.
async fn is_cashier(conn: &mut sqlx::PgConnection, user_id: Uuid) -> Result<bool, CashierError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM cashiers.cashiers WHERE user_id = $1) AS "exists!""#,
        user_id,
    )
    .fetch_one(conn)
    .await?)
}

/// Who sent the request, for idempotency keys: the user id, or `service:<name>`.
fn principal(auth: &AuthContext) -> String {
    match &auth.principal {
        Principal::User { user_id, .. } => user_id.to_string(),
        Principal::Service { name } => format!("service:{name}"),
    }
}

/// What makes two CreateCashier requests the same: merchant, name, email, bound user and whether
/// a password was given (the password itself is not hashed into the key).
fn canonical_content(merchant_id: Uuid, input: &NewCashier, bound_user: Option<Uuid>) -> Vec<u8> {
    let mut content = pb::CreateCashierRequest {
        merchant_id: merchant_id.to_string(),
        cashier: Some(pb::Cashier {
            name: input.cashier.name.clone(),
            ..Default::default()
        }),
        email: input.email.clone().unwrap_or_default(),
        user_id: bound_user.map(|id| id.to_string()).unwrap_or_default(),
        ..Default::default()
    }
    .encode_to_vec();
    content.push(u8::from(input.initial_password.is_some()));
    content
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::CashierName;

    #[test]
    fn a_changed_field_or_password_presence_changes_the_content() {
        let merchant = Uuid::now_v7();
        let input = NewCashier {
            cashier: CashierName { name: "Ana".into() },
            email: Some("ana@example.com".into()),
            initial_password: Some("correct horse".into()),
        };
        let mut renamed = input.clone();
        renamed.cashier.name = "Bo".into();
        let mut invited = input.clone();
        invited.initial_password = None;
        let same = canonical_content(merchant, &input, None);
        assert_eq!(same, canonical_content(merchant, &input, None));
        assert_ne!(same, canonical_content(merchant, &renamed, None));
        assert_ne!(same, canonical_content(merchant, &invited, None));
        assert_ne!(same, canonical_content(Uuid::now_v7(), &input, None));
    }
}
