//! `ringside run`: flags, validated into a [`SuiteConfig`](super::config::SuiteConfig);
//! the command itself (which also writes the reports) is `crate::command::run`.

use clap::Args;
use std::path::PathBuf;

/// Flags of `ringside run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// A short look: plaintext, json, db, io, cpu, startup, footprint; one
    /// trial of every stack — too thin for verdicts (the claims say so).
    #[arg(long, conflicts_with = "full")]
    pub quick: bool,
    /// Every scenario, several trials, longer points.
    #[arg(long)]
    pub full: bool,
    /// Scenarios to run (comma separated), e.g. `json,io,idle`.
    #[arg(long, value_delimiter = ',')]
    pub scenarios: Vec<String>,
    /// Built-in stacks to run (comma separated; default: all).
    #[arg(long, value_delimiter = ',')]
    pub stacks: Vec<String>,
    /// Also run the stack of this manifest (repeatable).
    #[arg(long = "stack", value_name = "STACK_TOML")]
    pub extra_stacks: Vec<PathBuf>,
    /// Measure an already-running server (loopback) instead of the stacks.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// With --url: the server's process id, to measure its CPU and memory.
    #[arg(long, requires = "url")]
    pub pid: Option<u32>,
    /// Database the stacks use.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub db: crate::db::DbKind,
    /// Results folder (default: ringside-results/<timestamp>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the interrupted run in DIR (its settings are reused).
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub resume: Option<PathBuf>,
    /// Replace the run already in the --out folder (else it is refused).
    #[arg(long)]
    pub force: bool,
    /// Measure only this shard of the stacks: `I/N` (0-based) takes the
    /// stacks at positions I, I+N, I+2N, … of the selection, every one in
    /// every round (no screening). `ringside merge` of the shards' folders
    /// (`--out DIR`) gives one run.
    #[arg(long, value_name = "I/N", conflicts_with = "url")]
    pub shard: Option<String>,
    /// Split the stacks over N shards, this one taking its index from
    /// JOB_COMPLETION_INDEX (a Kubernetes Indexed Job pod; see `ringside k8s run`).
    #[arg(long, value_name = "N", conflicts_with_all = ["url", "shard"])]
    pub shards: Option<u32>,
    /// When the run ends, print its results.json on standard output after a
    /// line `==> results.json <==`, so `ringside merge` can take the run from
    /// a captured output (a pod's `kubectl logs`).
    #[arg(long)]
    pub emit_results: bool,
    /// Timing, load shape and core pinning.
    #[command(flatten)]
    pub tuning: Box<Tuning>,
    /// Runtimes: Node.js versions, Python interpreters.
    #[command(flatten)]
    pub runtimes: crate::stack::bind::RuntimeArgs,
    /// Plain progress lines even on a terminal.
    #[arg(long)]
    pub plain: bool,
    /// Waiting for another ringside measuring on this machine.
    #[command(flatten)]
    pub machine: crate::proc::machine_lock::MachineFlags,
}

/// Flags of `ringside run` that shape the measurements.
#[derive(Debug, Clone, Args)]
pub struct Tuning {
    /// Recorded window of one slice (e.g. `2s`; default 1 s, --quick and --full 2 s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Ceiling of each warm-up to steady state (e.g. `20s`; default 15 s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub warmup: Option<std::time::Duration>,
    /// Trials: rounds of the run, each a fresh launch of every stack
    /// (default run: the finalists' rounds after the screening, default 2;
    /// --quick 1; --full and --scenarios 3).
    #[arg(long)]
    pub trials: Option<u32>,
    /// Slices per trial of each peak load, interleaved between the stacks
    /// (default 2; --quick 1; --full 3).
    #[arg(long)]
    pub slices: Option<u32>,
    /// p99 objective of the capacity search, milliseconds.
    #[arg(long, default_value_t = 100.0)]
    pub slo: f64,
    /// Steps of each capacity-at-SLO search (0: no search; default 4, --quick 0, --full 8); from 3
    /// up, a stack's first search takes one more and later trials' searches, seeded from the
    /// earlier bracket, one fewer.
    #[arg(long)]
    pub capacity_steps: Option<u32>,
    /// Closed-loop connection counts for peak throughput (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub concurrency: Vec<usize>,
    /// Offered rates (requests/s) for latency at fixed rates, for every scenario.
    #[arg(long, value_delimiter = ',')]
    pub rates: Vec<f64>,
    /// Cores the server is pinned to (default: core 0).
    #[arg(long, value_delimiter = ',')]
    pub server_cpus: Vec<usize>,
    /// Cores the load generator is pinned to (default: the other cores).
    #[arg(long, value_delimiter = ',')]
    pub generator_cpus: Vec<usize>,
    /// N of the `workers` scenario (default: number of cores).
    #[arg(long)]
    pub workers_n: Option<u32>,
    /// Connections of the `io` scenario.
    #[arg(long, default_value_t = DEFAULT_IO_CONNECTIONS)]
    pub io_connections: usize,
    /// Idle keep-alive connections of the `idle` scenario.
    #[arg(long, default_value_t = 2000)]
    pub idle_connections: usize,
    /// Wall-clock time of the whole run, from its start (installs, checks
    /// and planned rounds included): the planned rounds always run, then
    /// further rounds of the cells that decide the claims still undecided,
    /// while they fit (default run: 10m; other runs add rounds only with
    /// this flag or --until-decided).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub budget: Option<std::time::Duration>,
    /// Add rounds until every claim is decided, within --budget (default 1h).
    #[arg(long)]
    pub until_decided: bool,
}

/// Connections of the `io` scenario by default: each request waits 50 ms,
/// so a closed loop of N connections caps every stack at N / 0.05 s req/s.
/// At 1024 the cap (20,480 req/s) is far above what a Python server serves
/// on one core (a few thousand) and near what Node.js does, so the ratio K2
/// reads shows what each stack copes with, not the cap: at 256 (5,120 req/s)
/// node-http and python-fastapi both sat near it and K2's ratio sat on its
/// 1.1× threshold by construction.
pub const DEFAULT_IO_CONNECTIONS: usize = 1024;

/// The line before a run's results.json in `--emit-results` output; `ringside
/// merge` takes the JSON after its last occurrence.
pub const RESULTS_MARKER: &str = "==> results.json <==";

/// Prints `file` after [`RESULTS_MARKER`] on standard output, if it exists.
pub fn emit_results(file: &std::path::Path) {
    use std::io::Write as _;
    let Ok(text) = std::fs::read_to_string(file) else {
        return;
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{RESULTS_MARKER}");
    let _ = out.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = writeln!(out);
    }
    let _ = out.flush();
}
