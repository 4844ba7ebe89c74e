//! The one error type of the report module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::Status;

/// Everything that can go wrong in the report module.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The RPC's behaviour is not built yet (issue #8 builds it).
    #[error("{0} is not built yet in the report module")]
    NotBuiltYet(&'static str),
}

impl From<ReportError> for Status {
    fn from(error: ReportError) -> Self {
        match error {
            ReportError::NotBuiltYet(rpc) => status::not_built_yet(Module::Report, rpc),
        }
    }
}
