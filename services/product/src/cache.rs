//! The read-through cache of products (Redis, keyed by product id, value = the `pb::Product`).
//!
//! Every committed write that changes a product — catalogue data, lifecycle **and stock** — must
//! call [`invalidate`] with the product id after its transaction commits. The module's own-topic
//! subscription ([`ReadThrough::own_events`], returned from `crate::subscriptions`) invalidates it
//! again from the event's key, which covers a process dying between commit and invalidation.

use std::time::Duration;

use pos_api::Module;
use pos_platform::ModuleContext;
use pos_platform::cache::ReadThrough;
use uuid::Uuid;

/// How long a cached product lives.
const PRODUCT_TTL: Duration = Duration::from_secs(10 * 60);

/// The product cache of this process (cheap: it shares the Redis pool of `ctx`).
pub(crate) fn products(ctx: &ModuleContext) -> ReadThrough {
    ReadThrough::new(ctx.redis.clone(), Module::Product, "product", PRODUCT_TTL)
}

/// Makes the cached value of product `id` unreachable; call it after the write committed.
pub(crate) async fn invalidate(ctx: &ModuleContext, id: Uuid) {
    products(ctx).invalidate(&id.to_string()).await;
}
