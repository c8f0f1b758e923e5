//! The results file (`results.json`, schema `schema/results.schema.json`,
//! version [`RESULTS_SCHEMA`]): everything a run measured, raw enough that
//! reports can be redrawn. Rewritten atomically after every measured point.
//!
//! Fields may be added within a version; names and units do not change.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::DbKind;
use crate::load::report::{LoadReport, WsReport};
use crate::scenario::Scenario;

/// Identifies the JSON schema of [`Results`].
pub const RESULTS_SCHEMA: &str = "ringside.results/1";

/// One run of `ringside run`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    /// Always [`RESULTS_SCHEMA`].
    pub schema: String,
    pub ringside_version: String,
    pub started_at: DateTime<Utc>,
    /// `None` while running or when interrupted (then `--resume` continues).
    pub finished_at: Option<DateTime<Utc>>,
    /// The argv that reproduces this run.
    pub command: Vec<String>,
    pub machine: Machine,
    pub settings: Settings,
    pub stacks: Vec<StackRecord>,
    /// Every measured point, in the order measured.
    pub points: Vec<Point>,
    /// Capacity-at-SLO searches.
    pub capacity: Vec<CapacityRecord>,
    /// Run-level problems that did not stop the run (database unavailable, ...).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The machine the run was measured on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Machine {
    pub hostname: String,
    pub os: String,
    pub kernel: String,
    pub cpu_model: String,
    pub cores: usize,
    pub memory_bytes: u64,
}

/// The exact settings of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// `quick`, `full` or `custom`.
    pub suite: String,
    pub scenarios: Vec<Scenario>,
    pub stacks: Vec<String>,
    pub db: DbKind,
    pub trials: u32,
    /// Measured window of each point, seconds.
    pub duration_s: f64,
    /// Warm-up before each scenario, seconds.
    pub warmup_s: f64,
    /// Closed-loop connection counts for peak throughput.
    pub concurrency: Vec<usize>,
    /// Open-loop offered rates for latency at fixed rates, requests/s (same for every stack).
    pub fixed_rates_rps: Vec<f64>,
    /// p99 latency objective for capacity searches, milliseconds.
    pub slo_ms: f64,
    pub server_cpus: Vec<usize>,
    pub generator_cpus: Vec<usize>,
    /// N of the `workers` scenario (1 vs N).
    pub workers_n: u32,
    /// Connections of the `io` scenario.
    pub io_connections: usize,
    /// Connections of the `idle` scenario.
    pub idle_connections: usize,
    /// Per-scenario offered rates (scenario name -> requests/s) overriding
    /// `fixed_rates_rps`; the same for every stack.
    #[serde(default)]
    pub fixed_rates_by_scenario: BTreeMap<String, Vec<f64>>,
    /// Connections of the open-loop (fixed-rate and capacity) points.
    #[serde(default)]
    pub open_connections: usize,
    /// Endpoint scenarios the `workers` scenario scales (1 vs N workers).
    #[serde(default)]
    pub workers_scenarios: Vec<Scenario>,
    /// Most steps of one capacity search.
    #[serde(default)]
    pub capacity_max_steps: u32,
    /// Measured window of one capacity step, seconds.
    #[serde(default)]
    pub capacity_step_s: f64,
    /// Bring-your-own server measured instead of (or beside) the stacks.
    #[serde(default)]
    pub url: Option<String>,
    /// Anything else (ws-chat settings, ...), by name.
    #[serde(default)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// One stack as run: identity, versions, status, and the per-stack scenarios.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StackRecord {
    /// `base` or `base@variant` (a deployment variant, `spec/stack-manifest.md`).
    pub name: String,
    /// The manifest's name: the same for every deployment of one stack.
    #[serde(default)]
    pub base: Option<String>,
    /// The deployment variant (`sync`, `asgi`, ...); `None`: the default deployment.
    #[serde(default)]
    pub variant: Option<String>,
    /// The runtime by name (`node`, `bun`, `deno`, `cpython`, `rust`, ...).
    #[serde(default)]
    pub runtime: Option<String>,
    /// `javascript`, `python`, `rust`, `other`.
    pub language: String,
    pub framework: String,
    pub runtime_version: Option<String>,
    /// Installed packages and versions (from the lockfile / pip freeze / Cargo.lock).
    #[serde(default)]
    pub packages: BTreeMap<String, String>,
    pub db_driver: Option<String>,
    pub status: StackStatus,
    /// Scenarios that failed verification, with the reason (not measured).
    #[serde(default)]
    pub verify_failures: BTreeMap<String, String>,
    /// Scenarios the stack does not offer, with the reason.
    #[serde(default)]
    pub unsupported: BTreeMap<String, String>,
    /// Launch to first good `/health`, milliseconds, one per trial.
    #[serde(default)]
    pub startup_ms: Vec<f64>,
    pub footprint: Option<Footprint>,
    /// `idle` scenario, one per trial.
    #[serde(default)]
    pub idle: Vec<IdleRecord>,
    /// Crashes and other failures during the run.
    #[serde(default)]
    pub failures: Vec<FailureRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StackStatus {
    Measured,
    /// Not run: runtime missing, not selected for the database, ...
    Skipped {
        reason: String,
    },
    /// Install, start or verification of everything failed.
    Failed {
        stage: String,
        reason: String,
        stderr_tail: Vec<String>,
    },
}

