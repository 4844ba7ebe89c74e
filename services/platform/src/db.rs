//! PostgreSQL: the pool every module shares (each module reads and writes only its own schema)
//! and the migrations under `migrations/`.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

/// Every migration of every module, embedded at build time from `migrations/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// A pool that connects on first use, so a process starts (and reports not-ready) while the
/// database is down instead of crashing.
pub fn lazy_pool(url: &str, max_connections: u32, acquire_timeout: Duration) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .connect_lazy(url)
}

/// Whether the database answers a trivial query.
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!("SELECT 1 AS one")
        .fetch_one(pool)
        .await
        .map(|_| ())
}

/// Whether a database error means PostgreSQL is unreachable or overloaded (answer UNAVAILABLE:
/// a retry may succeed) rather than a bug or a constraint (INTERNAL or a domain error).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(database) => database.code().is_some_and(|code| {
            // Class 08: connection exceptions; 53: out of connections or resources; 57P0x: the
            // server is shutting down or starting.
            code.starts_with("08")
                || code.starts_with("53")
                || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// The name of the constraint a unique violation hit, if `error` is one.
pub fn unique_violation(error: &sqlx::Error) -> Option<&str> {
    let database = error.as_database_error()?;
    (database.code().as_deref() == Some("23505"))
        .then(|| database.constraint())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_or_exhausted_database_is_unavailable_and_a_missing_row_is_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::PoolClosed));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert_eq!(unique_violation(&sqlx::Error::RowNotFound), None);
    }
}
