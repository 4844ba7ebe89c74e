//! `cargo xtask seed`: runs `pos seed` against a running platform. The seed itself lives in the
//! `pos` binary because it speaks the contract; xtask stays independent of the generated code so
//! that `cargo xtask codegen` works even when that code is broken.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::{note, stack, step};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// gRPC address of the running platform.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    target: String,
}

pub(crate) fn run(args: &Args) -> Result<()> {
    let pos = stack::build_pos()?;
    seed(&pos, &args.target, "").map(|_| ())
}

/// Runs the seed; `Ok(true)` when every step is done.
fn seed(pos: &Path, target: &str, upstreams: &str) -> Result<bool> {
    step(format!("seeding demo data through {target}"));
    let status = Command::new(pos)
        .args(["seed", "--target", target, "--upstreams", upstreams])
        .status()?;
    match status.code() {
        Some(0) => Ok(true),
        Some(3) => {
            note("partial seed: run `cargo xtask seed` again once the missing modules are built");
            Ok(false)
        }
        _ => anyhow::bail!("seeding failed ({status})"),
    }
}

/// Seeds on the first `cargo xtask up` of a checkout (a marker in `.run/` remembers it);
/// `upstreams` locates modules served by other processes than `target`.
pub(crate) fn first_run(pos: &Path, target: &str, upstreams: &str) -> Result<()> {
    let marker = Path::new(".run/seeded");
    if marker.exists() {
        note("demo data seeded earlier (delete .run/seeded to seed again)");
        return Ok(());
    }
    if seed(pos, target, upstreams)? {
        std::fs::write(marker, "")?;
    }
    Ok(())
}
