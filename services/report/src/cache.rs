//! The Redis cache of report answers.
//!
//! An answer is stored under a key that embeds a *generation* counter: the generation of its
//! merchant (`pos:report:<ns>gen:<merchant_id>`) when the request is scoped to one merchant, else
//! the global one (`pos:report:<ns>gen`). The ingest bumps the global generation and the
//! generation of every merchant an applied event touched ([`invalidate`]), so an answer computed
//! before an event is never served after it was applied.
//!
//! Names label every row: a cached answer also embeds the *labels* generation
//! (`pos:report:<ns>gen:labels`), which category renames bump ([`invalidate_labels`]); cashier
//! renames bump their merchant's generation.
//!
//! `<ns>` is the deployment's `POS_KAFKA_NAMESPACE`: environments sharing one Redis but not one
//! database never see each other's generations or answers.

use uuid::Uuid;

use pos_platform::redis_pool::RedisPool;

/// The Redis keys of one deployment.
#[derive(Clone, Debug)]
pub(crate) struct Keys {
    namespace: String,
}

impl Keys {
    /// The keys of the deployment whose `POS_KAFKA_NAMESPACE` is `namespace`.
    pub(crate) fn new(namespace: &str) -> Self {
        Keys {
            namespace: namespace.to_owned(),
        }
    }

    /// The global generation.
    fn global(&self) -> String {
        format!("pos:report:{}gen", self.namespace)
    }

    /// The generation of the names that label rows (every answer embeds it too).
    fn labels(&self) -> String {
        format!("pos:report:{}gen:labels", self.namespace)
    }

    /// The generation of one merchant's answers, or the global one.
    fn generation(&self, merchant_id: Option<Uuid>) -> String {
        match merchant_id {
            Some(merchant_id) => format!("pos:report:{}gen:{merchant_id}", self.namespace),
            None => self.global(),
        }
    }

    /// The key of `rpc`'s answer to `request`, scoped to `merchant_id` (or to every merchant), at
    /// `generation` of that scope and `labels` of the labels generation.
    fn answer(
        &self,
        rpc: &str,
        merchant_id: Option<Uuid>,
        (generation, labels): (i64, i64),
        request: &impl serde::Serialize,
    ) -> anyhow::Result<String> {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(serde_json::to_vec(request)?);
        let hash: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
        let scope = merchant_id.map_or_else(|| "all".to_owned(), |id| id.to_string());
        Ok(format!(
            "pos:report:answer:{}{rpc}:{scope}:{generation}.{labels}:{hash}",
            self.namespace
        ))
    }
}

/// Makes every cached answer that may include `merchant_ids`' figures unreachable.
pub(crate) async fn invalidate(redis: &RedisPool, keys: &Keys, merchant_ids: &[Uuid]) -> anyhow::Result<()> {
    let mut connection = redis.get().await?;
    let mut pipe = redis::pipe();
    pipe.incr(keys.global(), 1).ignore();
    for merchant_id in merchant_ids {
        pipe.incr(keys.generation(Some(*merchant_id)), 1).ignore();
    }
    // Counters never expire: one restarting at 0 could meet an answer stored under an old 0.
    let () = pipe.query_async(&mut *connection).await?;
    Ok(())
}

/// Makes every cached answer unreachable that shows a name (a category was renamed).
pub(crate) async fn invalidate_labels(redis: &RedisPool, keys: &Keys) -> anyhow::Result<()> {
    let mut connection = redis.get().await?;
    let () = redis::pipe()
        .incr(keys.labels(), 1)
        .ignore()
        .incr(keys.global(), 1)
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
    keys: Keys,
}

impl std::fmt::Debug for AnswerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerCache")
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl AnswerCache {
    /// A cache in `redis` whose answers live `ttl_seconds`, under `keys`.
    pub(crate) fn new(redis: RedisPool, ttl_seconds: u64, keys: Keys) -> Self {
        AnswerCache {
            redis,
            ttl_seconds,
            keys,
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
        let key = match self.lookup(rpc, merchant_id, request).await {
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
        merchant_id: Option<Uuid>,
        request: &impl serde::Serialize,
    ) -> anyhow::Result<Lookup<M>> {
        let mut connection = tokio::time::timeout(REDIS_TIMEOUT, self.redis.get()).await??;
        let (generation, labels): (Option<i64>, Option<i64>) = tokio::time::timeout(
            REDIS_TIMEOUT,
            redis::cmd("MGET")
                .arg(self.keys.generation(merchant_id))
                .arg(self.keys.labels())
                .query_async(&mut *connection),
        )
        .await??;
        let key = self.keys.answer(
            rpc,
            merchant_id,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_keys_embed_the_scope_and_generations_and_differ_by_request() {
        let merchant = Uuid::now_v7();
        let keys = Keys::new("");
        let key = |scope, generations, request| {
            keys.answer("CompareRevenue", scope, generations, request)
                .unwrap()
        };
        let owned = key(Some(merchant), (7, 2), &("a", 1));
        assert!(owned.starts_with(&format!("pos:report:answer:CompareRevenue:{merchant}:7.2:")));
        let global = key(None, (7, 2), &("a", 1));
        assert!(global.starts_with("pos:report:answer:CompareRevenue:all:7.2:"));
        assert_ne!(global, key(None, (8, 2), &("a", 1)));
        assert_ne!(global, key(None, (7, 3), &("a", 1)));
        assert_ne!(global, key(None, (7, 2), &("a", 2)));
    }

    #[test]
    fn deployments_sharing_a_redis_have_their_own_generations_and_answers() {
        let merchant = Uuid::now_v7();
        let (prod, staging) = (Keys::new(""), Keys::new("staging."));
        assert_eq!(prod.global(), "pos:report:gen");
        assert_eq!(staging.global(), "pos:report:staging.gen");
        assert_eq!(staging.labels(), "pos:report:staging.gen:labels");
        assert_eq!(
            staging.generation(Some(merchant)),
            format!("pos:report:staging.gen:{merchant}")
        );
        assert_ne!(prod.labels(), staging.labels());
        let answer = staging.answer("CompareRevenue", None, (7, 2), &("a", 1)).unwrap();
        assert!(answer.starts_with("pos:report:answer:staging.CompareRevenue:all:7.2:"));
    }
}
