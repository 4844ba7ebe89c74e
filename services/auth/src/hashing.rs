//! Password hashing off the async runtime: argon2id takes tens of milliseconds of CPU and 19 MiB,
//! so it runs on the blocking pool.

use std::sync::LazyLock;

use crate::error::AuthError;
use crate::password;

/// A hash of no one's password, verified against when an account is unknown or has no password,
/// so a failed login takes the same time whether the email exists or not.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| password::hash("no account has this password").ok());

/// Hashes `password` (argon2id, fresh salt).
pub(crate) async fn hash(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|error| AuthError::Internal(error.into()))?
        .map_err(|error| AuthError::Internal(error.into()))
}

/// Whether `password` matches `stored`; with no stored hash, verifies against a dummy hash
/// (same cost) and answers false.
pub(crate) async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => password::verify(&password, &stored),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                let _ = password::verify(&password, dummy);
            }
            false
        }
    })
    .await
    .unwrap_or(false)
}
