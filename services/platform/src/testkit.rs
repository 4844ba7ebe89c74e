//! Test kit: a fresh, migrated PostgreSQL database per test, and the Redis and Kafka addresses
//! tests use.
//!
//! Tests run against the real servers `cargo xtask test` starts; the URLs come from
//! `POS_TEST_DATABASE_URL` (a role allowed to create databases, connected to any database) and
//! `POS_TEST_REDIS_URL`, with defaults matching the local stack.

use sqlx::{Connection as _, PgConnection, PgPool};

/// Admin connection URL used to create and drop test databases.
pub fn admin_database_url() -> String {
    std::env::var("POS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://pos:pos@127.0.0.1:5432/postgres".to_owned())
}

/// Redis URL for tests.
pub fn redis_url() -> String {
    std::env::var("POS_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Bootstrap address of the Kafka-protocol broker tests use.
pub fn kafka_brokers() -> String {
    std::env::var("POS_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// Path of the tansu broker binary, for tests that run (and stop) a broker of their own.
pub fn tansu_binary() -> Option<std::path::PathBuf> {
    std::env::var_os("POS_TEST_TANSU").map(std::path::PathBuf::from)
}

/// A database created for one test. Call [`TestDatabase::drop_database`] at the end; databases
/// leaked by failed tests are named `pos_test_*` and removed by the next `cargo xtask test`.
#[derive(Debug)]
pub struct TestDatabase {
    /// Name of the database.
    pub name: String,
    /// Connection URL of the database.
    pub url: String,
    /// A pool connected to it.
    pub pool: PgPool,
}

impl TestDatabase {
    /// Creates an empty database.
    pub async fn empty() -> anyhow::Result<Self> {
        let admin_url = admin_database_url();
        let name = format!("pos_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url).await?;
        let create = format!(r#"CREATE DATABASE "{name}""#);
        sqlx::raw_sql(sqlx::AssertSqlSafe(create))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        let url = replace_database(&admin_url, &name);
        let pool = PgPool::connect(&url).await?;
        Ok(TestDatabase { name, url, pool })
    }

    /// Creates a database with every migration applied.
    pub async fn migrated() -> anyhow::Result<Self> {
        let database = TestDatabase::empty().await?;
        crate::db::MIGRATOR.run(&database.pool).await?;
        Ok(database)
    }

    /// Closes the pool and drops the database.
    pub async fn drop_database(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let mut admin = PgConnection::connect(&admin_database_url()).await?;
        let drop = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
        // FORCE cannot end an autovacuum worker (a superuser backend) for the non-superuser test
        // role; the worker is done within moments, so try again a few times.
        let mut attempts = 0;
        loop {
            match sqlx::raw_sql(sqlx::AssertSqlSafe(drop.clone()))
                .execute(&mut admin)
                .await
            {
                Ok(_) => break,
                Err(sqlx::Error::Database(error))
                    if attempts < 20 && error.message().contains("whose process is being terminated") =>
                {
                    attempts += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        admin.close().await?;
        Ok(())
    }
}

/// `url` with its database name replaced by `database`.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(slash) if slash > "postgres://".len() => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            replace_database("postgres://a:b@h:5432/postgres", "x"),
            "postgres://a:b@h:5432/x"
        );
        assert_eq!(
            replace_database("postgres://a:b@h/postgres?sslmode=disable", "x"),
            "postgres://a:b@h/x?sslmode=disable"
        );
        assert_eq!(
            replace_database("postgres://a:b@h:5432", "x"),
            "postgres://a:b@h:5432/x"
        );
    }
}
