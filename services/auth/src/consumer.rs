//! What the auth module applies from the user module's events (`pos.user.v1.events`):
//!
//! - UserUpdated: names are copied; an email change moves the credential to the new address,
//!   marks it unverified, revokes every session and mails a code to the new address.
//! - UserLifecycleChanged: TRASHED disables the credential and revokes every session; RESTORED
//!   enables it again; PURGED deletes the user's rows.
//!
//! Handlers run in the consumer's inbox transaction (a redelivered event changes nothing); the
//! revoked sessions reach the access layer's deny-list in the after-apply hook, once committed.

use std::sync::Arc;

use chrono::Duration;
use futures::future::BoxFuture;
use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::user::v1::{UserLifecycleChanged, UserUpdated};
use pos_platform::ModuleContext;
use pos_platform::access::revocation::revoke_sessions;
use pos_platform::events::{AfterApply, Event, EventHandler, HandlerError, MalformedEvent};
use pos_platform::module::Subscription;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::email::{email_display, email_key};
use crate::register::issue_code_to;
use crate::store::credentials;
use crate::store::sessions::{self, RevokeReason, Which};
use crate::throttle;

/// The subscription to the user module's events.
pub(crate) fn user_events(ctx: &ModuleContext) -> Subscription {
    let mut subscription = Subscription::new(
        pos_platform::events::topics::events_topic(pos_api::Module::User),
        Arc::new(UserEvents),
    );
    subscription.after_apply = Some(deny_list_hook(ctx));
    subscription
}

/// Applies the user module's events to credentials and sessions.
struct UserEvents;

impl EventHandler for UserEvents {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == UserUpdated::full_name() {
                let updated = event.decode::<UserUpdated>()?;
                apply_update(tx, &updated).await
            } else if event.event_type == UserLifecycleChanged::full_name() {
                let changed = event.decode::<UserLifecycleChanged>()?;
                apply_lifecycle(tx, &changed).await
            } else {
                Ok(())
            }
        })
    }
}

/// The user an event names.
fn user_id_of(id: &str, event_type: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(id).map_err(|_| {
        HandlerError::Malformed(MalformedEvent::Payload {
            event_type: event_type.to_owned(),
            reason: format!("user id `{id}` is not a UUID"),
        })
    })
}

async fn apply_update(tx: &mut PgConnection, updated: &UserUpdated) -> Result<(), HandlerError> {
    let Some(user) = updated.user.as_ref() else {
        return Ok(());
    };
    let user_id = user_id_of(&user.id, &UserUpdated::full_name())?;
    let Some(credential) = credentials::by_user_id(tx, user_id, true).await? else {
        return Ok(());
    };
    if !user.first_name.trim().is_empty() {
        sqlx::query!(
            "UPDATE auth.credentials SET first_name = $2, last_name = $3, updated_at = now() \
             WHERE user_id = $1 AND (first_name, last_name) IS DISTINCT FROM ($2, $3)",
            user_id,
            user.first_name.trim(),
            user.last_name.trim(),
        )
        .execute(&mut *tx)
        .await?;
    }
    let new_key = email_key(&user.email);
    let email_changed = updated.changed_fields.iter().any(|field| field == "email");
    if !email_changed || new_key.is_empty() || new_key == credential.email_key {
        return Ok(());
    }
    let taken: Option<Uuid> = sqlx::query_scalar!(
        "SELECT user_id FROM auth.credentials WHERE email_key = $1",
        &new_key,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if taken.is_some() {
        // The user module keeps emails unique; a clash means the two modules disagree. Keep the
        // old sign-in email rather than stop the consumer on this event.
        tracing::error!(%user_id, "an email change names an email another credential holds; sign-in keeps the old email");
        return Ok(());
    }
    let email = email_display(&user.email);
    sqlx::query!(
        "UPDATE auth.credentials SET email = $2, email_key = $3, email_verified_at = NULL, updated_at = now() \
         WHERE user_id = $1",
        user_id,
        &email,
        &new_key,
    )
    .execute(&mut *tx)
    .await?;
    sessions::revoke(
        tx,
        user_id,
        Which::AllBut(None),
        RevokeReason::AccountChanged,
        None,
    )
    .await?;
    let first_name = if user.first_name.trim().is_empty() {
        credential.first_name.clone()
    } else {
        user.first_name.trim().to_owned()
    };
    issue_code_to(tx, user_id, &email, &first_name).await?;
    Ok(())
}

async fn apply_lifecycle(tx: &mut PgConnection, changed: &UserLifecycleChanged) -> Result<(), HandlerError> {
    let user_id = user_id_of(&changed.user_id, &UserLifecycleChanged::full_name())?;
    match changed.change() {
        LifecycleChange::Trashed => {
            sqlx::query!(
                "UPDATE auth.credentials SET disabled_at = now(), updated_at = now() \
                 WHERE user_id = $1 AND disabled_at IS NULL",
                user_id,
            )
            .execute(&mut *tx)
            .await?;
            sessions::revoke(
                tx,
                user_id,
                Which::AllBut(None),
                RevokeReason::AccountChanged,
                None,
            )
            .await?;
        }
        LifecycleChange::Restored => {
            sqlx::query!(
                "UPDATE auth.credentials SET disabled_at = NULL, updated_at = now() \
                 WHERE user_id = $1 AND disabled_at IS NOT NULL",
                user_id,
            )
            .execute(&mut *tx)
            .await?;
        }
        LifecycleChange::Purged => {
            // Sessions, tokens and codes go with the credential (ON DELETE CASCADE).
            sessions::revoke(
                tx,
                user_id,
                Which::AllBut(None),
                RevokeReason::AccountChanged,
                None,
            )
            .await?;
            sqlx::query!("DELETE FROM auth.credentials WHERE user_id = $1", user_id)
                .execute(&mut *tx)
                .await?;
        }
        LifecycleChange::Unspecified => {}
    }
    Ok(())
}

/// After an event committed: lists the sessions it revoked in the access layer's deny-list.
/// Re-listing on a redelivery is harmless.
fn deny_list_hook(ctx: &ModuleContext) -> AfterApply {
    let db = ctx.db.clone();
    let redis = ctx.redis.clone();
    Arc::new(move |event: &Event| {
        let db = db.clone();
        let redis = redis.clone();
        let user_id = if event.event_type == UserUpdated::full_name() {
            event
                .decode::<UserUpdated>()
                .ok()
                .filter(|updated| updated.changed_fields.iter().any(|field| field == "email"))
                .and_then(|updated| updated.user)
                .map(|user| user.id)
        } else if event.event_type == UserLifecycleChanged::full_name() {
            event
                .decode::<UserLifecycleChanged>()
                .ok()
                .filter(|changed| changed.change() == LifecycleChange::Trashed)
                .map(|changed| changed.user_id)
        } else {
            None
        };
        let user_id = user_id.and_then(|id| Uuid::parse_str(&id).ok());
        Box::pin(async move {
            let Some(user_id) = user_id else { return };
            let revoked = match db.acquire().await {
                Ok(mut conn) => sessions::recently_revoked(&mut conn, user_id, Duration::minutes(15)).await,
                Err(error) => Err(error),
            };
            match revoked {
                Ok(revoked) => throttle::deny_list(revoke_sessions(&redis, &revoked)).await,
                Err(error) => {
                    tracing::warn!(%user_id, %error, "reading revoked sessions for the deny-list failed")
                }
            }
        })
    })
}
