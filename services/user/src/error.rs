//! The one error type of the user module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the user module.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The RPC's behaviour is not built yet (issue #5 builds it).
    #[error("{0} is not built yet in the user module")]
    NotBuiltYet(&'static str),
}

impl From<UserError> for Status {
    fn from(error: UserError) -> Self {
        match error {
            UserError::NotBuiltYet(rpc) => status::not_built_yet(Module::User, rpc),
        }
    }
}
