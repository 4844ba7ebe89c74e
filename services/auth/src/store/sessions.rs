//! `auth.sessions` and `auth.refresh_tokens`: sessions started by Login and the family of refresh
//! tokens each one has issued.

use chrono::{DateTime, Duration, Utc};
use pos_api::pos::auth::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::client::ClientInfo;
use crate::events;
use crate::secrets;

/// Longest a session lives, from its Login.
pub(crate) const ABSOLUTE_LIFETIME: Duration = Duration::days(30);
/// Longest a refresh token lives.
pub(crate) const REFRESH_LIFETIME: Duration = Duration::days(7);

/// Why sessions end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RevokeReason {
    /// Logout.
    Logout,
    /// LogoutAllSessions.
    LogoutAll,
    /// ChangePassword (the session that changed it stays).
    PasswordChanged,
    /// ResetPassword.
    PasswordReset,
    /// A rotated refresh token was presented again.
    RefreshTokenReused,
    /// The user was trashed or purged, or its email changed.
    AccountChanged,
}

impl RevokeReason {
    fn as_str(self) -> &'static str {
        match self {
            RevokeReason::Logout => "logout",
            RevokeReason::LogoutAll => "logout_all",
            RevokeReason::PasswordChanged => "password_changed",
            RevokeReason::PasswordReset => "password_reset",
            RevokeReason::RefreshTokenReused => "refresh_token_reused",
            RevokeReason::AccountChanged => "account_changed",
        }
    }

    fn to_pb(self) -> pb::SessionRevokeReason {
        match self {
            RevokeReason::Logout => pb::SessionRevokeReason::Logout,
            RevokeReason::LogoutAll => pb::SessionRevokeReason::LogoutAll,
            RevokeReason::PasswordChanged => pb::SessionRevokeReason::PasswordChanged,
            RevokeReason::PasswordReset => pb::SessionRevokeReason::PasswordReset,
            RevokeReason::RefreshTokenReused => pb::SessionRevokeReason::RefreshTokenReused,
            RevokeReason::AccountChanged => pb::SessionRevokeReason::AccountChanged,
        }
    }
}

/// A session just started.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NewSession {
    /// Its id (the `sid` claim).
    pub(crate) id: Uuid,
    /// When it ends whatever happens.
    pub(crate) absolute_expires_at: DateTime<Utc>,
}

/// Starts a session of `user_id`.
pub(crate) async fn create(
    conn: &mut PgConnection,
    user_id: Uuid,
    client: &ClientInfo,
) -> Result<NewSession, sqlx::Error> {
    let id = Uuid::now_v7();
    let absolute_expires_at = Utc::now() + ABSOLUTE_LIFETIME;
    sqlx::query!(
        "INSERT INTO auth.sessions (id, user_id, absolute_expires_at, client_ip, user_agent) VALUES ($1, $2, $3, $4, $5)",
        id,
        user_id,
        absolute_expires_at,
        &client.ip,
        &client.user_agent,
    )
    .execute(conn)
    .await?;
    Ok(NewSession {
        id,
        absolute_expires_at,
    })
}

/// A refresh token just issued (never logged).
#[derive(Debug)]
pub(crate) struct IssuedRefreshToken {
    /// The token in clear.
    pub(crate) token: String,
    /// When it stops working: 7 days, never past the session's end.
    pub(crate) expires_at: DateTime<Utc>,
}

/// Issues a refresh token of `session`.
pub(crate) async fn issue_refresh_token(
    conn: &mut PgConnection,
    session_id: Uuid,
    absolute_expires_at: DateTime<Utc>,
) -> Result<IssuedRefreshToken, sqlx::Error> {
    let token = secrets::new_token();
    let expires_at = (Utc::now() + REFRESH_LIFETIME).min(absolute_expires_at);
    sqlx::query!(
        "INSERT INTO auth.refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)",
        &secrets::token_hash(&token),
        session_id,
        expires_at,
    )
    .execute(conn)
    .await?;
    Ok(IssuedRefreshToken { token, expires_at })
}

