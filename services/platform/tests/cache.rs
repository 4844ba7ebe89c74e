//! The read-through cache against a real Redis: what it promises about staleness.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pos_api::Module;
use pos_platform::cache::ReadThrough;
use pos_platform::redis_pool;
use pos_platform::testkit;
use prost_types::Timestamp;

/// A cache of `Timestamp` values (any prost message will do) with a fresh namespace per test.
fn cache(entity: &str) -> ReadThrough {
    let redis = redis_pool::lazy_pool(&testkit::redis_url()).expect("a Redis URL");
    ReadThrough::new(
        redis,
        Module::Product,
        &format!("test-{entity}-{}", uuid::Uuid::now_v7()),
        Duration::from_secs(60),
    )
}

fn value(seconds: i64) -> Timestamp {
    Timestamp { seconds, nanos: 0 }
}

#[tokio::test]
async fn a_second_read_is_served_from_the_cache() {
    let cache = cache("hit");
    let loads = AtomicUsize::new(0);
    for _ in 0..3 {
        let read = cache
            .get_or_load("a", || async {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(Some(value(1)))
            })
            .await
            .unwrap();
        assert_eq!(read, Some(value(1)));
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1, "only the first read loads");
}

#[tokio::test]
async fn a_read_after_invalidation_loads_again() {
    let cache = cache("invalidate");
    let first = cache
        .get_or_load("a", || async { Ok::<_, ()>(Some(value(1))) })
        .await
        .unwrap();
    assert_eq!(first, Some(value(1)));
    cache.invalidate("a").await;
    let second = cache
        .get_or_load("a", || async { Ok::<_, ()>(Some(value(2))) })
        .await
        .unwrap();
    assert_eq!(
        second,
        Some(value(2)),
        "the old value is unreachable after invalidation"
    );
}

#[tokio::test]
async fn a_load_that_raced_a_write_is_not_cached() {
    // A reader loads the old row, a writer commits and invalidates, then the reader's load
    // returns: the old value must not be cached for readers that come after the write.
    let cache = cache("race");
    let stale = cache
        .get_or_load("a", || async {
            cache.invalidate("a").await; // the write lands while the reader is loading
            Ok::<_, ()>(Some(value(1)))
        })
        .await
        .unwrap();
    assert_eq!(
        stale,
        Some(value(1)),
        "the racing reader itself gets what it loaded"
    );
    let after = cache
        .get_or_load("a", || async { Ok::<_, ()>(Some(value(2))) })
        .await
        .unwrap();
    assert_eq!(
        after,
        Some(value(2)),
        "a read after the write never sees the raced value"
    );
}

#[tokio::test]
async fn not_found_is_not_cached() {
    let cache = cache("missing");
    let missing = cache
        .get_or_load("a", || async { Ok::<Option<Timestamp>, ()>(None) })
        .await
        .unwrap();
    assert_eq!(missing, None);
    let created = cache
        .get_or_load("a", || async { Ok::<_, ()>(Some(value(3))) })
        .await
        .unwrap();
    assert_eq!(created, Some(value(3)));
}

#[tokio::test]
async fn reads_fall_back_to_the_database_when_redis_is_unreachable() {
    let redis = redis_pool::lazy_pool("redis://127.0.0.1:1").expect("a Redis URL");
    let cache = ReadThrough::new(redis, Module::Product, "unreachable", Duration::from_secs(60));
    let read = cache
        .get_or_load("a", || async { Ok::<_, ()>(Some(value(4))) })
        .await
        .unwrap();
    assert_eq!(read, Some(value(4)));
    cache.invalidate("a").await; // logs, does not fail
}

#[tokio::test]
async fn a_load_error_is_returned_and_not_cached() {
    let cache = cache("error");
    let failed = cache
        .get_or_load("a", || async { Err::<Option<Timestamp>, _>("database down") })
        .await;
    assert_eq!(failed, Err("database down"));
    let read = cache
        .get_or_load("a", || async { Ok::<_, ()>(Some(value(5))) })
        .await
        .unwrap();
    assert_eq!(read, Some(value(5)));
}
