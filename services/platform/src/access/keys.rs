//! The public keys that verify access tokens, fetched from the auth module
//! (`AuthService.ListSigningKeys`, in-process or remote) and fetched again when a token names a
//! key id this process has not seen (a rotation), at most once per [`REFETCH_INTERVAL`].

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
}

impl SigningKeys {
    pub(crate) fn new(clients: Clients) -> Self {
        SigningKeys {
            clients,
            verifier: Arc::new(RwLock::new(Arc::new(TokenVerifier::default()))),
            last_fetch: Arc::new(Mutex::new(None)),
        }
    }

    /// The claims of `token`, fetching the key list first when the token's key is unknown.
    pub(crate) async fn verify(&self, token: &str) -> Result<AccessClaims, KeysError> {
        let current = self.current();
        match current.verify(token) {
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

    fn may_refetch(&self) -> bool {
        let mut last = self
            .last_fetch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *last {
            Some(at) if at.elapsed() < REFETCH_INTERVAL => false,
            _ => {
                *last = Some(Instant::now());
                true
            }
        }
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
            .verifier
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&verifier);
        Ok(verifier)
    }
}
