//! The deny-list of revoked sessions: access tokens are self-contained and live up to
//! [`MAX_LIFETIME`], so when the auth module ends a session (logout, password change, reuse of a
//! rotated refresh token, a trashed user) it lists the session id in Redis for that long, and the
//! access layer of every process refuses tokens whose `sid` is listed.
//!
//! Redis being down never blocks a request: the check is skipped (and logged) after a short
//! timeout, so revocation then waits for the tokens to expire.

use std::time::Duration;

use uuid::Uuid;

use crate::access_token::MAX_LIFETIME;
use crate::redis_pool::RedisPool;

/// How long the access layer waits for Redis before it lets a request through unchecked.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(250);

fn session_key(session_id: Uuid) -> String {
    format!("pos:access:revoked-session:{session_id}")
}

/// Lists `session_ids` as revoked for as long as their access tokens can live.
pub async fn revoke_sessions(redis: &RedisPool, session_ids: &[Uuid]) -> anyhow::Result<()> {
    if session_ids.is_empty() {
        return Ok(());
    }
    let mut connection = redis.get().await?;
    let mut pipeline = redis::pipe();
    let seconds = u64::try_from(MAX_LIFETIME.num_seconds()).unwrap_or(900);
    for session_id in session_ids {
        pipeline.set_ex(session_key(*session_id), 1, seconds).ignore();
    }
    let () = pipeline.query_async(&mut *connection).await?;
    Ok(())
}

/// Whether `session_id` was revoked; `None` when Redis did not answer within [`CHECK_TIMEOUT`].
pub async fn is_revoked(redis: &RedisPool, session_id: Uuid) -> Option<bool> {
    let check = async {
        let mut connection = redis.get().await.ok()?;
        redis::cmd("EXISTS")
            .arg(session_key(session_id))
            .query_async::<bool>(&mut *connection)
            .await
            .ok()
    };
    tokio::time::timeout(CHECK_TIMEOUT, check).await.ok().flatten()
}
