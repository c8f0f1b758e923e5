//! `ringside stacks` and `ringside setup`.

use std::process::ExitCode;

use clap::Args;

/// Flags of `ringside stacks`.
#[derive(Debug, Args)]
pub struct StacksArgs {}

/// Flags of `ringside setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Stacks to install (default: every stack whose runtime is present).
    pub stacks: Vec<String>,
}

pub fn list(args: StacksArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`ringside stacks` is not built yet")
}

pub fn setup(args: SetupArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`ringside setup` is not built yet")
}
