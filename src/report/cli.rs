//! `ringside report`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// Flags of `ringside report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The results file written by `ringside run`.
    pub results: PathBuf,
    /// Folder for report.html and summary.md (default: beside the results file).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`ringside report` is not built yet")
}
