//! `cargo xtask migrate up|down|status`, reading `migrations/` at run time.

use std::path::Path;

use anyhow::{Context, Result};
use sqlx::migrate::Migrator;
use sqlx::{Connection as _, PgConnection};

use crate::{note, step};

#[derive(clap::Subcommand, Clone, Copy)]
pub(crate) enum Action {
    /// Applies every pending migration.
    Up,
    /// Reverts the most recent migrations.
    Down {
        /// How many migrations to revert.
        #[arg(long, default_value_t = 1)]
        steps: usize,
    },
    /// Lists every migration and whether it is applied.
    Status,
}

pub(crate) fn run(action: Action, database_url: &str) -> Result<()> {
    runtime()?.block_on(async {
        match action {
            Action::Up => up(database_url).await,
            Action::Down { steps } => down(database_url, steps).await,
            Action::Status => status(database_url).await,
        }
    })
}

/// Applies every pending migration (used by `up` and `test` too).
pub(crate) fn apply_all(database_url: &str) -> Result<()> {
    runtime()?.block_on(up(database_url))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

async fn migrator() -> Result<Migrator> {
    Migrator::new(Path::new("migrations"))
        .await
        .context("reading migrations/")
}

async fn connect(database_url: &str) -> Result<PgConnection> {
    PgConnection::connect(database_url)
        .await
        .context("connecting to the database")
}

async fn applied_versions(connection: &mut PgConnection) -> Result<Vec<i64>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *connection)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *connection)
            .await?,
    )
}

async fn up(database_url: &str) -> Result<()> {
    step("applying migrations");
    let migrator = migrator().await?;
    let mut connection = connect(database_url).await?;
    let before = applied_versions(&mut connection).await?.len();
    migrator
        .run(&mut connection)
        .await
        .context("applying migrations")?;
    let after = applied_versions(&mut connection).await?.len();
    note(format!("{} applied now, {} in all", after - before, after));
    Ok(())
}

async fn down(database_url: &str, steps: usize) -> Result<()> {
    step(format!("reverting {steps} migration(s)"));
    let migrator = migrator().await?;
    let mut connection = connect(database_url).await?;
    let applied = applied_versions(&mut connection).await?;
    let keep = applied.len().saturating_sub(steps);
    let target = if keep == 0 { 0 } else { applied[keep - 1] };
    migrator
        .undo(&mut connection, target)
        .await
        .context("reverting migrations")?;
    note(format!("{} reverted", applied.len() - keep));
    Ok(())
}

#[allow(clippy::print_stdout)]
async fn status(database_url: &str) -> Result<()> {
    let migrator = migrator().await?;
    let mut connection = connect(database_url).await?;
    let applied = applied_versions(&mut connection).await?;
    for migration in migrator.iter().filter(|m| m.migration_type.is_up_migration()) {
        let state = if applied.contains(&migration.version) {
            "applied"
        } else {
            "pending"
        };
        println!("{:>16}  {state:<8} {}", migration.version, migration.description);
    }
    Ok(())
}
