//! The one error type of the auth module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the auth module.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The RPC's behaviour is not built yet (issue #5 builds it).
    #[error("{0} is not built yet in the auth module")]
    NotBuiltYet(&'static str),
}

impl From<AuthError> for Status {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::NotBuiltYet(rpc) => status::not_built_yet(Module::Auth, rpc),
        }
    }
}
