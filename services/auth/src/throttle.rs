//! Per-email counters in Redis: the login lockout (10 failures within 15 minutes lock the email
//! for the rest of the window) and the once-a-minute limit on mails a visitor can trigger.
//!
//! Redis being down never blocks a sign-in: counting is skipped and logged, and the mail limits
//! let the request through. Per-client-address limits (TOO_MANY_REQUESTS) are the edge's job
//! (Envoy's local rate limit on AuthService), not this module's.

use std::future::Future;
use std::time::Duration;

use pos_platform::redis_pool::RedisPool;

/// Failed logins of one email that lock it.
pub(crate) const MAX_FAILURES: u32 = 10;
/// How long failures are counted, and so how long a lockout lasts at most.
pub(crate) const WINDOW_SECONDS: u64 = 15 * 60;
/// How long the module waits for Redis before it goes on without it.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

fn failures_key(email_key: &str) -> String {
    format!("pos:auth:login-failures:{email_key}")
}

/// Runs `pipeline` with a timeout; `None` (logged) when Redis failed or did not answer.
async fn run<T: redis::FromRedisValue>(
    redis: &RedisPool,
    what: &'static str,
    pipeline: redis::Pipeline,
) -> Option<T> {
    let attempt = async {
        let mut connection = redis.get().await.map_err(|error| error.to_string())?;
        pipeline
            .query_async::<T>(&mut *connection)
            .await
            .map_err(|error| error.to_string())
    };
    match tokio::time::timeout(REDIS_TIMEOUT, attempt).await {
        Ok(Ok(value)) => Some(value),
        Ok(Err(error)) => {
            tracing::warn!(what, %error, "Redis failed; going on without it");
            None
        }
        Err(_) => {
            tracing::warn!(what, "Redis did not answer in time; going on without it");
            None
        }
    }
}

/// Seconds until `email_key` may try to sign in again, when it is locked out now.
pub(crate) async fn locked_for(redis: &RedisPool, email_key: &str) -> Option<u64> {
    let key = failures_key(email_key);
    let mut pipeline = redis::pipe();
    pipeline.get(&key).ttl(&key);
    let (count, ttl): (Option<u32>, i64) = run(redis, "lockout check", pipeline).await?;
    match (count, u64::try_from(ttl)) {
        (Some(count), Ok(ttl)) if count >= MAX_FAILURES && ttl > 0 => Some(ttl),
        _ => None,
    }
}

/// Counts a failed login of `email_key`; the count in the current window (this one included),
/// or `None` when Redis is unavailable.
pub(crate) async fn record_failure(redis: &RedisPool, email_key: &str) -> Option<u32> {
    let key = failures_key(email_key);
    let mut pipeline = redis::pipe();
    // EXPIRE … NX starts the window on the first failure and never extends it.
    pipeline
        .incr(&key, 1)
        .cmd("EXPIRE")
        .arg(&key)
        .arg(WINDOW_SECONDS)
        .arg("NX")
        .ignore();
    let (count,): (u32,) = run(redis, "lockout count", pipeline).await?;
    Some(count)
}

/// The failures counted for `email_key` in the current window (0 when none or unknown).
pub(crate) async fn failures(redis: &RedisPool, email_key: &str) -> u32 {
    let mut pipeline = redis::pipe();
    pipeline.get(failures_key(email_key));
    run::<(Option<u32>,)>(redis, "lockout read", pipeline)
        .await
        .and_then(|(count,)| count)
        .unwrap_or(0)
}

/// Forgets the failures of `email_key` (a successful login or a password reset).
pub(crate) async fn clear_failures(redis: &RedisPool, email_key: &str) {
    let mut pipeline = redis::pipe();
    pipeline.del(failures_key(email_key)).ignore();
    let _: Option<()> = run(redis, "lockout reset", pipeline).await;
}

/// What a visitor can make the module mail, limited to once a minute per email.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mail {
    /// ResendVerificationCode.
    VerificationCode,
    /// ForgotPassword.
    PasswordReset,
}

/// Whether a mail of `kind` to `email_key` may go now: the first request of a minute may, the
/// following ones may not. When Redis is unavailable the request may go.
pub(crate) async fn first_this_minute(redis: &RedisPool, kind: Mail, email_key: &str) -> bool {
    let key = match kind {
        Mail::VerificationCode => format!("pos:auth:resend-code:{email_key}"),
        Mail::PasswordReset => format!("pos:auth:forgot-password:{email_key}"),
    };
    let mut pipeline = redis::pipe();
    pipeline.cmd("SET").arg(&key).arg(1).arg("NX").arg("EX").arg(60);
    run::<(Option<String>,)>(redis, "mail limit", pipeline)
        .await
        .is_none_or(|(set,)| set.is_some())
}

/// Runs `revoke` (listing sessions in the access layer's deny-list) with a timeout; a failure is
/// logged, not returned: revoked sessions then stay usable until their access tokens expire.
pub(crate) async fn deny_list<F>(revoke: F)
where
    F: Future<Output = anyhow::Result<()>>,
{
    match tokio::time::timeout(Duration::from_secs(2), revoke).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "listing revoked sessions in Redis failed"),
        Err(_) => tracing::warn!("listing revoked sessions in Redis timed out"),
    }
}
