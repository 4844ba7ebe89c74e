//! The statement descriptions behind compile-time checked SQL (`.sqlx/`).
//!
//! `sqlx::query!` and its siblings check each statement, its parameters and its result columns
//! against the schema while the crate compiles. With `DATABASE_URL` set they ask that database;
//! without it they read the statement's description from `.sqlx/` at the workspace root, which is
//! checked in, so a build needs no database. Setting `SQLX_OFFLINE_DIR` while building against a
//! database makes the macros write those descriptions.
//!
//! - `cargo xtask codegen` regenerates `.sqlx/`: a scratch database gets every migration and the
//!   workspace's crates are checked again against it.
//! - `cargo xtask test` builds everything against a freshly migrated scratch database (so every
//!   statement is checked against the migrations as they are now, not as they were when `.sqlx/`
//!   was written) into a scratch directory, and fails when that differs from `.sqlx/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::proc::{self, run as sh};
use crate::{migrate, note, stack, step};

/// The checked-in descriptions, relative to the workspace root.
pub(crate) const CACHE_DIR: &str = ".sqlx";
/// The scratch database statements are checked against: nothing but the migrations.
const SCHEMA_DATABASE: &str = "pos_schema";

/// Where a checking build writes its descriptions.
const CHECK_DIR: &str = "target/sqlx-check";

/// The environment of a build whose macros check against a fresh schema and write to `dir`.
pub(crate) struct CheckingBuild {
    /// `DATABASE_URL`.
    pub(crate) database_url: String,
    /// `SQLX_OFFLINE_DIR` (absolute: the macros run in each crate's directory).
    pub(crate) offline_dir: PathBuf,
}

impl CheckingBuild {
    /// Applies this environment to a cargo command.
    pub(crate) fn apply<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env("DATABASE_URL", &self.database_url)
            .env("SQLX_OFFLINE_DIR", &self.offline_dir)
            .env_remove("SQLX_OFFLINE")
    }
}

/// `cargo xtask codegen`: writes `.sqlx/` anew.
pub(crate) fn regenerate() -> Result<()> {
    step("describing the SQL statements (.sqlx/)");
    let build = prepare(Path::new(CACHE_DIR))?;
    let mut check = Command::new(env!("CARGO"));
    check.args(["check", "--workspace", "--all-targets", "--quiet"]);
    sh(build.apply(&mut check))?;
    note(format!(
        "{} statements",
        descriptions(Path::new(CACHE_DIR))?.len()
    ));
    Ok(())
}

/// A checking build for `cargo xtask test`, writing to a scratch directory; compare with
/// [`verify`] once the build is done.
pub(crate) fn checking_build() -> Result<CheckingBuild> {
    step("SQL statements are checked against a freshly migrated database");
    prepare(Path::new(CHECK_DIR))
}

/// Fails when the descriptions a complete checking build wrote differ from `.sqlx/`.
pub(crate) fn verify() -> Result<()> {
    step("checking .sqlx/ is fresh");
    let written = descriptions(Path::new(CHECK_DIR))?;
    let checked_in = descriptions(Path::new(CACHE_DIR))?;
    let mut stale: Vec<String> = Vec::new();
    for (name, content) in &written {
        if checked_in.get(name) != Some(content) {
            stale.push(format!("{name}: new or changed"));
        }
    }
    for name in checked_in.keys().filter(|name| !written.contains_key(*name)) {
        stale.push(format!("{name}: no statement has it any more"));
    }
    if !stale.is_empty() {
        for line in &stale {
            note(line);
        }
        bail!("{CACHE_DIR}/ is stale: run `cargo xtask codegen` and commit it");
    }
    note(format!(
        "{} statements, all described in {CACHE_DIR}/",
        written.len()
    ));
    Ok(())
}

/// A freshly migrated schema database and an empty `dir`; the workspace's crates are cleaned so
/// the next build expands every macro again.
fn prepare(dir: &Path) -> Result<CheckingBuild> {
    stack::ensure_postgres()?;
    let database_url = fresh_schema_database()?;
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)?;
    let mut clean = Command::new(env!("CARGO"));
    clean.args(["clean", "--quiet"]);
    for package in workspace_packages()? {
        clean.args(["-p", &package]);
    }
    sh(&mut clean)?;
    Ok(CheckingBuild {
        database_url,
        offline_dir: fs::canonicalize(dir)?,
    })
}

/// Drops and re-creates [`SCHEMA_DATABASE`] with every migration applied; its URL.
fn fresh_schema_database() -> Result<String> {
    let server = stack::DEFAULT_DATABASE_URL
        .rsplit_once('/')
        .map_or(stack::DEFAULT_DATABASE_URL, |(server, _)| server);
    let admin_url = format!("{server}/postgres");
    let url = format!("{server}/{SCHEMA_DATABASE}");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            use sqlx::Connection as _;
            let mut admin = sqlx::PgConnection::connect(&admin_url)
                .await
                .context("connecting to PostgreSQL")?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {SCHEMA_DATABASE} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {SCHEMA_DATABASE}")))
                .execute(&mut admin)
                .await?;
            anyhow::Ok(())
        })?;
    migrate::apply_all(&url)?;
    note(format!("{SCHEMA_DATABASE}: every migration applied"));
    Ok(url)
}

/// The workspace's packages but xtask (the running binary).
fn workspace_packages() -> Result<Vec<String>> {
    let metadata =
        proc::output(Command::new(env!("CARGO")).args(["metadata", "--no-deps", "--format-version", "1"]))?;
    let metadata: serde_json::Value = serde_json::from_str(&metadata)?;
    Ok(metadata["packages"]
        .as_array()
        .context("cargo metadata without packages")?
        .iter()
        .filter_map(|package| package["name"].as_str())
        .filter(|name| *name != "xtask")
        .map(str::to_owned)
        .collect())
}

/// The description files in `dir`, by name.
fn descriptions(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut found = BTreeMap::new();
    if !dir.exists() {
        return Ok(found);
    }
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.starts_with("query-") && name.ends_with(".json") {
            found.insert(name, fs::read(&path)?);
        }
    }
    Ok(found)
}
