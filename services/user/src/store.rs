//! The `users.users` table: the row type, its wire form and the queries more than one handler
//! uses.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::user::v1 as pb;

use crate::error::UserError;
use pos_platform::db::unique_violation;

/// Name of the case-insensitive unique index on emails.
const EMAIL_KEY: &str = "users_email_key";

/// One user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UserRow {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) email_verified: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

impl UserRow {
    /// The user as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::User {
        pb::User {
            id: self.id.to_string(),
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email_verified: self.email_verified,
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            delete_time: self.deleted_at.map(timestamp),
        }
    }

    /// The name shown to others, e.g. in an invitation.
    pub(crate) fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

/// A protobuf timestamp of `time`.
pub(crate) fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// Parses the id in request field `field`.
pub(crate) fn parse_id(field: &str, value: &str) -> Result<Uuid, UserError> {
    if value.is_empty() {
        return Err(UserError::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| UserError::invalid(field, "must be a UUID"))
}

/// The user with `id`, trashed or not.
pub(crate) async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        "SELECT id, email, first_name, last_name, email_verified, created_at, updated_at, deleted_at \
         FROM users.users WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// The user with `id`, locked until the transaction ends; `NOT_FOUND` when there is none.
pub(crate) async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<UserRow, UserError> {
    sqlx::query_as!(
        UserRow,
        "SELECT id, email, first_name, last_name, email_verified, created_at, updated_at, deleted_at \
         FROM users.users WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| UserError::NotFound(id.to_string()))
}

/// Whether a user other than `except` has `email` (case-insensitively), trashed ones included.
pub(crate) async fn email_taken(
    conn: &mut PgConnection,
    email: &str,
    except: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users.users WHERE lower(email) = lower($1)
           AND id IS DISTINCT FROM $2) AS "exists!""#,
        email,
        except,
    )
    .fetch_one(conn)
    .await
}

/// Maps a write's error: a duplicate email (a concurrent writer won the race) is
/// `EMAIL_ALREADY_REGISTERED`.
pub(crate) fn write_error(error: sqlx::Error) -> UserError {
    if unique_violation(&error) == Some(EMAIL_KEY) {
        UserError::EmailTaken
    } else {
        UserError::Database(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_shows_every_field_and_no_delete_time_while_active() {
        let now = Utc::now();
        let row = UserRow {
            id: Uuid::now_v7(),
            email: "Ana@Example.com".into(),
            first_name: "Ana".into(),
            last_name: String::new(),
            email_verified: true,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let user = row.to_pb();
        assert_eq!(user.id, row.id.to_string());
        assert_eq!(user.email, "Ana@Example.com");
        assert!(user.email_verified);
        assert_eq!(user.create_time, Some(timestamp(now)));
        assert_eq!(user.delete_time, None);
        assert_eq!(row.full_name(), "Ana");
    }

    #[test]
    fn ids_must_be_present_and_uuids() {
        assert!(matches!(
            parse_id("user_id", ""),
            Err(UserError::InvalidField { .. })
        ));
        assert!(matches!(
            parse_id("user_id", "42"),
            Err(UserError::InvalidField { .. })
        ));
        let id = Uuid::now_v7();
        assert_eq!(parse_id("user_id", &id.to_string()).unwrap(), id);
    }
}
