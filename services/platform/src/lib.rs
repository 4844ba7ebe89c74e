//! Shared runtime of every POS module: configuration, PostgreSQL and Redis pools, the mapping of
//! errors to `google.rpc.Status`, validation, page tokens, telemetry, metrics, the authentication
//! context and the test kit.
//!
//! Nothing here knows a business rule; modules bring those.

pub mod access;
pub mod access_token;
pub mod auth;
pub mod background;
pub mod cache;
pub mod config;
pub mod db;
pub mod events;
pub mod files;
pub mod idempotency;
pub mod listing;
pub mod metrics;
pub mod module;
pub mod paging;
pub mod redis_pool;
pub mod status;
pub mod telemetry;
pub mod testkit;
pub mod validation;

pub use auth::AuthContext;
pub use config::Config;
pub use module::ModuleContext;

/// Largest gRPC message the upload RPCs accept (a 10 MiB file plus envelope); other RPCs keep
/// tonic's 4 MiB default.
pub const UPLOAD_MESSAGE_LIMIT_BYTES: usize = 16 * 1024 * 1024;
