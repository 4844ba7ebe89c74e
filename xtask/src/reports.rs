//! `cargo xtask reports rebuild`: recomputes the report module's rollups from its facts.
//!
//! The rebuild itself is `pos reports rebuild` (`pos_report::rebuild::rebuild`): it speaks the
//! report module's schema, and xtask stays independent of the module crates and the generated
//! code (so that `cargo xtask codegen` works even when that code is broken). xtask builds `pos`
//! and runs it against the same database `cargo xtask migrate` uses.

use std::process::Command;

use anyhow::Result;

use crate::{stack, step};

#[derive(clap::Subcommand, Clone, Copy)]
pub(crate) enum Action {
    /// Truncates every rollup of the report module and recomputes it from the facts (the
    /// module's journal of consumed events) in one transaction; prints the counts and the time.
    Rebuild,
}

pub(crate) fn run(action: Action, database_url: &str) -> Result<()> {
    match action {
        Action::Rebuild => rebuild(database_url),
    }
}

fn rebuild(database_url: &str) -> Result<()> {
    let pos = stack::build_pos()?;
    step("rebuilding the report rollups from the report facts");
    // The URL goes through the environment: `proc::run` echoes arguments, and it may hold a password.
    crate::proc::run(
        Command::new(pos)
            .args(["reports", "rebuild"])
            .env("POS_DATABASE_URL", database_url),
    )
}
