//! The one error type of the transaction module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the transaction module.
#[derive(Debug, thiserror::Error)]
pub enum TransactionError {
    /// The RPC's behaviour is not built yet (issue #7 builds it).
    #[error("{0} is not built yet in the transaction module")]
    NotBuiltYet(&'static str),
}

impl From<TransactionError> for Status {
    fn from(error: TransactionError) -> Self {
        match error {
            TransactionError::NotBuiltYet(rpc) => status::not_built_yet(Module::Transaction, rpc),
        }
    }
}
