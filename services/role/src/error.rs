//! The one error type of the role module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the role module.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// The RPC's behaviour is not built yet (issue #5 builds it).
    #[error("{0} is not built yet in the role module")]
    NotBuiltYet(&'static str),
}

impl From<RoleError> for Status {
    fn from(error: RoleError) -> Self {
        match error {
            RoleError::NotBuiltYet(rpc) => status::not_built_yet(Module::Role, rpc),
        }
    }
}
