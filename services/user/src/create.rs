//! CreateUser: a user created on someone else's behalf, with its credential provisioned by the
//! auth module in the same transaction.

use prost::Message as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::auth::v1::ProvisionCredentialRequest;
use pos_api::pos::user::v1 as pb;
use pos_platform::auth::Principal;
use pos_platform::{AuthContext, ModuleContext, validation};

use crate::error::UserError;
use crate::events::{self, Actor};
use crate::input::NewUser;
use crate::store::{self, UserRow};
use pos_platform::idempotency::{Claim, IdempotencyKey};

/// Name of the service credential `cargo xtask seed` uses.
const SEED_SERVICE: &str = "seed";

/// Creates a user (see `UserService.CreateUser`).
pub(crate) async fn create_user(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::CreateUserRequest,
) -> Result<pb::CreateUserResponse, UserError> {
    let input = NewUser::from_pb(&request.user.unwrap_or_default());
    validation::validate(Module::User, "user", &input)?;
    let key = IdempotencyKey::new(
        Module::User,
        "CreateUser",
        principal(auth),
        &request.request_id,
        &canonical_content(&input, !request.password.is_empty()),
    )?;
    let actor = Actor::of(auth).with_request_id(&request.request_id);

    let mut tx = ctx.db.begin().await?;
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        return pb::CreateUserResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored CreateUser response: {error}").into());
    }
    if store::email_taken(&mut tx, &input.email, None).await? {
        return Err(UserError::EmailTaken);
    }
    let inviter_name = match auth.user_id() {
        Some(caller) => store::find(&mut tx, caller)
            .await?
            .map(|caller| caller.full_name())
            .unwrap_or_default(),
        None => String::new(),
    };
    // The row is inserted first: its unique email holds off a concurrent creation of the same
    // email until this transaction ends.
    let id = Uuid::now_v7();
    insert(&mut tx, id, &input).await?;
    let provisioned = ctx
        .clients
        .auth()?
        .provision_credential(ProvisionCredentialRequest {
            user_id: id.to_string(),
            email: input.email.clone(),
            first_name: input.first_name.clone(),
            last_name: input.last_name.clone(),
            password: request.password,
            inviter_name,
            merchant_name: String::new(),
        })
        .await?
        .into_inner();
    let user = set_email_verified(&mut tx, id, provisioned.email_verified).await?;
    events::user_created(&mut tx, &actor, user.to_pb(), source(auth)).await?;
    let response = pb::CreateUserResponse {
        user: Some(user.to_pb()),
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

/// How the user came to exist: the seed's credential, or an admin (or a module on one's behalf).
fn source(auth: &AuthContext) -> pb::UserSource {
    match &auth.principal {
        Principal::Service { name } if name == SEED_SERVICE => pb::UserSource::Seed,
        _ => pb::UserSource::Admin,
    }
}

/// What makes two CreateUser requests the same: the user's fields and whether a password was
/// given (the password itself is not hashed into the key, so no fast hash of it is stored).
fn canonical_content(input: &NewUser, with_password: bool) -> Vec<u8> {
    let mut content = pb::User {
        email: input.email.clone(),
        first_name: input.first_name.clone(),
        last_name: input.last_name.clone(),
        ..Default::default()
    }
    .encode_to_vec();
    content.push(u8::from(with_password));
    content
}

async fn insert(conn: &mut PgConnection, id: Uuid, input: &NewUser) -> Result<(), UserError> {
    sqlx::query!(
        "INSERT INTO users.users (id, email, first_name, last_name) VALUES ($1, $2, $3, $4)",
        id,
        &input.email,
        &input.first_name,
        &input.last_name,
    )
    .execute(conn)
    .await
    .map_err(store::write_error)?;
    Ok(())
}

async fn set_email_verified(conn: &mut PgConnection, id: Uuid, verified: bool) -> Result<UserRow, UserError> {
    Ok(sqlx::query_as!(
        UserRow,
        "UPDATE users.users SET email_verified = $2 WHERE id = $1 RETURNING \
         id, email, first_name, last_name, email_verified, created_at, updated_at, deleted_at",
        id,
        verified,
    )
    .fetch_one(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_credential_creates_seed_users_and_everyone_else_admin_users() {
        assert_eq!(source(&AuthContext::service("seed")), pb::UserSource::Seed);
        assert_eq!(source(&AuthContext::service("pos")), pb::UserSource::Admin);
    }

    #[test]
    fn a_changed_field_or_password_presence_changes_the_content() {
        let input = NewUser {
            email: "a@example.com".into(),
            first_name: "A".into(),
            last_name: String::new(),
        };
        let mut renamed = input.clone();
        renamed.first_name = "B".into();
        assert_eq!(canonical_content(&input, true), canonical_content(&input, true));
        assert_ne!(canonical_content(&input, true), canonical_content(&input, false));
        assert_ne!(canonical_content(&input, true), canonical_content(&renamed, true));
    }
}
