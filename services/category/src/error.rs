//! The one error type of the category module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the category module.
#[derive(Debug, thiserror::Error)]
pub enum CategoryError {
    /// The RPC's behaviour is not built yet (issue #6 builds it).
    #[error("{0} is not built yet in the category module")]
    NotBuiltYet(&'static str),
}

impl From<CategoryError> for Status {
    fn from(error: CategoryError) -> Self {
        match error {
            CategoryError::NotBuiltYet(rpc) => status::not_built_yet(Module::Category, rpc),
        }
    }
}
