//! `ringside recommend` and `ringside compare`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// Flags of `ringside recommend`.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// The results file written by `ringside run`.
    pub results: Option<PathBuf>,
}

/// Flags of `ringside compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    pub before: PathBuf,
    pub after: PathBuf,
}

pub fn recommend(args: RecommendArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`ringside recommend` is not built yet")
}

pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`ringside compare` is not built yet")
}
