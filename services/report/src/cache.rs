//! The Redis cache of report answers.
//!
//! An answer is stored under a key that embeds a *generation* counter: the generation of its
//! merchant (`pos:report:gen:<merchant_id>`) when the request is scoped to one merchant, else the
//! global one (`pos:report:gen`). The ingest bumps the global generation and the generation of
//! every merchant an applied event touched ([`invalidate`]), so an answer computed before an event
//! is never served after it was applied.
//!
//! Names label every row: a cached answer also embeds the *labels* generation
//! (`pos:report:gen:labels`), which category renames bump ([`invalidate_labels`]); cashier renames
//! bump their merchant's generation.

use uuid::Uuid;

use pos_platform::redis_pool::RedisPool;

/// The global generation key.
pub(crate) const GLOBAL_GENERATION: &str = "pos:report:gen";

/// The generation key of the names that label rows (every answer embeds it too).
pub(crate) const LABELS_GENERATION: &str = "pos:report:gen:labels";

/// The generation key of one merchant's answers.
pub(crate) fn merchant_generation(merchant_id: Uuid) -> String {
    format!("{GLOBAL_GENERATION}:{merchant_id}")
}

/// Makes every cached answer that may include `merchant_ids`' figures unreachable.
pub(crate) async fn invalidate(redis: &RedisPool, merchant_ids: &[Uuid]) -> anyhow::Result<()> {
    let mut connection = redis.get().await?;
    let mut pipe = redis::pipe();
    pipe.incr(GLOBAL_GENERATION, 1).ignore();
    for merchant_id in merchant_ids {
        pipe.incr(merchant_generation(*merchant_id), 1).ignore();
    }
    // Counters never expire: one restarting at 0 could meet an answer stored under an old 0.
    let () = pipe.query_async(&mut *connection).await?;
    Ok(())
}

/// Makes every cached answer unreachable that shows a name (a category was renamed).
pub(crate) async fn invalidate_labels(redis: &RedisPool) -> anyhow::Result<()> {
    let mut connection = redis.get().await?;
    let () = redis::pipe()
        .incr(LABELS_GENERATION, 1)
        .ignore()
        .incr(GLOBAL_GENERATION, 1)
        .ignore()
        .query_async(&mut *connection)
        .await?;
    Ok(())
}

/// Longest wait for Redis before a request is answered without the cache (opening a pooled
/// connection on a loaded host can take a few hundred milliseconds).
const REDIS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Report answers cached in Redis for `ttl_seconds` (0: no caching).
#[derive(Clone)]
pub(crate) struct AnswerCache {
    redis: RedisPool,
    ttl_seconds: u64,
    namespace: String,
}

