//! `ringside verify`.

use std::process::ExitCode;

use clap::Args;

/// Flags of `ringside verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Stacks to verify (default: every stack whose runtime is present).
    pub stacks: Vec<String>,
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`ringside verify` is not built yet")
}
