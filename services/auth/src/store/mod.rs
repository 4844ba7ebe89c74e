//! The module's tables in schema `auth`, one file per table family. Functions take a connection
//! (a transaction, usually) so callers decide what is atomic.

pub(crate) mod codes;
pub(crate) mod credentials;
pub(crate) mod reset_tokens;
pub(crate) mod sessions;
pub(crate) mod signing_keys;
