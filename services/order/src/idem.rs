//! `request_id` handling for requests that call other modules before they write: the key is
//! claimed and committed first (state `in_progress`), so no database transaction stays open
//! during the calls; a concurrent retry then gets ABORTED / REQUEST_IN_PROGRESS, a retry after
//! completion gets the stored response, and a failed request gives its key back.

use pos_api::Module;
use pos_platform::ModuleContext;
use pos_platform::idempotency::{Claim, IdempotencyError, IdempotencyKey};

use crate::error::OrderError;

/// After this long an `in_progress` key is taken for abandoned (its process died) and reclaimed.
const ABANDONED_AFTER_SECONDS: i32 = 120;

/// What claiming a key found.
pub(crate) enum Started {
    /// The key is ours: do the work, then [`IdempotencyKey::complete`] it in the writing
    /// transaction, or [`abandon`] it on failure.
    New,
    /// The request completed before: its encoded response.
    Replay(Vec<u8>),
}

/// A key of the order module's `operation`, for `principal`'s `request_id` over `content`.
pub(crate) fn key(
    operation: &'static str,
    principal: String,
    request_id: &str,
    content: &[u8],
) -> Result<IdempotencyKey, OrderError> {
    IdempotencyKey::new(Module::Order, operation, principal, request_id, content)?
        .ok_or_else(|| OrderError::invalid("request_id", "is required"))
}

/// Claims `key` in a transaction of its own.
pub(crate) async fn start(
    ctx: &ModuleContext,
    key: &IdempotencyKey,
    operation: &str,
    principal: &str,
    request_id: &str,
) -> Result<Started, OrderError> {
    let mut tx = ctx.db.begin().await?;
    sqlx::query!(
        "DELETE FROM orders.idempotency_keys \
         WHERE operation = $1 AND principal = $2 AND request_id = $3 AND state = 'in_progress' \
           AND created_at < now() - make_interval(secs => $4)",
        operation,
        principal,
        request_id,
        f64::from(ABANDONED_AFTER_SECONDS),
    )
    .execute(&mut *tx)
    .await?;
    let claim = match key.claim(&mut tx).await {
        Ok(claim) => claim,
        Err(IdempotencyError::Corrupt) => return Err(OrderError::RequestInProgress(request_id.to_owned())),
        Err(error) => return Err(error.into()),
    };
    tx.commit().await?;
    Ok(match claim {
        Claim::New => Started::New,
        Claim::Replay(response) => Started::Replay(response),
    })
}

/// Gives back the key of a request that failed, so a retry runs again. Best effort: a key left
/// behind is reclaimed after [`ABANDONED_AFTER_SECONDS`].
pub(crate) async fn abandon(ctx: &ModuleContext, operation: &str, principal: &str, request_id: &str) {
    let result = sqlx::query!(
        "DELETE FROM orders.idempotency_keys \
         WHERE operation = $1 AND principal = $2 AND request_id = $3 AND state = 'in_progress'",
        operation,
        principal,
        request_id,
    )
    .execute(&ctx.db)
    .await;
    if let Err(error) = result {
        tracing::warn!(operation, %error, "could not give back the idempotency key of a failed request");
    }
}
