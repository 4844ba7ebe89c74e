//! Access control shared by every module: the layer that enforces `pos_api::policy` before any
//! handler runs ([`Access`]), the grants it resolves and caches, the deny-list of revoked
//! sessions, and the `x-pos-service` credential of module-to-module calls.

mod grants;
mod invalidation;
mod keys;
mod layer;
pub mod revocation;
mod service_credential;

pub use grants::{Grants, TTL as GRANTS_TTL};
pub use layer::{Access, AccessLayer, AccessService};
pub use service_credential::{CredentialError, HEADER as SERVICE_HEADER, ServiceCredential, authenticated};
