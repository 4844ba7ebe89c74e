//! The one error type of the notification module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the notification module.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// The RPC's behaviour is not built yet (issue #5 builds it).
    #[error("{0} is not built yet in the notification module")]
    NotBuiltYet(&'static str),
}

impl From<NotificationError> for Status {
    fn from(error: NotificationError) -> Self {
        match error {
            NotificationError::NotBuiltYet(rpc) => status::not_built_yet(Module::Notification, rpc),
        }
    }
}
