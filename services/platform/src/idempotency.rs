//! `request_id` handling (AIP-155) over a module's `<schema>.idempotency_keys` table (every
//! module's first migration creates it): the first request with a key claims it inside its own
//! transaction and stores its response there; a retry returns the stored response; the same key
//! with other content is refused.
//!
//! A concurrent retry blocks on the claim's row until the first request's transaction ends, then
//! sees its stored response (or claims the key itself if the first one rolled back).

use pos_api::Module;
use prost::Message;
use sha2::{Digest as _, Sha256};
use sqlx::{AssertSqlSafe, PgConnection};

/// Longest `request_id` accepted (a UUID).
pub const MAX_REQUEST_ID_CHARS: usize = 36;

/// How long a key is remembered: at least 72 hours, as the contract promises terminals that
/// retry after an outage.
const RETENTION_HOURS: i32 = 72;

/// Why a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// `request_id` is longer than [`MAX_REQUEST_ID_CHARS`] (a field violation on `request_id`).
    #[error("request_id must be at most {MAX_REQUEST_ID_CHARS} characters")]
    TooLong,
    /// The key was used before with other content (ALREADY_EXISTS / IDEMPOTENCY_KEY_REUSED).
    #[error("request_id `{0}` was used before for a different request")]
    Reused(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A completed key has no response (never written by this code).
    #[error("idempotency key committed without a response")]
    Corrupt,
}

/// One request's idempotency key.
#[derive(Clone, Debug)]
pub struct IdempotencyKey {
    schema: &'static str,
    operation: &'static str,
    principal: String,
    request_id: String,
    request_hash: Vec<u8>,
}

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    /// The key is new: do the work and [`IdempotencyKey::complete`] it in the same transaction.
    New,
    /// A request with the same key and content completed: its encoded response.
    Replay(Vec<u8>),
}

impl IdempotencyKey {
    /// The key `request_id` of `principal` for `module`'s `operation`, over the canonical
    /// `content` of the request; `None` when the request has no `request_id`.
    pub fn new(
        module: Module,
        operation: &'static str,
        principal: String,
        request_id: &str,
        content: &[u8],
    ) -> Result<Option<Self>, IdempotencyError> {
        if request_id.is_empty() {
            return Ok(None);
        }
        if request_id.chars().count() > MAX_REQUEST_ID_CHARS {
            return Err(IdempotencyError::TooLong);
        }
        Ok(Some(IdempotencyKey {
            schema: module.schema(),
            operation,
            principal,
            request_id: request_id.to_owned(),
            request_hash: Sha256::digest(content).to_vec(),
        }))
    }

    /// Claims the key in the caller's transaction.
    pub async fn claim(&self, conn: &mut PgConnection) -> Result<Claim, IdempotencyError> {
        let schema = self.schema;
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {schema}.idempotency_keys \
             WHERE operation = $1 AND principal = $2 AND request_id = $3 AND expires_at < now()"
        )))
        .bind(self.operation)
        .bind(&self.principal)
        .bind(&self.request_id)
        .execute(&mut *conn)
        .await?;
        let claimed = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {schema}.idempotency_keys \
             (operation, principal, request_id, request_hash, expires_at) \
             VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5)) ON CONFLICT DO NOTHING"
        )))
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
        let (request_hash, response): (Vec<u8>, Option<Vec<u8>>) = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT request_hash, response FROM {schema}.idempotency_keys \
             WHERE operation = $1 AND principal = $2 AND request_id = $3"
        )))
        .bind(self.operation)
        .bind(&self.principal)
        .bind(&self.request_id)
        .fetch_one(&mut *conn)
        .await?;
        if request_hash != self.request_hash {
            return Err(IdempotencyError::Reused(self.request_id.clone()));
        }
        response.map(Claim::Replay).ok_or(IdempotencyError::Corrupt)
    }

    /// Stores the response of the request that claimed the key, in its transaction.
    pub async fn complete(
        &self,
        conn: &mut PgConnection,
        response: &impl Message,
    ) -> Result<(), IdempotencyError> {
        let schema = self.schema;
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {schema}.idempotency_keys SET state = 'completed', response = $4 \
             WHERE operation = $1 AND principal = $2 AND request_id = $3"
        )))
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
        let key = IdempotencyKey::new(Module::Role, "CreateRole", "p".into(), "", b"x").unwrap();
        assert!(key.is_none());
    }

    #[test]
    fn a_request_id_longer_than_a_uuid_is_refused() {
        let long = "x".repeat(37);
        assert!(matches!(
            IdempotencyKey::new(Module::Role, "CreateRole", "p".into(), &long, b"x"),
            Err(IdempotencyError::TooLong)
        ));
    }

    #[test]
    fn the_key_names_the_module_schema() {
        let key = IdempotencyKey::new(Module::User, "CreateUser", "p".into(), "r", b"x")
            .unwrap()
            .unwrap();
        assert_eq!(key.schema, "users");
    }
}
