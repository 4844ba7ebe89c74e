//! What the user module applies from other modules' events:
//! - `pos.auth.v1.events`: `UserRegistered` creates the profile of a person who signed up,
//!   `EmailVerified` marks its email verified;
//! - `pos.role.v1.events`: `UserRolesChanged` keeps `users.admin_holders`, the users holding
//!   `admin`, for the last-admin rule of DeleteUser.
//!
//! The auth topic is sensitive (it carries one-time codes): nothing of its payloads is logged.

use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::auth::v1::{EmailVerified, UserRegistered};
use pos_api::pos::role::v1::UserRolesChanged;
use pos_api::pos::user::v1 as pb;
use pos_platform::events::{Event, EventHandler, HandlerError, MalformedEvent};

use crate::events::{self, Actor};
use crate::lifecycle::ADMIN_ROLE;
use crate::store::UserRow;

/// Applies `pos.auth.v1.events`.
#[derive(Debug, Default)]
pub(crate) struct AuthEvents;

impl EventHandler for AuthEvents {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == UserRegistered::full_name() {
                user_registered(tx, &event.decode::<UserRegistered>()?).await
            } else if event.event_type == EmailVerified::full_name() {
                email_verified(tx, &event.decode::<EmailVerified>()?).await
            } else {
                Ok(())
            }
        })
    }
}

/// Applies `pos.role.v1.events`.
#[derive(Debug, Default)]
pub(crate) struct RoleEvents;

impl EventHandler for RoleEvents {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == UserRolesChanged::full_name() {
                user_roles_changed(tx, &event.decode::<UserRolesChanged>()?).await
            } else {
                Ok(())
            }
        })
    }
}

fn user_id(value: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(value).map_err(|_| {
        HandlerError::Malformed(MalformedEvent::Payload {
            event_type: "user event".to_owned(),
            reason: "user_id is not a UUID".to_owned(),
        })
    })
}

/// Creates the profile (once: a redelivered or replayed event changes nothing) and publishes
/// `UserCreated` with source REGISTRATION.
async fn user_registered(tx: &mut PgConnection, event: &UserRegistered) -> Result<(), HandlerError> {
    let id = user_id(&event.user_id)?;
    let created: Option<UserRow> = sqlx::query_as!(
        UserRow,
        "INSERT INTO users.users (id, email, first_name, last_name) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING RETURNING \
         id, email, first_name, last_name, email_verified, created_at, updated_at, deleted_at",
        id,
        event.email.trim(),
        event.first_name.trim(),
        event.last_name.trim(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(created) = created else {
        let exists: bool = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM users.users WHERE id = $1) AS "exists!""#,
            id,
        )
        .fetch_one(&mut *tx)
        .await?;
        if !exists {
            tracing::error!(user_id = %id, "a registered user's email belongs to another profile; no profile created");
        }
        return Ok(());
    };
    let actor = Actor {
        user_id: Some(id),
        request_id: String::new(),
    };
    events::user_created(tx, &actor, created.to_pb(), pb::UserSource::Registration).await?;
    Ok(())
}

