//! UpdateUser (admins) and UpdateMyProfile (the signed-in user's own names).

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::user::v1 as pb;
use pos_platform::{AuthContext, ModuleContext, validation};

use crate::error::UserError;
use crate::events::{self, Actor};
use crate::input::{self, ADMIN_UPDATABLE, SELF_UPDATABLE, UserChanges};
use crate::store::{self, UserRow, parse_id};

/// Changes a user's names or email (see `UserService.UpdateUser`).
pub(crate) async fn update_user(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::UpdateUserRequest,
) -> Result<pb::UpdateUserResponse, UserError> {
    let user = request.user.unwrap_or_default();
    let id = parse_id("user.id", &user.id)?;
    let paths = input::mask_paths(request.update_mask.as_ref(), ADMIN_UPDATABLE);
    input::check_admin_mask(&paths)?;
    let changes = UserChanges::from_pb(&user, &paths);
    validation::validate(Module::User, "user", &changes)?;

    let mut tx = ctx.db.begin().await?;
    let updated = apply(&mut tx, &Actor::of(auth), id, changes).await?;
    tx.commit().await?;
    Ok(pb::UpdateUserResponse {
        user: Some(updated.to_pb()),
    })
}

/// Changes the caller's own names (see `UserService.UpdateMyProfile`).
pub(crate) async fn update_my_profile(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::UpdateMyProfileRequest,
) -> Result<pb::UpdateMyProfileResponse, UserError> {
    let id = auth.user_id().ok_or(UserError::SignedInUserRequired)?;
    let paths = input::mask_paths(request.update_mask.as_ref(), SELF_UPDATABLE);
    input::check_self_mask(&paths)?;
    let changes = UserChanges::from_pb(&request.user.unwrap_or_default(), &paths);
    validation::validate(Module::User, "user", &changes)?;

    let mut tx = ctx.db.begin().await?;
    let updated = apply(&mut tx, &Actor::of(auth), id, changes).await?;
    tx.commit().await?;
    Ok(pb::UpdateMyProfileResponse {
        user: Some(updated.to_pb()),
    })
}

/// Applies `changes` to the active user `id` and publishes `UserUpdated` naming what changed;
/// an update that changes nothing publishes nothing. A new email is unverified.
async fn apply(
    tx: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    changes: UserChanges,
) -> Result<UserRow, UserError> {
    let current = store::lock(tx, id).await?;
    if current.deleted_at.is_some() {
        return Err(UserError::Trashed(id.to_string()));
    }
    let first_name = changes.first_name.filter(|name| *name != current.first_name);
    let last_name = changes.last_name.filter(|name| *name != current.last_name);
    let email = changes.email.filter(|email| *email != current.email);
    if let Some(email) = &email
        && store::email_taken(tx, email, Some(id)).await?
    {
        return Err(UserError::EmailTaken);
    }

    let mut changed_fields = Vec::new();
    for (field, changed) in [
        ("first_name", first_name.is_some()),
        ("last_name", last_name.is_some()),
        ("email", email.is_some()),
        ("email_verified", email.is_some() && current.email_verified),
    ] {
        if changed {
            changed_fields.push(field.to_owned());
        }
    }
    if changed_fields.is_empty() {
        return Ok(current);
    }

    let updated: UserRow = sqlx::query_as!(
        UserRow,
        "UPDATE users.users SET first_name = COALESCE($2, first_name), \
         last_name = COALESCE($3, last_name), email = COALESCE($4, email), \
         email_verified = email_verified AND $4::text IS NULL, updated_at = now() \
         WHERE id = $1 RETURNING id, email, first_name, last_name, email_verified, created_at, updated_at, deleted_at",
        id,
        first_name.as_deref(),
        last_name.as_deref(),
        email.as_deref(),
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(store::write_error)?;
    events::user_updated(tx, actor, updated.to_pb(), changed_fields).await?;
    Ok(updated)
}
