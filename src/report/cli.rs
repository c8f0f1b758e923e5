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
    /// Also print the terminal tables and the claims (as `ringside run` does at its end).
    #[arg(long)]
    pub print: bool,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let results = super::read_results(&args.results)?;
    let out = match args.out {
        Some(dir) => dir,
        None => args
            .results
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    p.to_path_buf()
                }
            })
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    if args.print {
        print!("{}", super::terminal::render(&results));
    }
    let (html, md) = super::write_reports(&results, &out)?;
    println!("wrote {}", html.display());
    println!("wrote {}", md.display());
    Ok(ExitCode::SUCCESS)
}
