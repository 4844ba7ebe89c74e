//! What every module receives when it is built: its dependencies, passed explicitly.

use std::sync::Arc;

use sqlx::PgPool;

use pos_api::Clients;

use crate::config::Config;
use crate::events::{AfterApply, EventHandler};
use crate::paging::PageTokens;
use crate::redis_pool::RedisPool;

/// The shared resources a module is built with.
#[derive(Clone, Debug)]
pub struct ModuleContext {
    /// PostgreSQL; a module touches only its own schema.
    pub db: PgPool,
    /// Redis (caches, sessions, counters, carts).
    pub redis: RedisPool,
    /// Clients of the other modules, in-process or remote. Calls made through them carry the
    /// process's service credential (`x-pos-service`): they act with every permission, so a
    /// module checks what its caller may do before calling on its behalf.
    pub clients: Clients,
    /// Signs and checks page tokens.
    pub page_tokens: PageTokens,
    /// The process configuration (SMTP server, public URL, …).
    pub config: Arc<Config>,
    /// The object store of uploaded files (`POS_OBJECT_STORE_URL`).
    pub files: crate::files::Files,
}

/// A topic a module consumes, and the handler that applies its events (see
/// [`crate::events::EventConsumer`]: one consumer group `<module>@<topic>`, inbox, retries,
/// dead-letter topic).
pub struct Subscription {
    /// The topic, e.g. `pos.auth.v1.events` (see [`crate::events::topics`]).
    pub topic: String,
    /// Applies each event in the transaction that records it in the module's inbox.
    pub handler: Arc<dyn EventHandler>,
    /// Runs after the transaction committed (e.g. to drop a cache entry).
    pub after_apply: Option<AfterApply>,
}

impl Subscription {
    /// A subscription of `handler` to `topic`, without an after-apply hook.
    pub fn new(topic: impl Into<String>, handler: Arc<dyn EventHandler>) -> Self {
        Subscription {
            topic: topic.into(),
            handler,
            after_apply: None,
        }
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}
