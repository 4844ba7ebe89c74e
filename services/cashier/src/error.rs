//! The one error type of the cashier module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the cashier module.
#[derive(Debug, thiserror::Error)]
pub enum CashierError {
    /// The RPC's behaviour is not built yet (issue #6 builds it).
    #[error("{0} is not built yet in the cashier module")]
    NotBuiltYet(&'static str),
}

impl From<CashierError> for Status {
    fn from(error: CashierError) -> Self {
        match error {
            CashierError::NotBuiltYet(rpc) => status::not_built_yet(Module::Cashier, rpc),
        }
    }
}
