//! What the role module applies from `pos.user.v1.events`: `UserLifecycleChanged` keeps
//! `roles.trashed_users` (trashed users are not active admins), and a purged user loses its
//! grants (`UserRolesChanged`).

use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::user::v1::UserLifecycleChanged;
use pos_platform::events::{Event, EventHandler, HandlerError, MalformedEvent};

use crate::events::{self, Actor};
use crate::store;

/// Applies `pos.user.v1.events`.
#[derive(Debug, Default)]
pub(crate) struct UserEvents;

impl EventHandler for UserEvents {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == UserLifecycleChanged::full_name() {
                user_lifecycle_changed(tx, &event.decode::<UserLifecycleChanged>()?).await
            } else {
                Ok(())
            }
        })
    }
}

async fn user_lifecycle_changed(
    tx: &mut PgConnection,
    event: &UserLifecycleChanged,
) -> Result<(), HandlerError> {
    let user_id = Uuid::parse_str(&event.user_id).map_err(|_| {
        HandlerError::Malformed(MalformedEvent::Payload {
            event_type: UserLifecycleChanged::full_name(),
            reason: "user_id is not a UUID".to_owned(),
        })
    })?;
    match LifecycleChange::try_from(event.change) {
        Ok(LifecycleChange::Trashed) => {
            sqlx::query!(
                "INSERT INTO roles.trashed_users (user_id) VALUES ($1) ON CONFLICT DO NOTHING",
                user_id,
            )
            .execute(&mut *tx)
            .await?;
        }
        Ok(LifecycleChange::Restored) => {
            forget_trashed(tx, user_id).await?;
        }
        Ok(LifecycleChange::Purged) => {
            forget_trashed(tx, user_id).await?;
            store::lock_user_grants(tx, user_id).await?;
            let dropped = sqlx::query!("DELETE FROM roles.grants WHERE user_id = $1", user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if dropped > 0 {
                events::user_roles_changed(tx, &Actor::default(), user_id).await?;
            }
        }
        Ok(LifecycleChange::Unspecified) | Err(_) => {}
    }
    Ok(())
}

async fn forget_trashed(tx: &mut PgConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM roles.trashed_users WHERE user_id = $1", user_id)
        .execute(tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The handler against a real, migrated database (no broker).

    use std::collections::BTreeMap;

    use chrono::Utc;
    use prost::Message as _;
    use sqlx::PgPool;

    use pos_api::pos::role::v1::UserRolesChanged;
    use pos_platform::testkit::TestDatabase;

    use super::*;
    use crate::catalogue::{ADMIN_ROLE_ID, MERCHANT_ROLE_ID};

    fn lifecycle(user_id: Uuid, change: LifecycleChange) -> Event {
        let message = UserLifecycleChanged {
            user_id: user_id.to_string(),
            change: change.into(),
            ..Default::default()
        };
        Event {
            id: Uuid::now_v7(),
            event_type: UserLifecycleChanged::full_name(),
            schema_version: 1,
            occurred_at: Utc::now(),
            producer: "user".to_owned(),
            key: user_id.to_string(),
            payload: message.encode_to_vec(),
            topic: "test".to_owned(),
            partition: 0,
            offset: 0,
            trace_context: BTreeMap::new(),
        }
    }

    async fn apply(pool: &PgPool, event: &Event) {
        let mut tx = pool.begin().await.unwrap();
        UserEvents.handle(&mut tx, event).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn grant(pool: &PgPool, user_id: Uuid, role_id: Uuid, merchant_id: Option<Uuid>) {
        sqlx::query!(
            "INSERT INTO roles.grants (user_id, role_id, merchant_id) VALUES ($1, $2, $3)",
            user_id,
            role_id,
            merchant_id,
        )
        .execute(pool)
        .await
        .unwrap();
    }

    async fn trashed(pool: &PgPool) -> Vec<Uuid> {
        sqlx::query_scalar!("SELECT user_id FROM roles.trashed_users")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn trashed_users_are_remembered_until_restored() {
        let db = TestDatabase::migrated().await.unwrap();
        let user = Uuid::now_v7();

        apply(&db.pool, &lifecycle(user, LifecycleChange::Trashed)).await;
        assert_eq!(trashed(&db.pool).await, [user]);
        apply(&db.pool, &lifecycle(user, LifecycleChange::Restored)).await;
        assert!(trashed(&db.pool).await.is_empty());
        db.drop_database().await.unwrap();
    }

    #[tokio::test]
    async fn a_purged_user_loses_its_grants_and_the_change_is_announced() {
        let db = TestDatabase::migrated().await.unwrap();
        let user = Uuid::now_v7();
        let other = Uuid::now_v7();
        grant(&db.pool, user, MERCHANT_ROLE_ID, Some(Uuid::now_v7())).await;
        grant(&db.pool, other, ADMIN_ROLE_ID, None).await;
        apply(&db.pool, &lifecycle(user, LifecycleChange::Trashed)).await;

        apply(&db.pool, &lifecycle(user, LifecycleChange::Purged)).await;

        let mut conn = db.pool.acquire().await.unwrap();
        assert!(store::user_grants(&mut conn, user).await.unwrap().is_empty());
        assert_eq!(store::user_grants(&mut conn, other).await.unwrap().len(), 1);
        assert!(trashed(&db.pool).await.is_empty());
        let announced: Vec<Vec<u8>> = sqlx::query_scalar!(
            "SELECT payload FROM roles.outbox WHERE event_type = $1 AND aggregate_id = $2",
            UserRolesChanged::full_name(),
            user.to_string(),
        )
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert_eq!(announced.len(), 1);
        let announced = UserRolesChanged::decode(announced[0].as_slice()).unwrap();
        assert!(announced.grants.is_empty() && announced.merchant_id.is_empty());
        drop(conn);
        db.drop_database().await.unwrap();
    }

    #[tokio::test]
    async fn purging_a_user_without_grants_announces_nothing() {
        let db = TestDatabase::migrated().await.unwrap();

        apply(&db.pool, &lifecycle(Uuid::now_v7(), LifecycleChange::Purged)).await;

        let count: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM roles.outbox"#)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(count, 0);
        db.drop_database().await.unwrap();
    }
}
