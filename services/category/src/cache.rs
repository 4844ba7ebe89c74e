//! The read-through cache of categories (Redis, keyed by category id, value = the `pb::Category`).
//!
//! Every committed write calls [`invalidate`] with the category id after its transaction
//! commits; the module's own-topic subscription ([`ReadThrough::own_events`], returned from
//! `crate::subscriptions`) invalidates it again from the event's key, which covers a process dying
//! between commit and invalidation.

use std::time::Duration;

use pos_api::Module;
use pos_platform::ModuleContext;
use pos_platform::cache::ReadThrough;
use uuid::Uuid;

/// How long a cached category lives.
const CATEGORY_TTL: Duration = Duration::from_secs(10 * 60);

/// The category cache of this process (cheap: it shares the Redis pool of `ctx`).
pub(crate) fn categories(ctx: &ModuleContext) -> ReadThrough {
    ReadThrough::new(ctx.redis.clone(), Module::Category, "category", CATEGORY_TTL)
}

/// Makes the cached values of `ids` unreachable; call it after the write committed.
pub(crate) async fn invalidate(ctx: &ModuleContext, ids: impl IntoIterator<Item = Uuid>) {
    let cache = categories(ctx);
    for id in ids {
        cache.invalidate(&id.to_string()).await;
    }
}
