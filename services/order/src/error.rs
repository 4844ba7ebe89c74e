//! The one error type of the order module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the order module.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// The RPC's behaviour is not built yet (issue #7 builds it).
    #[error("{0} is not built yet in the order module")]
    NotBuiltYet(&'static str),
}

impl From<OrderError> for Status {
    fn from(error: OrderError) -> Self {
        match error {
            OrderError::NotBuiltYet(rpc) => status::not_built_yet(Module::Order, rpc),
        }
    }
}
