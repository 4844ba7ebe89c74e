mod codegen;
use std::path::PathBuf;
fn main() -> anyhow::Result<()> {
    std::env::set_current_dir(project_root())?;
    codegen::run(std::env::args().any(|a| a == "--check"))
}
fn project_root() -> PathBuf { PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf() }
#[allow(clippy::print_stdout)]
fn step(message: impl std::fmt::Display) { println!("==> {message}"); }
#[allow(clippy::print_stdout)]
fn note(message: impl std::fmt::Display) { println!("    {message}"); }
