//! The migrations under `migrations/`, applied to a fresh PostgreSQL database per test: they apply,
//! revert and re-apply; each module gets its own schema with the event and idempotency tables; and
//! no table of one module references a table of another.
//!
//! Each test body returns a `Result` so the database is dropped whatever it found.

use std::collections::BTreeSet;
use std::future::Future;

use anyhow::{Context as _, ensure};
use pos_api::Module;
use pos_platform::db::MIGRATOR;
use pos_platform::testkit::TestDatabase;
use sqlx::PgPool;

/// Every migration applies, all of them revert leaving no module schema, and they apply again.
#[tokio::test]
async fn migrations_apply_revert_completely_and_apply_again() {
    with_database(TestDatabase::empty(), |pool| async move {
        MIGRATOR.run(&pool).await.context("first apply")?;
        ensure!(
            module_schemas_present(&pool).await? == all_module_schemas(),
            "after applying, every module schema exists"
        );

        MIGRATOR
            .undo(&pool, 0)
            .await
            .context("reverting every migration")?;
        let left = module_schemas_present(&pool).await?;
        ensure!(left.is_empty(), "reverting left module schemas behind: {left:?}");
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await?;
        ensure!(applied == 0, "{applied} migrations still recorded as applied");

        MIGRATOR
            .run(&pool)
            .await
            .context("applying again after reverting")?;
        ensure!(
            module_schemas_present(&pool).await? == all_module_schemas(),
            "after applying again, every module schema exists"
        );
        Ok(())
    })
    .await;
}

/// Every module has its own schema holding the tables `outbox`, `inbox` and `idempotency_keys`.
#[tokio::test]
async fn every_module_schema_holds_outbox_inbox_and_idempotency_keys() {
    with_database(TestDatabase::migrated(), |pool| async move {
        for module in Module::ALL {
            let tables: BTreeSet<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
            )
            .bind(module.schema())
            .fetch_all(&pool)
            .await?
            .into_iter()
            .collect();
            for table in ["outbox", "inbox", "idempotency_keys"] {
                ensure!(
                    tables.contains(table),
                    "schema `{}` of module {module} has no table `{table}` (it has {tables:?})",
                    module.schema()
                );
            }
        }
        Ok(())
    })
    .await;
}

/// No foreign key crosses schemas: modules share nothing in the database.
#[tokio::test]
async fn no_foreign_key_crosses_module_schemas() {
    with_database(TestDatabase::migrated(), |pool| async move {
        let crossing = cross_schema_foreign_keys(&pool).await?;
        ensure!(crossing.is_empty(), "foreign keys crossing schemas: {crossing:?}");

        // The query sees a crossing key when there is one.
        sqlx::raw_sql(
            "CREATE TABLE categories.fk_probe_target (id integer PRIMARY KEY); \
             CREATE TABLE orders.fk_probe (target integer REFERENCES categories.fk_probe_target (id));",
        )
        .execute(&pool)
        .await?;
        let crossing = cross_schema_foreign_keys(&pool).await?;
        ensure!(
            crossing
                == vec![(
                    "orders.fk_probe".to_owned(),
                    "categories.fk_probe_target".to_owned()
                )],
            "the probe key was not found as the only crossing key: {crossing:?}"
        );
        Ok(())
    })
    .await;
}

/// Creates a database with `create`, runs `test` on its pool, drops the database, then fails if
/// `test` did.
async fn with_database<Test, Body>(create: impl Future<Output = anyhow::Result<TestDatabase>>, test: Test)
where
    Test: FnOnce(PgPool) -> Body,
    Body: Future<Output = anyhow::Result<()>>,
{
    let database = create.await.expect("creating a test database");
    let outcome = test(database.pool.clone()).await;
    database
        .drop_database()
        .await
        .expect("dropping the test database");
    outcome.unwrap();
}

fn all_module_schemas() -> BTreeSet<String> {
    Module::ALL
        .iter()
        .map(|module| module.schema().to_owned())
        .collect()
}

/// The module schemas that exist in the database.
async fn module_schemas_present(pool: &PgPool) -> anyhow::Result<BTreeSet<String>> {
    let wanted: Vec<String> = all_module_schemas().into_iter().collect();
    let present: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname = ANY($1)")
            .bind(wanted)
            .fetch_all(pool)
            .await?;
    Ok(present.into_iter().collect())
}

/// `(referencing table, referenced table)` of every foreign key whose two tables are in different
/// schemas.
async fn cross_schema_foreign_keys(pool: &PgPool) -> anyhow::Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT source_ns.nspname || '.' || source.relname, target_ns.nspname || '.' || target.relname \
         FROM pg_constraint c \
         JOIN pg_class source ON source.oid = c.conrelid \
         JOIN pg_namespace source_ns ON source_ns.oid = source.relnamespace \
         JOIN pg_class target ON target.oid = c.confrelid \
         JOIN pg_namespace target_ns ON target_ns.oid = target.relnamespace \
         WHERE c.contype = 'f' AND source_ns.oid <> target_ns.oid \
         ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await?)
}
