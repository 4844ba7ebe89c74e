//! The `pos` binary's library half: the composition root that turns a [`Config`] into a running
//! process serving the chosen modules. `main.rs` only parses arguments and waits for a signal.
//!
//! [`Config`]: pos_platform::Config

mod admin;
mod events;
mod grpc;
mod modules;
mod running;
mod seed;

pub use running::{RunningPos, start};
pub use seed::{SeedReport, StepOutcome, seed};
