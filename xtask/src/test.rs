//! `cargo xtask test`: everything CI runs, in order, stopping at the first failure.

use std::process::Command;

use anyhow::Result;

use crate::proc::{self, run as sh};
use crate::{broker, codegen, edge, migrate, note, sql_cache, stack, step, tools};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Skip fmt and clippy (for a quick local loop).
    #[arg(long)]
    quick: bool,
}

pub(crate) fn run(args: &Args) -> Result<()> {
    step("contract");
    codegen::run(true)?;
    let buf = tools::buf()?;
    sh(Command::new(&buf).arg("lint"))?;
    sh(Command::new(&buf).args(["format", "--diff", "--exit-code"]))?;
    breaking_check(&buf)?;
    step("OpenAPI document");
    edge::validate_openapi(std::path::Path::new(edge::OPENAPI_FILE))?;

    stack::ensure_postgres()?;
    migrate::apply_all(stack::DEFAULT_DATABASE_URL)?;
    drop_leaked_test_databases()?;
    // Every build below checks each SQL statement against the migrations as they are now.
    let checking = sql_cache::checking_build()?;

    if !args.quick {
        step("formatting and lints");
        sh(Command::new(env!("CARGO")).args(["fmt", "--all", "--", "--check"]))?;
        sh(checking.apply(Command::new(env!("CARGO")).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ])))?;
        sql_cache::verify()?;
    }

    stack::ensure_redis()?;
    std::fs::create_dir_all(stack::RUN_DIR)?;
    broker::ensure_broker(std::path::Path::new(stack::RUN_DIR))?;
    let tansu = broker::tansu()?;
    let grpcurl = tools::grpcurl()?;
    let envoy = tools::envoy()?;
    let nginx = tools::nginx()?;
    // The end-to-end tests render the edge's configurations with this very binary.
    let xtask = std::env::current_exe()?;

    step("tests");
    sh(checking
        .apply(&mut Command::new(env!("CARGO")))
        .args([
            "test",
            "--workspace",
            "--all-targets",
            "--no-fail-fast",
            "--quiet",
        ])
        .env(
            "POS_TEST_DATABASE_URL",
            "postgres://pos:pos@127.0.0.1:5432/postgres",
        )
        .env("POS_TEST_REDIS_URL", stack::DEFAULT_REDIS_URL)
        .env("POS_TEST_KAFKA_BROKERS", broker::BROKER_ADDR)
        .env("POS_TEST_TANSU", tansu)
        .env("POS_GRPCURL", grpcurl)
        .env("POS_TEST_ENVOY", envoy)
        .env("POS_TEST_NGINX", nginx)
        .env("POS_TEST_XTASK", xtask)
        .env("RUST_BACKTRACE", "0"))?;
    if args.quick {
        sql_cache::verify()?;
    }
    step("all checks passed");
    Ok(())
}

/// `buf breaking` (WIRE_JSON) against the previous commit, when it had a contract.
fn breaking_check(buf: &std::path::Path) -> Result<()> {
    let previous = proc::output(Command::new("git").args(["rev-parse", "--verify", "--quiet", "HEAD~1"]));
    let has_contract = previous.is_ok()
        && proc::output(Command::new("git").args(["cat-file", "-e", "HEAD~1:buf.yaml"])).is_ok();
    if !has_contract {
        note("buf breaking: the previous commit has no contract; nothing to compare");
        return Ok(());
    }
    sh(Command::new(buf).args(["breaking", "--against", ".git#ref=HEAD~1"]))
}

/// Removes `pos_test_*` databases that failed tests left behind.
fn drop_leaked_test_databases() -> Result<()> {
    if !proc::is_root() {
        return Ok(());
    }
    let leaked = proc::output(Command::new("runuser").args([
        "-u",
        "postgres",
        "--",
        "psql",
        "-tAc",
        "SELECT datname FROM pg_database WHERE datname LIKE 'pos_test_%'",
    ]))?;
    for name in leaked.lines().map(str::trim).filter(|name| !name.is_empty()) {
        proc::output(Command::new("runuser").args([
            "-u",
            "postgres",
            "--",
            "psql",
            "-tAc",
            &format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#),
        ]))?;
    }
    Ok(())
}
