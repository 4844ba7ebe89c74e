//! The one-time secrets waiting to be mailed, in memory only.
//!
//! A verification code or reset token reaches this process in an event; it is kept here, keyed by
//! the event id, from the moment the event's notification is recorded until that notification is
//! sent or failed for good, and never written anywhere. A process that stops loses its secrets:
//! a redelivered event brings them back, otherwise the notifications fail (see the dispatcher).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// Longest a secret is kept even if its notification never completes (longer than any token
/// lives: invitations last 72 hours).
const MAX_AGE: Duration = Duration::from_secs(73 * 3600);

/// Secrets by source event id.
#[derive(Default)]
pub(crate) struct Vault {
    secrets: Mutex<HashMap<Uuid, (String, Instant)>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("held", &self.held().len()).finish()
    }
}

impl Vault {
    /// Keeps the secret of event `source_event_id`.
    pub(crate) fn put(&self, source_event_id: Uuid, secret: String) {
        self.lock().insert(source_event_id, (secret, Instant::now()));
    }

    /// The secret of event `source_event_id`, if held.
    pub(crate) fn get(&self, source_event_id: Uuid) -> Option<String> {
        self.lock()
            .get(&source_event_id)
            .map(|(secret, _)| secret.clone())
    }

    /// Forgets the secret of event `source_event_id`.
    pub(crate) fn remove(&self, source_event_id: Uuid) {
        self.lock().remove(&source_event_id);
    }

    /// The events whose secrets are held.
    pub(crate) fn held(&self) -> Vec<Uuid> {
        self.lock().keys().copied().collect()
    }

    /// Forgets the secrets of the `checked` events that are not `still_needed` (secrets put since the
    /// check are kept), and every secret older than the longest token life.
    pub(crate) fn retain(&self, checked: &[Uuid], still_needed: &[Uuid]) {
        self.lock().retain(|id, (_, since)| {
            (!checked.contains(id) || still_needed.contains(id)) && since.elapsed() < MAX_AGE
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (String, Instant)>> {
        // A panic while holding the lock leaves the map consistent (single inserts and removes).
        self.secrets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_kept_until_removed_or_no_longer_needed() {
        let vault = Vault::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        vault.put(a, "111111".into());
        vault.put(b, "222222".into());
        assert_eq!(vault.get(a).as_deref(), Some("111111"));
        vault.remove(a);
        assert_eq!(vault.get(a), None);
        let c = Uuid::now_v7();
        vault.put(c, "333333".into());
        vault.retain(&[b], &[]);
        assert_eq!(vault.held(), vec![c], "a secret put after the check is kept");
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let vault = Vault::default();
        vault.put(Uuid::now_v7(), "493817".into());
        assert!(!format!("{vault:?}").contains("493817"));
    }
}
