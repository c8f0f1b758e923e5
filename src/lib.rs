//! ringside settles "Node.js or Python for my backend?" with measurements.
//!
//! The modules follow the pipeline: [`cli`] (flags) → validated configs →
//! [`stack`] (install, launch, sample, stop) with [`db`] → [`verify`] →
//! [`load`] (the load generator) → [`suite`] (trials, stats, results) →
//! [`report`] (one exporter a format) → [`verdict`] (claims, recommendation).

pub mod cli;
pub mod command;
pub mod db;
pub mod error;
pub mod exit;
pub mod input;
pub mod k8s;
pub mod load;
pub mod merge;
pub mod net;
pub mod proc;
pub mod report;
pub mod results;
pub mod scenario;
pub mod stack;
pub mod stats;
pub mod suite;
pub mod verdict;
pub mod verify;

use std::process::ExitCode;

use cli::{Cli, Command};

/// Runs one parsed command line; `main` only prints the error and picks the exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    proc::guard::install_signal_handler();
    suite::events::survive_file_size_limit();
    // Commands that launch processes first stop what a ringside killed
    // outright left running, then hold a run lock of their own.
    let launches = match &cli.command {
        Command::Run(_) => Some("run"),
        Command::Verify(_) => Some("verify"),
        Command::Setup(_) => Some("setup"),
        _ => None,
    };
    let _lock = match launches {
        Some(name) => {
            proc::reaper::reap_stale_and_say();
            match proc::lock::acquire(name) {
                Ok(lock) => Some(lock),
                Err(e) => {
                    eprintln!(
                        "warning: no run lock (what this run leaves if killed is not found later): {e:#}"
                    );
                    None
                }
            }
        }
        None => None,
    };
    let result = match cli.command {
        Command::Load(args) => load::cli::run(args),
        Command::Run(args) => command::run::run(args),
        Command::Stacks(args) => stack::cli::list(args),
        Command::Setup(args) => stack::cli::setup(args),
        Command::Verify(args) => verify::cli::run(args),
        Command::Report(args) => report::cli::run(args),
        Command::Recommend(args) => verdict::cli::recommend(args),
        Command::Compare(args) => verdict::cli::compare(args),
        Command::Merge(args) => merge::run(args),
        Command::K8s(args) => k8s::run(args),
    };
    proc::guard::exit_if_interrupted();
    result
}
