//! `ringside run`.

use std::process::ExitCode;

use clap::Args;

/// Flags of `ringside run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Database the stacks use.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub db: crate::db::DbKind,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`ringside run` is not built yet")
}
