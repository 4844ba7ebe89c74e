//! The one error type of the product module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the product module.
#[derive(Debug, thiserror::Error)]
pub enum ProductError {
    /// The RPC's behaviour is not built yet (issue #6 builds it).
    #[error("{0} is not built yet in the product module")]
    NotBuiltYet(&'static str),
}

impl From<ProductError> for Status {
    fn from(error: ProductError) -> Self {
        match error {
            ProductError::NotBuiltYet(rpc) => status::not_built_yet(Module::Product, rpc),
        }
    }
}
