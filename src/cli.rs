//! The command line: one clap struct per subcommand, each owned by the module
//! that runs it. Validation into configs happens in those modules.

use clap::{Parser, Subcommand};

/// Node.js or Python for your backend? Measured, not argued.
#[derive(Debug, Parser)]
#[command(name = "ringside", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Drive HTTP/1.1 or WebSocket load at a URL (closed or open loop).
    Load(crate::load::cli::LoadArgs),
    /// Install, launch, verify and measure the stacks on a suite of scenarios.
    Run(crate::suite::cli::RunArgs),
    /// List the stacks and whether each runtime is present.
    Stacks(crate::stack::cli::StacksArgs),
    /// Install the stacks' dependencies (cached by lockfile hash).
    Setup(crate::stack::cli::SetupArgs),
    /// Check that stacks (or a running server) conform to the workload contract.
    Verify(crate::verify::cli::VerifyArgs),
    /// Write the HTML report and Markdown summary of a results file.
    Report(crate::report::cli::ReportArgs),
    /// Rank the measured stacks for a project profile.
    Recommend(crate::verdict::cli::RecommendArgs),
    /// Show what changed between two results files.
    Compare(crate::verdict::cli::CompareArgs),
    /// Merge agents' load reports exactly (their HdrHistograms added).
    Merge(crate::merge::MergeArgs),
    /// Write Kubernetes manifests that run the load generator as N agents.
    K8s(crate::k8s::K8sArgs),
}
