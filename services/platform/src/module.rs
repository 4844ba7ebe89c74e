//! What every module receives when it is built: its dependencies, passed explicitly.

use sqlx::PgPool;

use pos_api::Clients;

use crate::paging::PageTokens;
use crate::redis_pool::RedisPool;

/// The shared resources a module is built with.
#[derive(Clone, Debug)]
pub struct ModuleContext {
    /// PostgreSQL; a module touches only its own schema.
    pub db: PgPool,
    /// Redis (caches, sessions, counters, carts).
    pub redis: RedisPool,
    /// Clients of the other modules, in-process or remote.
    pub clients: Clients,
    /// Signs and checks page tokens.
    pub page_tokens: PageTokens,
}
