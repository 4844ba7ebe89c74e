//! A Redis read-through cache of entities (merchants, categories, products), shared by every
//! process, that a write can never leave stale.
//!
//! Each cached key has a *generation* counter in Redis. A read takes the current generation and
//! the value stored for it in one round trip (a Lua script); on a miss it loads from PostgreSQL and
//! stores the value **only if the generation is still the one it read** (another script). A write
//! bumps the generation after its transaction commits ([`ReadThrough::invalidate`]), so:
//! - a read that starts after the write returned sees the new generation and misses the old value;
//! - a read that loaded the old row before the commit cannot store it for the new generation.
//!
//! The owning module also bumps generations from its own events (after-apply hook of its consumer,
//! see [`ReadThrough::invalidate_hook`]), so a write whose process died between commit and bump is
//! still invalidated within the consumer's lag; the TTL bounds anything else.
//!
//! Redis is an optimisation: if it fails or is slower than [`REDIS_BUDGET`], reads go to
//! PostgreSQL and a warning is logged.

use std::future::Future;
use std::time::Duration;

use pos_api::Module;
use prost::Message;

use crate::redis_pool::RedisPool;

/// How long a cache operation may take before PostgreSQL is asked instead.
pub const REDIS_BUDGET: Duration = Duration::from_millis(250);

/// How long a generation counter lives after its last bump; longer than any value's TTL, so a
/// counter that expires and restarts at 0 never meets a value stored under an old generation 0.
const GENERATION_TTL_SECONDS: u64 = 7 * 24 * 3600;

/// `KEYS[1]` generation, `KEYS[2]` value prefix → `{generation, value or false}`.
const READ: &str = r"
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', KEYS[2] .. generation)}
";

/// `KEYS[1]` generation, `KEYS[2]` value prefix, `ARGV[1]` generation read, `ARGV[2]` value,
/// `ARGV[3]` TTL seconds → 1 when stored.
const STORE_IF_CURRENT: &str = r"
local generation = redis.call('GET', KEYS[1]) or '0'
if generation ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2] .. generation, ARGV[2], 'EX', ARGV[3])
return 1
";

/// A read-through cache of one kind of entity, stored as its protobuf message.
#[derive(Clone, Debug)]
pub struct ReadThrough {
    redis: RedisPool,
    namespace: String,
    ttl: Duration,
}

impl ReadThrough {
    /// A cache of `entity` (e.g. `"product"`) owned by `module`, whose values live `ttl`.
    pub fn new(redis: RedisPool, module: Module, entity: &str, ttl: Duration) -> Self {
        ReadThrough {
            redis,
            namespace: format!("pos:cache:{}:{entity}", module.as_str()),
            ttl,
        }
    }

    /// The keys of `key`: its generation counter and its value prefix, in one Redis Cluster hash
    /// slot.
    fn keys(&self, key: &str) -> (String, String) {
        (
            format!("{{{}:{key}}}:generation", self.namespace),
            format!("{{{}:{key}}}:value:", self.namespace),
        )
    }

    /// The value of `key`: from Redis when cached for the current generation, otherwise from
    /// `load` (then cached). `load` answering `None` (not found) is not cached.
    pub async fn get_or_load<T, E, F, Fut>(&self, key: &str, load: F) -> Result<Option<T>, E>
    where
        T: Message + Default,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>, E>>,
    {
        let (generation_key, value_prefix) = self.keys(key);
        let cached = self.read(&generation_key, &value_prefix).await;
        let generation = match cached {
            Some((_, Some(bytes))) => match T::decode(bytes.as_slice()) {
                Ok(value) => return Ok(Some(value)),
                Err(error) => {
                    tracing::warn!(namespace = %self.namespace, key, %error, "an undecodable cache entry is ignored");
                    None
                }
            },
            Some((generation, None)) => Some(generation),
            None => None,
        };
        let loaded = load().await?;
        if let (Some(generation), Some(value)) = (generation, loaded.as_ref()) {
            self.store_if_current(&generation_key, &value_prefix, &generation, value.encode_to_vec())
                .await;
        }
        Ok(loaded)
    }

