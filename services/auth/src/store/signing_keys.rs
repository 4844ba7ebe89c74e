//! `auth.signing_keys`: the Ed25519 keys that sign access tokens. The secret halves live in this
//! table (a KMS would hold them in production) and never leave the module or reach a log.

use chrono::{DateTime, Utc};
use pos_platform::access_token::SigningKey;
use sqlx::PgConnection;

use crate::error::AuthError;

/// How long a retired key stays listed: the longest an access token it signed can live.
pub(crate) const RETIRED_LISTED_FOR: chrono::Duration = pos_platform::access_token::MAX_LIFETIME;

/// The current signing key, generating the first one when there is none. Race-safe: the partial
/// unique index on the current key lets only one of several concurrent generators insert, and
/// every one of them then reads the winner.
pub(crate) async fn current(conn: &mut PgConnection) -> Result<SigningKey, AuthError> {
    if let Some(key) = read_current(conn).await? {
        return Ok(key);
    }
    let generated = SigningKey::generate().map_err(|error| AuthError::Internal(error.into()))?;
    let inserted = sqlx::query!(
        "INSERT INTO auth.signing_keys (kid, secret, public_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        generated.key_id(),
        &generated.to_secret_bytes(),
        &generated.verifying_key().to_paserk(),
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        tracing::info!(key_id = %generated.key_id(), "generated the first access-token signing key");
    }
    read_current(conn)
        .await?
        .ok_or_else(|| AuthError::Internal(anyhow::anyhow!("no current signing key after generating one")))
}

async fn read_current(conn: &mut PgConnection) -> Result<Option<SigningKey>, AuthError> {
    let secret: Option<Vec<u8>> =
        sqlx::query_scalar!("SELECT secret FROM auth.signing_keys WHERE retired_at IS NULL")
            .fetch_optional(conn)
            .await?;
    secret
        .map(|bytes| SigningKey::from_secret_bytes(&bytes).map_err(|error| AuthError::Internal(error.into())))
        .transpose()
}

/// A public key as ListSigningKeys lists it.
#[derive(Debug)]
pub(crate) struct PublishedKey {
    /// PASERK id.
    pub(crate) kid: String,
    /// PASERK public key.
    pub(crate) public_key: String,
    /// When it started signing.
    pub(crate) created_at: DateTime<Utc>,
    /// When it stopped; `None` for the current key.
    pub(crate) retired_at: Option<DateTime<Utc>>,
}

/// The current key and the keys retired less than [`RETIRED_LISTED_FOR`] ago, current first.
pub(crate) async fn published(conn: &mut PgConnection) -> Result<Vec<PublishedKey>, sqlx::Error> {
    sqlx::query_as!(
        PublishedKey,
        "SELECT kid, public_key, created_at, retired_at FROM auth.signing_keys \
         WHERE retired_at IS NULL OR retired_at > $1 \
         ORDER BY retired_at IS NOT NULL, retired_at DESC, created_at DESC",
        Utc::now() - RETIRED_LISTED_FOR,
    )
    .fetch_all(conn)
    .await
}
