//! `auth.credentials`: who can sign in, with which email and password.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A row of `auth.credentials`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct Credential {
    /// The user (same id as in the user module).
    pub(crate) user_id: Uuid,
    /// The email, trimmed, as entered.
    pub(crate) email: String,
    /// The email's comparison key.
    pub(crate) email_key: String,
    /// Given name.
    pub(crate) first_name: String,
    /// argon2id PHC string; `None` for an invited user who has not chosen a password yet.
    pub(crate) password_hash: Option<String>,
    /// When the email was verified.
    pub(crate) email_verified_at: Option<DateTime<Utc>>,
    /// When the user was trashed.
    pub(crate) disabled_at: Option<DateTime<Utc>>,
}

impl Credential {
    /// Whether the user may sign in at all (not trashed).
    pub(crate) fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }

    /// Whether the email is verified.
    pub(crate) fn is_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

const COLUMNS: &str = "user_id, email, email_key, first_name, password_hash, email_verified_at, disabled_at";

/// The credential with comparison key `email_key`; `lock` takes a row lock until the end of the
/// transaction.
pub(crate) async fn by_email_key(
    conn: &mut PgConnection,
    email_key: &str,
    lock: bool,
) -> Result<Option<Credential>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM auth.credentials WHERE email_key = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(email_key)
        .fetch_optional(conn)
        .await
}

/// The credential of `user_id`; `lock` takes a row lock until the end of the transaction.
pub(crate) async fn by_user_id(
    conn: &mut PgConnection,
    user_id: Uuid,
    lock: bool,
) -> Result<Option<Credential>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM auth.credentials WHERE user_id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// A credential to create.
#[derive(Debug)]
pub(crate) struct NewCredential<'a> {
    /// The user.
    pub(crate) user_id: Uuid,
    /// The email, trimmed.
    pub(crate) email: &'a str,
    /// Its comparison key.
    pub(crate) email_key: &'a str,
    /// Given name.
    pub(crate) first_name: &'a str,
    /// Family name.
    pub(crate) last_name: &'a str,
    /// argon2id hash, `None` for an invitation.
    pub(crate) password_hash: Option<&'a str>,
    /// Whether the email counts as verified from the start.
    pub(crate) verified: bool,
}

/// Inserts `credential`; false (nothing written) when its user id or email is taken.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    credential: &NewCredential<'_>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO auth.credentials \
         (user_id, email, email_key, first_name, last_name, password_hash, email_verified_at) \
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END) \
         ON CONFLICT DO NOTHING",
        credential.user_id,
        credential.email,
        credential.email_key,
        credential.first_name,
        credential.last_name,
        credential.password_hash,
        credential.verified,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Sets the password hash (and the names) of an unverified registration that is registered again.
pub(crate) async fn replace_registration(
    conn: &mut PgConnection,
    user_id: Uuid,
    password_hash: &str,
    first_name: &str,
    last_name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE auth.credentials SET password_hash = $2, first_name = $3, last_name = $4, updated_at = now() \
         WHERE user_id = $1",
        user_id,
        password_hash,
        first_name,
        last_name,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the email of `user_id` verified; true when it was not verified before.
pub(crate) async fn mark_verified(conn: &mut PgConnection, user_id: Uuid) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query!(
        "UPDATE auth.credentials SET email_verified_at = now(), updated_at = now() \
         WHERE user_id = $1 AND email_verified_at IS NULL",
        user_id,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Replaces the password hash of `user_id`, only while the stored hash is still `expected` (so
/// two concurrent changes cannot both win); true when it changed.
pub(crate) async fn set_password(
    conn: &mut PgConnection,
    user_id: Uuid,
    expected: Option<&str>,
    password_hash: &str,
) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query!(
        "UPDATE auth.credentials SET password_hash = $3, updated_at = now() \
         WHERE user_id = $1 AND password_hash IS NOT DISTINCT FROM $2",
        user_id,
        expected,
        password_hash,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Records a DuplicateRegistrationAttempted for `user_id` unless one went out within the hour;
/// true when this one may go.
pub(crate) async fn claim_duplicate_alert(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query!(
        "UPDATE auth.credentials SET duplicate_alert_at = now() \
         WHERE user_id = $1 AND (duplicate_alert_at IS NULL OR duplicate_alert_at <= now() - interval '1 hour')",
        user_id,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(claimed == 1)
}