impl std::fmt::Debug for AnswerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerCache")
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl AnswerCache {
    /// A cache in `redis` whose answers live `ttl_seconds`. `namespace` (the deployment's
    /// `POS_KAFKA_NAMESPACE`) keeps the answers of environments sharing one Redis but not one
    /// database apart (generations may be shared: that only costs misses).
    pub(crate) fn new(redis: RedisPool, ttl_seconds: u64, namespace: &str) -> Self {
        AnswerCache {
            redis,
            ttl_seconds,
            namespace: namespace.to_owned(),
        }
    }

    /// The cached answer of `rpc` for `request` (the effective request: filters already narrowed
    /// to the caller's scope, so callers with the same view share answers), else `compute`'s,
    /// stored. `merchant_id` is the one merchant the request is scoped to, if any: its answers
    /// follow that merchant's generation, others the global one. The generation is read before
    /// computing, so an answer computed while an event is applied is stored under the old
    /// generation and never served after it. Redis failures are logged and the answer computed.
    pub(crate) async fn get_or_compute<M, E, F, Fut>(
        &self,
        rpc: &str,
        merchant_id: Option<Uuid>,
        request: &impl serde::Serialize,
        compute: F,
    ) -> Result<M, E>
    where
        M: prost::Message + Default,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<M, E>>,
    {
        if self.ttl_seconds == 0 {
            return compute().await;
        }
        let generation_key = merchant_id.map_or_else(|| GLOBAL_GENERATION.to_owned(), merchant_generation);
        let key = match self.lookup(rpc, &generation_key, request).await {
            Ok(Lookup::Hit(answer)) => return Ok(answer),
            Ok(Lookup::Miss(key)) => Some(key),
            Err(error) => {
                tracing::warn!(rpc, error = %error, "report cache unavailable; answering without it");
                None
            }
        };
        let answer = compute().await?;
        if let Some(key) = key
            && let Err(error) = self.store(&key, &answer).await
        {
            tracing::warn!(rpc, error = %error, "report answer not cached");
        }
        Ok(answer)
    }

    /// The answer stored for `request` under the current generation, or the key to store it at.
    async fn lookup<M: prost::Message + Default>(
        &self,
        rpc: &str,
        generation_key: &str,
        request: &impl serde::Serialize,
    ) -> anyhow::Result<Lookup<M>> {
        let mut connection = tokio::time::timeout(REDIS_TIMEOUT, self.redis.get()).await??;
        let (generation, labels): (Option<i64>, Option<i64>) = tokio::time::timeout(
            REDIS_TIMEOUT,
            redis::cmd("MGET")
                .arg(generation_key)
                .arg(LABELS_GENERATION)
                .query_async(&mut *connection),
        )
        .await??;
        let key = answer_key(
            &self.namespace,
            rpc,
            generation_key,
            (generation.unwrap_or(0), labels.unwrap_or(0)),
            request,
        )?;
        let cached: Option<Vec<u8>> = tokio::time::timeout(
            REDIS_TIMEOUT,
            redis::cmd("GET").arg(&key).query_async(&mut *connection),
        )
        .await??;
        match cached.map(|bytes| M::decode(bytes.as_slice())) {
            Some(Ok(answer)) => Ok(Lookup::Hit(answer)),
            Some(Err(error)) => {
                tracing::warn!(rpc, error = %error, "undecodable cached report answer; recomputing");
                Ok(Lookup::Miss(key))
            }
            None => Ok(Lookup::Miss(key)),
        }
    }

    /// Stores `answer` at `key` for the TTL.
    async fn store(&self, key: &str, answer: &impl prost::Message) -> anyhow::Result<()> {
        let mut connection = tokio::time::timeout(REDIS_TIMEOUT, self.redis.get()).await??;
        let () = tokio::time::timeout(
            REDIS_TIMEOUT,
            redis::cmd("SET")
                .arg(key)
                .arg(answer.encode_to_vec())
                .arg("EX")
                .arg(self.ttl_seconds)
                .query_async(&mut *connection),
        )
        .await??;
        Ok(())
    }
}

/// What a lookup found.
enum Lookup<M> {
    /// The cached answer.
    Hit(M),
    /// Nothing: the key to store the answer at.
    Miss(String),
}

/// The key of `rpc`'s answer to `request` at `generation` of `generation_key` and `labels` of
/// the labels generation, in `namespace`.
fn answer_key(
    namespace: &str,
    rpc: &str,
    generation_key: &str,
    (generation, labels): (i64, i64),
    request: &impl serde::Serialize,
) -> anyhow::Result<String> {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(serde_json::to_vec(request)?);
    let hash: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
    let scope = generation_key
        .strip_prefix(GLOBAL_GENERATION)
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or("all");
    Ok(format!(
        "pos:report:answer:{namespace}{rpc}:{scope}:{generation}.{labels}:{hash}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_keys_embed_the_scope_and_generations_and_differ_by_request() {
        let merchant = Uuid::now_v7();
        let key = |generation_key: &str, generations, request| {
            answer_key("", "CompareRevenue", generation_key, generations, request).unwrap()
        };
        let owned = key(&merchant_generation(merchant), (7, 2), &("a", 1));
        assert!(owned.starts_with(&format!("pos:report:answer:CompareRevenue:{merchant}:7.2:")));
        let global = key(GLOBAL_GENERATION, (7, 2), &("a", 1));
        assert!(global.starts_with("pos:report:answer:CompareRevenue:all:7.2:"));
        assert_ne!(global, key(GLOBAL_GENERATION, (8, 2), &("a", 1)));
        assert_ne!(global, key(GLOBAL_GENERATION, (7, 3), &("a", 1)));
        assert_ne!(global, key(GLOBAL_GENERATION, (7, 2), &("a", 2)));
        let staging = answer_key("staging.", "CompareRevenue", GLOBAL_GENERATION, (7, 2), &("a", 1)).unwrap();
        assert!(staging.starts_with("pos:report:answer:staging.CompareRevenue:all:7.2:"));
    }
}
