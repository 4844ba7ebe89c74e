//! Waiting between attempts: exponential backoff, interruptible by the stop signal.

use std::time::Duration;

use tokio::sync::watch;

/// Exponential backoff from `base`, doubling up to ten seconds.
#[derive(Debug)]
pub struct Backoff {
    base: Duration,
    current: Duration,
}

impl Backoff {
    /// The longest wait.
    pub const MAX: Duration = Duration::from_secs(10);

    /// Starts at `base`.
    pub fn new(base: Duration) -> Self {
        Backoff { base, current: base }
    }

    /// The wait before the next attempt.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.current;
        self.current = (self.current * 2).min(Self::MAX);
        wait
    }

    /// Back to `base` after a success.
    pub fn reset(&mut self) {
        self.current = self.base;
    }
}

/// Sleeps for `duration` unless `stop` turns true first; returns whether it did.
pub async fn sleep_or_stop(duration: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        () = tokio::time::sleep(duration) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut backoff = Backoff::new(Duration::from_secs(3));
        assert_eq!(backoff.next_wait(), Duration::from_secs(3));
        assert_eq!(backoff.next_wait(), Duration::from_secs(6));
        assert_eq!(backoff.next_wait(), Duration::from_secs(10));
        assert_eq!(backoff.next_wait(), Duration::from_secs(10));
        backoff.reset();
        assert_eq!(backoff.next_wait(), Duration::from_secs(3));
    }
}
