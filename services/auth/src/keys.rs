//! The key that signs this process's access tokens, read from `auth.signing_keys` and kept for a
//! minute, so a rotation made by another process is picked up quickly (tokens signed with the
//! previous key stay valid: ListSigningKeys lists it until they expire).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pos_platform::access_token::SigningKey;
use sqlx::PgPool;

use crate::error::AuthError;
use crate::store::signing_keys;

/// How long the current key is cached.
const CACHE_FOR: Duration = Duration::from_secs(60);

/// A key and when it was read.
type Cached = Option<(Arc<SigningKey>, Instant)>;

/// The current signing key, cached.
#[derive(Clone)]
pub(crate) struct KeyRing {
    db: PgPool,
    cached: Arc<Mutex<Cached>>,
}

impl KeyRing {
    pub(crate) fn new(db: PgPool) -> Self {
        KeyRing {
            db,
            cached: Arc::new(Mutex::new(None)),
        }
    }

    /// The key to sign with now.
    pub(crate) async fn current(&self) -> Result<Arc<SigningKey>, AuthError> {
        if let Some((key, at)) = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return Ok(Arc::clone(key));
        }
        let mut conn = self.db.acquire().await?;
        let key = Arc::new(signing_keys::current(&mut conn).await?);
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((Arc::clone(&key), Instant::now()));
        Ok(key)
    }
}
