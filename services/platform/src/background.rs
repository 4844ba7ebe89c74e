//! Work a module runs in the background of every process that serves it (e.g. returning the stock
//! of expired reservations), until the process stops.

use futures::future::BoxFuture;
use tokio::sync::watch;

/// A background task: started once per process serving the module, given a receiver that turns
/// `true` when the process stops; it must return soon after.
pub struct BackgroundTask {
    /// A short name for logs, e.g. `product.reservation-expiry`.
    pub name: &'static str,
    /// Starts the task.
    pub run: Box<dyn FnOnce(watch::Receiver<bool>) -> BoxFuture<'static, ()> + Send>,
}

impl BackgroundTask {
    /// A task named `name` running `run` until the stop signal.
    pub fn new(
        name: &'static str,
        run: impl FnOnce(watch::Receiver<bool>) -> BoxFuture<'static, ()> + Send + 'static,
    ) -> Self {
        BackgroundTask {
            name,
            run: Box::new(run),
        }
    }
}

impl std::fmt::Debug for BackgroundTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundTask")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
