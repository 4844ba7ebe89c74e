//! The one error type of the merchant module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the merchant module.
#[derive(Debug, thiserror::Error)]
pub enum MerchantError {
    /// The RPC's behaviour is not built yet (issue #6 builds it).
    #[error("{0} is not built yet in the merchant module")]
    NotBuiltYet(&'static str),
}

impl From<MerchantError> for Status {
    fn from(error: MerchantError) -> Self {
        match error {
            MerchantError::NotBuiltYet(rpc) => status::not_built_yet(Module::Merchant, rpc),
        }
    }
}