/// A refresh token with its session, as RefreshSession and Logout see it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct PresentedToken {
    /// The session.
    pub(crate) session_id: Uuid,
    /// Its user.
    pub(crate) user_id: Uuid,
    /// When the token expires.
    pub(crate) expires_at: DateTime<Utc>,
    /// When it was exchanged for a new one.
    pub(crate) rotated_at: Option<DateTime<Utc>>,
    /// When the session ends whatever happens.
    pub(crate) absolute_expires_at: DateTime<Utc>,
    /// When the session was revoked.
    pub(crate) revoked_at: Option<DateTime<Utc>>,
}

impl PresentedToken {
    /// Whether the token can be exchanged now (ignoring rotation).
    pub(crate) fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now && self.absolute_expires_at > now
    }
}

/// The refresh token whose hash is `token_hash`, with its session; `lock` locks both rows.
pub(crate) async fn presented(
    conn: &mut PgConnection,
    token_hash: &[u8],
    lock: bool,
) -> Result<Option<PresentedToken>, sqlx::Error> {
    let sql = format!(
        "SELECT t.session_id, s.user_id, t.expires_at, t.rotated_at, s.absolute_expires_at, s.revoked_at \
         FROM auth.refresh_tokens t JOIN auth.sessions s ON s.id = t.session_id \
         WHERE t.token_hash = $1{}",
        if lock { " FOR UPDATE OF t, s" } else { "" }
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .fetch_optional(conn)
        .await
}

/// Marks the refresh token `token_hash` used; false when it already was (a concurrent rotation).
pub(crate) async fn rotate(conn: &mut PgConnection, token_hash: &[u8]) -> Result<bool, sqlx::Error> {
    let rotated = sqlx::query!(
        "UPDATE auth.refresh_tokens SET rotated_at = now() WHERE token_hash = $1 AND rotated_at IS NULL",
        token_hash,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(rotated == 1)
}

/// Whether session `session_id` is live (exists, not revoked, not past its end).
pub(crate) async fn is_live(conn: &mut PgConnection, session_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM auth.sessions
           WHERE id = $1 AND revoked_at IS NULL AND absolute_expires_at > now()) AS "exists!""#,
        session_id,
    )
    .fetch_one(conn)
    .await
}

/// Which sessions of a user to revoke.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Which {
    /// This one session.
    One(Uuid),
    /// Every live session of the user, except the one given.
    AllBut(Option<Uuid>),
}

/// Revokes the live sessions of `user_id` that `which` names, and publishes SessionsRevoked when
/// any was. Returns their ids: after the commit, list them in the access layer's deny-list
/// (`pos_platform::access::revocation::revoke_sessions`).
pub(crate) async fn revoke(
    conn: &mut PgConnection,
    user_id: Uuid,
    which: Which,
    reason: RevokeReason,
    actor: Option<Uuid>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let (only, except) = match which {
        Which::One(session) => (Some(session), None),
        Which::AllBut(except) => (None, except),
    };
    let revoked: Vec<Uuid> = sqlx::query_scalar!(
        "UPDATE auth.sessions SET revoked_at = now(), revoke_reason = $4 \
         WHERE user_id = $1 AND revoked_at IS NULL AND absolute_expires_at > now() \
         AND ($2::uuid IS NULL OR id = $2) AND ($3::uuid IS NULL OR id <> $3) \
         RETURNING id",
        user_id,
        only,
        except,
        reason.as_str(),
    )
    .fetch_all(&mut *conn)
    .await?;
    if !revoked.is_empty() {
        events::publish(conn, user_id.to_string(), actor, |meta| pb::SessionsRevoked {
            meta,
            user_id: user_id.to_string(),
            session_ids: revoked.iter().map(ToString::to_string).collect(),
            reason: reason.to_pb().into(),
        })
        .await?;
    }
    Ok(revoked)
}

/// Sessions of `user_id` revoked within the last `window` (for re-listing them in the deny-list
/// after an event was applied; repeating it is harmless).
pub(crate) async fn recently_revoked(
    conn: &mut PgConnection,
    user_id: Uuid,
    window: Duration,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM auth.sessions WHERE user_id = $1 AND revoked_at > $2",
        user_id,
        Utc::now() - window,
    )
    .fetch_all(conn)
    .await
}
