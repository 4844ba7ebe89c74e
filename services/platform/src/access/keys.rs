//! The public keys that verify access tokens, fetched from the auth module
//! (`AuthService.ListSigningKeys`, in-process or remote) and fetched again when a token names a
//! key id this process has not seen (a rotation), at most once per [`REFETCH_INTERVAL`]. One fetch
//! runs at a time: requests that meet an unknown key while a fetch is under way wait for it and
//! check again, so a burst of requests at start-up is not refused while the first fetch is on the
//! wire.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use pos_api::Clients;
use pos_api::pos::auth::v1::ListSigningKeysRequest;

use crate::access_token::{AccessClaims, TokenError, TokenVerifier, VerifyingKey};

/// Shortest time between two fetches of the key list.
const REFETCH_INTERVAL: Duration = Duration::from_secs(5);

/// Why a token could not be checked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeysError {
    /// The token itself is bad.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The auth module could not be asked for its keys.
    #[error("fetching the signing keys failed: {0}")]
    Unavailable(String),
}

/// A verifier kept up to date with the auth module's keys.
#[derive(Clone)]
pub(crate) struct SigningKeys {
    clients: Clients,
    verifier: Arc<RwLock<Arc<TokenVerifier>>>,
    last_fetch: Arc<Mutex<Option<Instant>>>,
    /// Held while a fetch is under way.
    fetching: Arc<tokio::sync::Mutex<()>>,
}

impl SigningKeys {
    pub(crate) fn new(clients: Clients) -> Self {
        SigningKeys {
            clients,
            verifier: Arc::new(RwLock::new(Arc::new(TokenVerifier::default()))),
            last_fetch: Arc::new(Mutex::new(None)),
            fetching: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The claims of `token`, fetching the key list first when the token's key is unknown.
    pub(crate) async fn verify(&self, token: &str) -> Result<AccessClaims, KeysError> {
        match self.current().verify(token) {
            Err(TokenError::UnknownKey) => {}
            result => return Ok(result?),
        }
        let _fetching = self.fetching.lock().await;
        // A fetch that finished while this request waited may have brought the key.
        match self.current().verify(token) {
            Err(TokenError::UnknownKey) if self.may_refetch() => {
                let refreshed = self.fetch().await?;
                Ok(refreshed.verify(token)?)
            }
            result => Ok(result?),
        }
    }

    fn current(&self) -> Arc<TokenVerifier> {
        Arc::clone(
            &self
                .verifier
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Whether the last successful fetch is older than [`REFETCH_INTERVAL`] (a failed fetch does
    /// not count: the next request tries again, one at a time).
    fn may_refetch(&self) -> bool {
        let last = self
            .last_fetch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        !matches!(*last, Some(at) if at.elapsed() < REFETCH_INTERVAL)
    }

    async fn fetch(&self) -> Result<Arc<TokenVerifier>, KeysError> {
        let unavailable = |error: &dyn std::fmt::Display| KeysError::Unavailable(error.to_string());
        let response = self
            .clients
            .auth()
            .map_err(|error| unavailable(&error))?
            .list_signing_keys(ListSigningKeysRequest {})
            .await
            .map_err(|status| unavailable(&status.message()))?
            .into_inner();
        let keys = response
            .keys
            .iter()
            .filter_map(|key| match VerifyingKey::from_paserk(&key.public_key) {
                Ok(verifying) => Some(verifying),
                Err(error) => {
                    tracing::warn!(key_id = %key.key_id, %error, "ignoring a signing key that does not parse");
                    None
                }
            })
            .collect::<Vec<_>>();
        let verifier = Arc::new(TokenVerifier::new(keys));
        *self
            .last_fetch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
        *self
            .verifier
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&verifier);
        Ok(verifier)
    }
}
