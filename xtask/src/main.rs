//! `cargo xtask`: the project's only task runner.
//!
//! Every command prints what it does. Commands that need a tool install it into `.tools/` (npm,
//! PyPI) or from Debian's archive (as root) when it is missing, and say so.

mod bench;
mod broker;
mod codegen;
mod edge;
mod migrate;
mod proc;
mod reports;
mod seed;
mod sql_cache;
mod stack;
mod test;
#[cfg(test)]
mod tidy;
mod tools;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "POS project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerates Rust code, the descriptor set and the OpenAPI/Postman documents from proto/ (with
    /// --check: fails when stale).
    Codegen {
        /// Compare instead of write; exit non-zero when the checked-in output is stale.
        #[arg(long)]
        check: bool,
    },
    /// Applies, reverts or lists database migrations.
    Migrate {
        #[command(subcommand)]
        action: migrate::Action,
        /// Database to migrate.
        #[arg(long, env = "POS_DATABASE_URL", default_value = stack::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Writes idempotent demo data through the public API and prints the credentials.
    Seed(seed::Args),
    /// Operator tasks of the report module (`reports rebuild`: recompute the rollups from the facts).
    Reports {
        #[command(subcommand)]
        action: reports::Action,
        /// Database holding the `reports` schema.
        #[arg(long, env = "POS_DATABASE_URL", default_value = stack::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Runs the platform locally: PostgreSQL, Redis, migrations, then `pos serve`.
    Up(stack::UpArgs),
    /// Stops a stack started with `cargo xtask up --detach`.
    Down,
    /// Runs the edge alone (NGINX → Envoy) in front of `pos` processes that are already running.
    Edge(edge::Args),
    /// Benchmarks: the edge, events, checkout and reports (see each subcommand).
    Bench {
        #[command(subcommand)]
        what: bench::What,
    },
    /// Runs everything CI runs: contract checks, codegen check, fmt, clippy and all tests.
    Test(test::Args),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    std::env::set_current_dir(project_root())?;
    match cli.command {
        Command::Codegen { check: true } => codegen::run(true),
        Command::Codegen { check: false } => {
            codegen::run(false)?;
            sql_cache::regenerate()
        }
        Command::Migrate { action, database_url } => migrate::run(action, &database_url),
        Command::Seed(args) => seed::run(&args),
        Command::Reports { action, database_url } => reports::run(action, &database_url),
        Command::Up(args) => stack::up(&args),
        Command::Down => stack::down(),
        Command::Edge(args) => edge::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Bench { what } => bench::run(&what),
    }
}

/// The workspace root (the parent of `xtask/`).
fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Prints a progress line; xtask talks to a human, so stdout is its interface.
#[allow(clippy::print_stdout)]
fn step(message: impl std::fmt::Display) {
    println!("==> {message}");
}

/// Prints a detail line under the current step.
#[allow(clippy::print_stdout)]
fn note(message: impl std::fmt::Display) {
    println!("    {message}");
}