/// Size of a stack's implementation and dependencies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Footprint {
    /// Installed third-party packages (transitively).
    pub dependencies: u32,
    /// Bytes on disk of the installed dependencies.
    pub install_bytes: u64,
    /// Lines of the stack's own source (non-blank).
    pub source_lines: u32,
    pub source_files: u32,
}

/// Memory cost of idle connections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdleRecord {
    /// `http` (keep-alive) or `ws`.
    pub kind: String,
    pub trial: u32,
    pub connections_requested: usize,
    pub connections_open: usize,
    pub rss_before_bytes: u64,
    pub rss_after_bytes: u64,
    /// (after − before) / open connections.
    pub bytes_per_connection: f64,
}

/// A failure during the run (the run went on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureRecord {
    pub scenario: Option<Scenario>,
    pub message: String,
    #[serde(default)]
    pub stderr_tail: Vec<String>,
}

/// What a point measured under which load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PointKind {
    /// Closed loop at a fixed number of connections: peak throughput.
    Peak { connections: usize },
    /// Open loop at a fixed offered rate: latency that compares across stacks.
    FixedRate { rps: f64 },
    /// `io`: many connections against a slow endpoint.
    Io { connections: usize },
    /// `ws-chat` at a fixed message rate.
    Ws {
        clients: usize,
        rooms: usize,
        msg_rate_per_client: f64,
    },
}

/// A flag that makes a figure doubtful; shown beside it in every report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    /// The load generator was busy enough to be the limit.
    GeneratorSaturated { utilization: f64 },
    /// Open loop: the achieved rate fell short of the target.
    RateNotReached { target_rps: f64, achieved_rps: f64 },
    /// Requests failed (connect/read/timeout/check) or WebSocket deliveries were lost.
    Errors { count: u64 },
    /// The server process died during the point.
    ServerCrashed { stderr_tail: Vec<String> },
    /// The server and the generator shared cores.
    SharedCores,
}

/// One measured point: one stack, one scenario, one load, one trial.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Point {
    pub stack: String,
    pub scenario: Scenario,
    /// Path and query requested (`/queries?q=20`); for `workers`, the endpoint scaled.
    pub target: String,
    #[serde(flatten)]
    pub kind: PointKind,
    pub workers: u32,
    /// 1-based trial number.
    pub trial: u32,
    /// HTTP load result (absent for ws points).
    pub load: Option<LoadReport>,
    /// WebSocket result (ws points only).
    pub ws: Option<WsReport>,
    pub server: ServerUsage,
    pub flags: Vec<Flag>,
    /// False when errors, a crash or a failed check make the point unusable;
    /// invalid points are shown but never averaged in.
    pub valid: bool,
}

/// The server's resource use over a point's measured window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerUsage {
    /// Server CPU time (whole process tree), microseconds, over the window.
    pub cpu_us: u64,
    /// cpu_us / completed requests (or delivered messages for ws).
    pub cpu_us_per_req: Option<f64>,
    /// `cgroup` or `proc`: where the CPU figure came from.
    pub cpu_source: String,
    /// RSS of the process tree before the load, bytes.
    pub rss_idle_bytes: u64,
    /// Highest RSS of the process tree sampled during the load, bytes.
    pub rss_peak_bytes: u64,
    /// `io`: requests in flight actually achieved (Little's law: throughput × mean latency).
    pub concurrency_achieved: Option<f64>,
}

/// A capacity-at-SLO search: the highest offered load whose p99 stayed under
/// the SLO with no errors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CapacityRecord {
    pub stack: String,
    pub scenario: Scenario,
    pub workers: u32,
    pub trial: u32,
    pub slo_ms: f64,
    /// `rps` (requests/s) or `clients` (ws-chat).
    pub unit: String,
    /// Highest passing offered load; `None` when even the lowest step failed.
    pub capacity: Option<f64>,
    /// Why the search stopped (`slo`, `errors`, `generator`, `max`).
    pub limited_by: String,
    pub steps: Vec<CapacityStep>,
}

/// One step of a capacity search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityStep {
    pub offered: f64,
    pub achieved: f64,
    pub p99_us: u64,
    pub errors: u64,
    pub passed: bool,
    /// Why a failed step failed: `slo`, `errors`, `generator` or `rate`.
    #[serde(default)]
    pub failed_by: Option<String>,
}
