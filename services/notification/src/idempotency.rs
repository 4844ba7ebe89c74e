//! `request_id` handling (AIP-155) over `notifications.idempotency_keys`: the first request with a key
//! claims it inside its own transaction and stores its response there; a retry returns the stored
//! response; the same key with other content is refused.
//!
//! A concurrent retry blocks on the claim's row until the first request's transaction ends, then
//! sees its stored response (or claims the key itself if the first one rolled back).

use prost::Message;
use sha2::{Digest as _, Sha256};
use sqlx::PgConnection;

use crate::error::NotificationError;

/// Longest `request_id` accepted (a UUID).
pub(crate) const MAX_REQUEST_ID_CHARS: usize = 36;

/// How long a key is remembered.
const RETENTION_HOURS: i32 = 24;

/// One request's idempotency key.
#[derive(Clone, Debug)]
pub(crate) struct IdempotencyKey {
    operation: &'static str,
    principal: String,
    request_id: String,
    request_hash: Vec<u8>,
}

/// What a claim found.
#[derive(Debug)]
pub(crate) enum Claim {
    /// The key is new: do the work and [`IdempotencyKey::complete`] it in the same transaction.
    New,
    /// A request with the same key and content completed: its encoded response.
    Replay(Vec<u8>),
}

impl IdempotencyKey {
    /// The key `request_id` of `principal` for `operation`, over the canonical `content` of the
    /// request; `None` when the request has no `request_id`.
    pub(crate) fn new(
        operation: &'static str,
        principal: String,
        request_id: &str,
        content: &[u8],
    ) -> Result<Option<Self>, NotificationError> {
        if request_id.is_empty() {
            return Ok(None);
        }
        if request_id.chars().count() > MAX_REQUEST_ID_CHARS {
            return Err(NotificationError::invalid(
                "request_id",
                format!("must be at most {MAX_REQUEST_ID_CHARS} characters"),
            ));
        }
        Ok(Some(IdempotencyKey {
            operation,
            principal,
            request_id: request_id.to_owned(),
            request_hash: Sha256::digest(content).to_vec(),
        }))
    }

    /// Claims the key in the caller's transaction.
    pub(crate) async fn claim(&self, conn: &mut PgConnection) -> Result<Claim, NotificationError> {
        sqlx::query(
            "DELETE FROM notifications.idempotency_keys \
             WHERE operation = $1 AND principal = $2 AND request_id = $3 AND expires_at < now()",
        )
        .bind(self.operation)
        .bind(&self.principal)
        .bind(&self.request_id)
        .execute(&mut *conn)
        .await?;
        let claimed = sqlx::query(
            "INSERT INTO notifications.idempotency_keys \
             (operation, principal, request_id, request_hash, expires_at) \
             VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5)) ON CONFLICT DO NOTHING",
        )
        .bind(self.operation)
        .bind(&self.principal)
        .bind(&self.request_id)
        .bind(&self.request_hash)
        .bind(RETENTION_HOURS)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if claimed {
            return Ok(Claim::New);
        }
        let (request_hash, response): (Vec<u8>, Option<Vec<u8>>) = sqlx::query_as(
            "SELECT request_hash, response FROM notifications.idempotency_keys \
             WHERE operation = $1 AND principal = $2 AND request_id = $3",
        )
        .bind(self.operation)
        .bind(&self.principal)
        .bind(&self.request_id)
        .fetch_one(&mut *conn)
        .await?;
        if request_hash != self.request_hash {
            return Err(NotificationError::IdempotencyKeyReused(self.request_id.clone()));
        }
        response
            .map(Claim::Replay)
            .ok_or_else(|| anyhow::anyhow!("idempotency key committed without a response").into())
    }

    /// Stores the response of the request that claimed the key, in its transaction.
    pub(crate) async fn complete(
        &self,
        conn: &mut PgConnection,
        response: &impl Message,
    ) -> Result<(), NotificationError> {
        sqlx::query(
            "UPDATE notifications.idempotency_keys SET state = 'completed', response = $4 \
             WHERE operation = $1 AND principal = $2 AND request_id = $3",
        )
        .bind(self.operation)
        .bind(&self.principal)
        .bind(&self.request_id)
        .bind(response.encode_to_vec())
        .execute(conn)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_request_id_means_no_key() {
        assert!(
            IdempotencyKey::new("ResendNotification", "p".into(), "", b"x")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_request_id_longer_than_a_uuid_is_refused() {
        let long = "x".repeat(37);
        assert!(matches!(
            IdempotencyKey::new("ResendNotification", "p".into(), &long, b"x"),
            Err(NotificationError::InvalidField { .. })
        ));
    }
}
