//! `auth.password_reset_tokens`: single-use links that set a password (forgotten password, or
//! the invitation of a user created without one).

use chrono::{DateTime, Duration, Utc};
use pos_api::pos::auth::v1::PasswordResetPurpose;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::secrets;

/// Why a token exists, and so how long it works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// ForgotPassword: 30 minutes.
    ForgotPassword,
    /// A user created without a password: 72 hours.
    Invitation,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::ForgotPassword => "forgot_password",
            Purpose::Invitation => "invitation",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            Purpose::ForgotPassword => Duration::minutes(30),
            Purpose::Invitation => Duration::hours(72),
        }
    }

    /// The purpose as events carry it.
    pub(crate) fn to_pb(self) -> PasswordResetPurpose {
        match self {
            Purpose::ForgotPassword => PasswordResetPurpose::ForgotPassword,
            Purpose::Invitation => PasswordResetPurpose::Invitation,
        }
    }
}

/// A token just issued, to mail (never logged).
#[derive(Debug)]
pub(crate) struct IssuedToken {
    /// The token in clear.
    pub(crate) token: String,
    /// When it stops working.
    pub(crate) expires_at: DateTime<Utc>,
}

/// Issues a token for `user_id`; the user's unused tokens stop working.
pub(crate) async fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
) -> Result<IssuedToken, sqlx::Error> {
    discard_unused(conn, user_id).await?;
    let token = secrets::new_token();
    let expires_at = Utc::now() + purpose.lifetime();
    sqlx::query!(
        "INSERT INTO auth.password_reset_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)",
        &secrets::token_hash(&token),
        user_id,
        purpose.as_str(),
        expires_at,
    )
    .execute(conn)
    .await?;
    Ok(IssuedToken { token, expires_at })
}

/// Uses the token `token` once: the user it belongs to, when it exists, is unused and unexpired.
pub(crate) async fn consume(conn: &mut PgConnection, token: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE auth.password_reset_tokens SET used_at = now() \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id",
        &secrets::token_hash(token),
    )
    .fetch_optional(conn)
    .await
}

/// Deletes the unused tokens of `user_id`.
pub(crate) async fn discard_unused(conn: &mut PgConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM auth.password_reset_tokens WHERE user_id = $1 AND used_at IS NULL",
        user_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}
