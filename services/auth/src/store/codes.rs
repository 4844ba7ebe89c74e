//! `auth.verification_codes`: the one live email verification code of a user.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::secrets;

/// How long a verification code works.
pub(crate) const LIFETIME: Duration = Duration::minutes(15);
/// Wrong attempts that burn a code.
pub(crate) const MAX_ATTEMPTS: i32 = 5;

/// A code just issued, to mail (never logged).
#[derive(Debug)]
pub(crate) struct IssuedCode {
    /// The code in clear.
    pub(crate) code: String,
    /// When it stops working.
    pub(crate) expires_at: DateTime<Utc>,
}

/// Issues a new code for `user_id`, replacing (and so invalidating) the previous one.
pub(crate) async fn issue(conn: &mut PgConnection, user_id: Uuid) -> Result<IssuedCode, sqlx::Error> {
    let code = secrets::new_code();
    let expires_at = Utc::now() + LIFETIME;
    sqlx::query!(
        "INSERT INTO auth.verification_codes (user_id, code_hash, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at, \
         attempts = 0, used_at = NULL, created_at = now()",
        user_id,
        &secrets::code_hash(user_id, &code),
        expires_at,
    )
    .execute(conn)
    .await?;
    Ok(IssuedCode { code, expires_at })
}

/// What checking a code found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodeCheck {
    /// The code matched and is now used.
    Accepted,
    /// Wrong code (the attempt was counted), or no live code: expired, used or burnt.
    Rejected,
}

/// The stored state of a code.
struct LiveCode {
    code_hash: Vec<u8>,
    expires_at: DateTime<Utc>,
    attempts: i32,
    used_at: Option<DateTime<Utc>>,
}

/// Checks `code` against the live code of `user_id` and consumes it when it matches; a wrong code
/// counts an attempt, and the fifth wrong attempt burns the code. Locks the code row.
pub(crate) async fn check(
    conn: &mut PgConnection,
    user_id: Uuid,
    code: &str,
) -> Result<CodeCheck, sqlx::Error> {
    let row: Option<LiveCode> = sqlx::query_as!(
        LiveCode,
        "SELECT code_hash, expires_at, attempts, used_at FROM auth.verification_codes \
         WHERE user_id = $1 FOR UPDATE",
        user_id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(LiveCode {
        code_hash: stored,
        expires_at,
        attempts,
        used_at,
    }) = row
    else {
        return Ok(CodeCheck::Rejected);
    };
    if used_at.is_some() || expires_at <= Utc::now() || attempts >= MAX_ATTEMPTS {
        return Ok(CodeCheck::Rejected);
    }
    if stored != secrets::code_hash(user_id, code) {
        sqlx::query!(
            "UPDATE auth.verification_codes SET attempts = attempts + 1 WHERE user_id = $1",
            user_id,
        )
        .execute(&mut *conn)
        .await?;
        return Ok(CodeCheck::Rejected);
    }
    sqlx::query!(
        "UPDATE auth.verification_codes SET used_at = now() WHERE user_id = $1",
        user_id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(CodeCheck::Accepted)
}

/// Drops the code of `user_id` (its email was verified another way or changed).
pub(crate) async fn discard(conn: &mut PgConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM auth.verification_codes WHERE user_id = $1", user_id)
        .execute(conn)
        .await?;
    Ok(())
}
