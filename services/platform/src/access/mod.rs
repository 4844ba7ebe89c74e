//! Access control shared by every module: the `x-pos-service` credential of module-to-module
//! calls, and the layer that enforces `pos_api::policy` before any handler runs.

pub mod revocation;
mod service_credential;

pub use service_credential::{CredentialError, HEADER as SERVICE_HEADER, ServiceCredential};