/// Marks the email verified (when it is still the user's email) and publishes `UserUpdated`.
async fn email_verified(tx: &mut PgConnection, event: &EmailVerified) -> Result<(), HandlerError> {
    let id = user_id(&event.user_id)?;
    let updated: Option<UserRow> = sqlx::query_as!(
        UserRow,
        "UPDATE users.users SET email_verified = true, updated_at = now() \
         WHERE id = $1 AND lower(email) = lower($2) AND NOT email_verified RETURNING \
         id, email, first_name, last_name, email_verified, created_at, updated_at, deleted_at",
        id,
        event.email.trim(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(updated) = updated {
        let actor = Actor {
            user_id: Some(id),
            request_id: String::new(),
        };
        events::user_updated(tx, &actor, updated.to_pb(), vec!["email_verified".to_owned()]).await?;
    }
    Ok(())
}

/// Records whether the user now holds the active, platform-wide built-in `admin` role.
async fn user_roles_changed(tx: &mut PgConnection, event: &UserRolesChanged) -> Result<(), HandlerError> {
    let id = user_id(&event.user_id)?;
    let holds_admin = event.grants.iter().any(|grant| {
        grant.merchant_id.is_empty()
            && grant
                .role
                .as_ref()
                .is_some_and(|role| role.built_in && role.name == ADMIN_ROLE && role.delete_time.is_none())
    });
    if holds_admin {
        sqlx::query!(
            "INSERT INTO users.admin_holders (user_id) VALUES ($1) \
             ON CONFLICT (user_id) DO UPDATE SET updated_at = now()",
            id,
        )
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query!("DELETE FROM users.admin_holders WHERE user_id = $1", id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The handlers against a real, migrated database (no broker): what each event changes and
    //! publishes, and that a replay changes nothing more.

    use std::collections::BTreeMap;

    use chrono::Utc;
    use prost::Message as _;
    use sqlx::PgPool;

    use pos_api::pos::role::v1::{Role, RoleGrant};
    use pos_platform::testkit::TestDatabase;

    use super::*;

    fn event<M: prost::Message + prost::Name>(message: &M, key: &str) -> Event {
        Event {
            id: Uuid::now_v7(),
            event_type: M::full_name(),
            schema_version: 1,
            occurred_at: Utc::now(),
            producer: "test".to_owned(),
            key: key.to_owned(),
            payload: message.encode_to_vec(),
            topic: "test".to_owned(),
            partition: 0,
            offset: 0,
            trace_context: BTreeMap::new(),
        }
    }

    async fn apply(handler: &dyn EventHandler, pool: &PgPool, event: &Event) {
        let mut tx = pool.begin().await.unwrap();
        handler.handle(&mut tx, event).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn outbox(pool: &PgPool, event_type: &str) -> Vec<Vec<u8>> {
        sqlx::query_scalar!(
            "SELECT payload FROM users.outbox WHERE event_type = $1 ORDER BY id",
            event_type,
        )
        .fetch_all(pool)
        .await
        .unwrap()
    }

    fn registered(id: Uuid, email: &str) -> UserRegistered {
        UserRegistered {
            user_id: id.to_string(),
            email: email.to_owned(),
            first_name: "Ivy".to_owned(),
            last_name: "Reg".to_owned(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn a_sign_up_creates_the_profile_once_and_announces_it() {
        let db = TestDatabase::migrated().await.unwrap();
        let id = Uuid::now_v7();
        let signed_up = event(&registered(id, "ivy@example.com"), &id.to_string());

        apply(&AuthEvents, &db.pool, &signed_up).await;
        apply(&AuthEvents, &db.pool, &signed_up).await;

        let mut conn = db.pool.acquire().await.unwrap();
        let user = crate::store::find(&mut conn, id)
            .await
            .unwrap()
            .expect("the profile");
        assert_eq!(
            (user.email.as_str(), user.email_verified),
            ("ivy@example.com", false)
        );
        let created = outbox(&db.pool, &pb::UserCreated::full_name()).await;
        assert_eq!(created.len(), 1, "a replay creates nothing");
        let created = pb::UserCreated::decode(created[0].as_slice()).unwrap();
        assert_eq!(created.source(), pb::UserSource::Registration);
        assert_eq!(created.user.unwrap().id, id.to_string());
        drop(conn);
        db.drop_database().await.unwrap();
    }

    #[tokio::test]
    async fn a_sign_up_with_an_email_another_profile_has_creates_nothing() {
        let db = TestDatabase::migrated().await.unwrap();
        let first = Uuid::now_v7();
        let second = Uuid::now_v7();
        apply(
            &AuthEvents,
            &db.pool,
            &event(&registered(first, "a@example.com"), "k"),
        )
        .await;

        apply(
            &AuthEvents,
            &db.pool,
            &event(&registered(second, "A@EXAMPLE.com"), "k"),
        )
        .await;

        let mut conn = db.pool.acquire().await.unwrap();
        assert!(crate::store::find(&mut conn, second).await.unwrap().is_none());
        drop(conn);
        db.drop_database().await.unwrap();
    }

    #[tokio::test]
    async fn a_verified_email_marks_the_profile_verified_and_announces_the_change() {
        let db = TestDatabase::migrated().await.unwrap();
        let id = Uuid::now_v7();
        apply(
            &AuthEvents,
            &db.pool,
            &event(&registered(id, "ivy@example.com"), "k"),
        )
        .await;
        let verified = EmailVerified {
            user_id: id.to_string(),
            email: "IVY@example.com".to_owned(),
            ..Default::default()
        };

        apply(&AuthEvents, &db.pool, &event(&verified, "k")).await;

        let mut conn = db.pool.acquire().await.unwrap();
        assert!(
            crate::store::find(&mut conn, id)
                .await
                .unwrap()
                .unwrap()
                .email_verified
        );
        let updated = outbox(&db.pool, &pb::UserUpdated::full_name()).await;
        let updated = pb::UserUpdated::decode(updated[0].as_slice()).unwrap();
        assert_eq!(updated.changed_fields, ["email_verified"]);
        drop(conn);
        db.drop_database().await.unwrap();
    }

    #[tokio::test]
    async fn a_verification_of_an_email_the_user_no_longer_has_changes_nothing() {
        let db = TestDatabase::migrated().await.unwrap();
        let id = Uuid::now_v7();
        apply(
            &AuthEvents,
            &db.pool,
            &event(&registered(id, "new@example.com"), "k"),
        )
        .await;
        let stale = EmailVerified {
            user_id: id.to_string(),
            email: "old@example.com".to_owned(),
            ..Default::default()
        };

        apply(&AuthEvents, &db.pool, &event(&stale, "k")).await;

        let mut conn = db.pool.acquire().await.unwrap();
        assert!(
            !crate::store::find(&mut conn, id)
                .await
                .unwrap()
                .unwrap()
                .email_verified
        );
        assert!(outbox(&db.pool, &pb::UserUpdated::full_name()).await.is_empty());
        drop(conn);
        db.drop_database().await.unwrap();
    }

    fn roles_changed(id: Uuid, role: &str, merchant_id: &str) -> UserRolesChanged {
        UserRolesChanged {
            user_id: id.to_string(),
            grants: vec![RoleGrant {
                user_id: id.to_string(),
                role: Some(Role {
                    name: role.to_owned(),
                    built_in: true,
                    ..Default::default()
                }),
                merchant_id: merchant_id.to_owned(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    async fn admin_holders(pool: &PgPool) -> Vec<Uuid> {
        sqlx::query_scalar!("SELECT user_id FROM users.admin_holders ORDER BY user_id")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_holders_of_admin_follow_the_role_modules_announcements() {
        let db = TestDatabase::migrated().await.unwrap();
        let admin = Uuid::now_v7();
        let owner = Uuid::now_v7();

        apply(
            &RoleEvents,
            &db.pool,
            &event(&roles_changed(admin, "admin", ""), "k"),
        )
        .await;
        apply(
            &RoleEvents,
            &db.pool,
            &event(&roles_changed(owner, "merchant", "m"), "k"),
        )
        .await;
        assert_eq!(admin_holders(&db.pool).await, [admin]);

        let revoked = UserRolesChanged {
            user_id: admin.to_string(),
            ..Default::default()
        };
        apply(&RoleEvents, &db.pool, &event(&revoked, "k")).await;
        assert!(admin_holders(&db.pool).await.is_empty());
        db.drop_database().await.unwrap();
    }
}