    /// Makes every cached value of `key` unreachable. Call it after the transaction that changed
    /// the entity committed. A failure is logged: the event-driven bump and the TTL cover it.
    pub async fn invalidate(&self, key: &str) {
        let (generation_key, _) = self.keys(key);
        let bump = async {
            let mut connection = self.redis.get().await.map_err(|error| error.to_string())?;
            redis::pipe()
                .atomic()
                .incr(&generation_key, 1)
                .ignore()
                .expire(
                    &generation_key,
                    i64::try_from(GENERATION_TTL_SECONDS).unwrap_or(i64::MAX),
                )
                .ignore()
                .query_async::<()>(&mut *connection)
                .await
                .map_err(|error| error.to_string())
        };
        match tokio::time::timeout(REDIS_BUDGET * 4, bump).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(namespace = %self.namespace, key, %error, "cache invalidation failed; the entry expires by TTL or is invalidated again from the module's events");
            }
            Err(_) => {
                tracing::warn!(namespace = %self.namespace, key, "cache invalidation timed out; the entry expires by TTL or is invalidated again from the module's events");
            }
        }
    }

    /// The generation and the value cached for it, or `None` when Redis failed.
    async fn read(&self, generation_key: &str, value_prefix: &str) -> Option<(String, Option<Vec<u8>>)> {
        let read = async {
            let mut connection = self.redis.get().await.map_err(|error| error.to_string())?;
            redis::Script::new(READ)
                .key(generation_key)
                .key(value_prefix)
                .invoke_async::<(String, Option<Vec<u8>>)>(&mut *connection)
                .await
                .map_err(|error| error.to_string())
        };
        match tokio::time::timeout(REDIS_BUDGET, read).await {
            Ok(Ok(found)) => Some(found),
            Ok(Err(error)) => {
                tracing::warn!(namespace = %self.namespace, %error, "cache read failed; reading PostgreSQL");
                None
            }
            Err(_) => {
                tracing::warn!(namespace = %self.namespace, "cache read timed out; reading PostgreSQL");
                None
            }
        }
    }

    async fn store_if_current(
        &self,
        generation_key: &str,
        value_prefix: &str,
        generation: &str,
        value: Vec<u8>,
    ) {
        let store = async {
            let mut connection = self.redis.get().await.map_err(|error| error.to_string())?;
            redis::Script::new(STORE_IF_CURRENT)
                .key(generation_key)
                .key(value_prefix)
                .arg(generation)
                .arg(value)
                .arg(self.ttl.as_secs().max(1))
                .invoke_async::<i64>(&mut *connection)
                .await
                .map_err(|error| error.to_string())
        };
        if let Ok(Err(error)) = tokio::time::timeout(REDIS_BUDGET, store).await {
            tracing::warn!(namespace = %self.namespace, %error, "caching a loaded value failed");
        }
    }

    /// An after-apply hook for the owning module's consumer of its own topic: bumps the
    /// generation of the key `key_of` finds in each event (`None`: the event changes no cached
    /// entity).
    pub fn invalidate_hook(
        &self,
        key_of: impl Fn(&crate::events::Event) -> Option<String> + Send + Sync + 'static,
    ) -> crate::events::AfterApply {
        let cache = self.clone();
        std::sync::Arc::new(move |event| {
            let cache = cache.clone();
            let key = key_of(event);
            Box::pin(async move {
                if let Some(key) = key {
                    cache.invalidate(&key).await;
                }
            })
        })
    }

    /// The subscription of the owning `module` to its own topic that bumps the generation of each
    /// event's aggregate (its Kafka key, the entity id): the event-driven half of invalidation.
    /// Cache entities under their id for this to reach them.
    pub fn own_events(&self, module: Module) -> crate::module::Subscription {
        let mut subscription = crate::module::Subscription::new(
            crate::events::topics::events_topic(module),
            std::sync::Arc::new(NothingToApply),
        );
        subscription.after_apply = Some(self.invalidate_hook(|event| Some(event.key.clone())));
        subscription
    }
}

/// A handler with nothing to write: the subscription exists for its after-apply hook.
struct NothingToApply;

impl crate::events::EventHandler for NothingToApply {
    fn handle<'a>(
        &'a self,
        _tx: &'a mut sqlx::PgConnection,
        _event: &'a crate::events::Event,
    ) -> futures::future::BoxFuture<'a, Result<(), crate::events::HandlerError>> {
        Box::pin(async { Ok(()) })
    }
}
