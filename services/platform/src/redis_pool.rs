//! Redis: one pool per process for caches, sessions, counters and carts.

use std::time::Duration;

use bb8_redis::RedisConnectionManager;

/// The Redis connection pool.
pub type RedisPool = bb8::Pool<RedisConnectionManager>;

/// A pool that connects on first use, so a process starts while Redis is down.
pub fn lazy_pool(url: &str) -> Result<RedisPool, redis::RedisError> {
    let manager = RedisConnectionManager::new(url)?;
    Ok(bb8::Pool::builder()
        .max_size(16)
        .connection_timeout(Duration::from_secs(2))
        .build_unchecked(manager))
}

/// Whether Redis answers `PING`.
pub async fn ping(pool: &RedisPool) -> anyhow::Result<()> {
    let mut connection = pool.get().await?;
    let _: String = redis::cmd("PING").query_async(&mut *connection).await?;
    Ok(())
}
