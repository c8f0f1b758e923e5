//! The results file (`results.json`, schema `schema/results.schema.json`,
//! version [`RESULTS_SCHEMA`]): everything a run measured, raw enough that
//! reports can be redrawn. Rewritten atomically after every measured point.
//!
//! Fields may be added within a version; names and units do not change.
//! The results types sit below both the harness that writes them and the
//! verdict and exporters that read them ([`read`], [`validate`]).

pub mod capacity;
pub mod idle;
pub mod merge;
mod plan_fit;
pub mod read;
pub mod validate;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::DbKind;
use crate::load::report::{LoadReport, WsReport};
use crate::scenario::Scenario;

/// Identifies the JSON schema of [`Results`]. Version 2 added rounds of
/// interleaved trials (`rounds`), slices within a trial (`Point::slice`),
/// warm-up to steady state (`warmups`, flag `unsettled`), fresh-process
/// memory, cores used and the memory kind.
pub const RESULTS_SCHEMA: &str = "ringside.results/2";

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
    /// The rounds of the run as planned and as run: which stacks, why.
    #[serde(default)]
    pub rounds: Vec<RoundRecord>,
    /// Warm-ups to steady state, one per stack launch and scenario.
    #[serde(default)]
    pub warmups: Vec<WarmupRecord>,
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
    /// `standard` (the default: screening then final), `quick`, `full` or `custom`.
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
    /// How the rounds are laid out.
    #[serde(default)]
    pub plan: PlanSettings,
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
    /// Threads serving requests in each worker process (`[start] threads`; 1: an event loop).
    #[serde(default)]
    pub threads: Option<u32>,
    /// The workers are threads of one process, not processes (granian on a
    /// free-threaded Python): `workers` at N is one process's N threads.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub worker_threads: bool,
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
    /// Memory of the freshly launched server (after its first good
    /// response, before any load), bytes, one per launch of the main server.
    #[serde(default)]
    pub rss_fresh_bytes: Vec<u64>,
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

/// The kind of an idle connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdleKind {
    /// A keep-alive HTTP/1.1 connection after one request.
    #[default]
    Http,
    /// A WebSocket chat client that joined a room and stays silent.
    Ws,
}

impl IdleKind {
    pub fn name(self) -> &'static str {
        match self {
            IdleKind::Http => "http",
            IdleKind::Ws => "ws",
        }
    }
}

/// Memory cost of idle connections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdleRecord {
    pub kind: IdleKind,
    pub trial: u32,
    pub connections_requested: usize,
    pub connections_open: usize,
    pub rss_before_bytes: u64,
    pub rss_after_bytes: u64,
    /// Memory after the first half of the connections (absent in files
    /// written before the two-stage measurement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_mid_bytes: Option<u64>,
    /// Connections open after the first half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections_open_mid: Option<usize>,
    /// (after − mid) / connections the second half added; (after − before) /
    /// open connections when the second half added fewer than a quarter of
    /// those asked for (or in files without a mid sample).
    pub bytes_per_connection: f64,
}

/// A failure during the run (the run went on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureRecord {
    pub scenario: Option<Scenario>,
    /// The trial it cost, when it cost one (a planned point left unmeasured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial: Option<u32>,
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
    /// The warm-up before this point reached its ceiling without the
    /// throughput (or CPU per request) settling.
    Unsettled { after_s: f64 },
    /// A merged sharded run whose shards ran on machines of different
    /// hardware (`machines` kinds): figures across them compare the hardware too.
    MixedHardware { machines: u32 },
    /// The server completed next to nothing for a while inside the window
    /// (`crate::stats::stall`'s rule). A first such window is invalid and
    /// measured again; when the re-measurement stalls too (`recurred`), the
    /// pauses are the server's behaviour: shown, kept out of every verdict.
    Stalled {
        /// The longest pause, seconds.
        longest_s: f64,
        /// Pauses of at least 0.5 s in the window.
        pauses: u32,
        /// All pauses together, seconds.
        stalled_s: f64,
        /// True on the re-measurement of a stalled window that stalled again.
        recurred: bool,
    },
    /// Measured with `--shared-machine`: without the machine lock, another
    /// ringside may have measured on the same cores at the same time.
    SharedMachine,
    /// Other processes used `share` (a fraction) of the measured cores'
    /// time during the point, above the limit (`Point::foreign_cpu`).
    ForeignCpu { share: f64 },
}

/// Other processes' use of the cores a point was measured on: the CPU time
/// of every process that is neither ringside's (nor one it started: the
/// server's tree, the database) nor a kernel thread, counted in proportion
/// to the measured share of the cores it may run on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignCpu {
    /// The cores measured (server and generator cores).
    pub cores: Vec<usize>,
    /// Foreign time ÷ (wall time × cores): 0 on a quiet machine, 1 when
    /// other processes kept every measured core busy.
    pub share: f64,
    /// The cores' busy ticks (`/proc/stat`, irq and softirq included) ÷
    /// their ticks, ringside's own included.
    pub busy_share: f64,
    /// Wall time of the sample, microseconds.
    pub wall_us: u64,
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
    /// 1-based trial number: the round it was measured in.
    pub trial: u32,
    /// 0-based slice within the trial: a trial's peak load is measured in
    /// short slices interleaved with the other stacks' (0 for single loads).
    #[serde(default)]
    pub slice: u32,
    /// Seconds since the run started when the load began.
    #[serde(default)]
    pub at_s: f64,
    /// HTTP load result (absent for ws points).
    pub load: Option<LoadReport>,
    /// WebSocket result (ws points only).
    pub ws: Option<WsReport>,
    pub server: ServerUsage,
    /// Other processes' use of the measured cores during the point (absent
    /// where it could not be read, and in files before 2026-12-04).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_cpu: Option<ForeignCpu>,
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
    /// `io`: requests the server had in flight at once, from throughput ×
    /// the endpoint's designed wait (`io?ms=M`): at most the connections.
    pub concurrency_achieved: Option<f64>,
    /// Wall time of the window, microseconds.
    #[serde(default)]
    pub wall_us: u64,
    /// Cores the server's process tree used on average: CPU time ÷ wall time.
    #[serde(default)]
    pub cores_used: Option<f64>,
    /// Which memory figure `rss_*` is: `pss` (shared pages split between the
    /// processes sharing them; files before 2026-12-02), `private+shared` (every
    /// process's private pages plus the largest shared set once: the same
    /// whoever else runs) or `vmrss` (the fallback when smaps is unreadable).
    #[serde(default)]
    pub memory_kind: String,
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
    /// Lowest failing offered load above `capacity`: the true capacity lies
    /// below it (`None`: nothing above failed, the figure is a lower bound).
    #[serde(default)]
    pub upper_bound: Option<f64>,
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
    /// The load generator's busy share of its cores while sending (absent
    /// in files written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_utilization: Option<f64>,
}

/// How the rounds of a run are laid out (`docs/run.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSettings {
    /// Rounds measuring every stack on the screening scenarios.
    pub screening_rounds: u32,
    /// Rounds measuring the finalists on every scenario (0: every round measures every stack).
    pub final_rounds: u32,
    /// Final rounds the Rust ceiling takes part in (0: all of them); it is
    /// no party to the claims, so the default run spends one round on it.
    #[serde(default)]
    pub ceiling_final_rounds: u32,
    /// Scenarios of the screening rounds (empty: all of the run's).
    pub screening_scenarios: Vec<Scenario>,
    /// Slices of each peak load per trial.
    pub slices: u32,
    /// Recorded length of one slice, seconds.
    pub slice_s: f64,
    /// Unrecorded load before each slice (connections, caches), seconds.
    pub preroll_s: f64,
    /// Recorded length of a fixed-rate point, seconds.
    pub fixed_s: f64,
    /// Scenarios with latency at fixed offered rates (empty: none).
    pub fixed_rate_scenarios: Vec<Scenario>,
    /// Scenarios with a capacity-at-SLO search.
    pub capacity_scenarios: Vec<Scenario>,
    /// Warm-up chunk, seconds.
    pub chunk_s: f64,
    /// Steady state of the first scenario after a launch.
    pub first_warmup: crate::stats::SteadyRule,
    /// Steady state of the later scenarios on a warm server.
    pub warmup: crate::stats::SteadyRule,
    /// Rounds added after the planned ones where claims are undecided
    /// (`None`: the run adds none; its intervals are read at 95 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<AdaptiveSettings>,
    /// The planned rounds cut to fit the budget after the installs
    /// (`None`: the rounds asked for were kept; `suite::fit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fitted: Option<PlanFit>,
}

/// Planned rounds cut so that the run's wall time fits its budget
/// (`docs/run.md`, "Adaptive rounds").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFit {
    /// Planned rounds of the run's settings before the cut.
    pub rounds_asked: u32,
    /// Planned rounds kept.
    pub rounds: u32,
    /// Wall time before the first round (installs, database, checks), seconds.
    pub before_s: f64,
    /// `before_s` is the installs' estimate (said in the run's header), not yet measured.
    #[serde(default)]
    pub estimated: bool,
    /// Estimated time of the kept planned rounds, seconds.
    pub rounds_s: f64,
    /// The run's wall-clock budget, seconds.
    pub budget_s: f64,
}

/// How a run spends its time beyond the planned rounds (`docs/run.md`,
/// "Adaptive rounds").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveSettings {
    /// Measuring time of the whole run (planned and adaptive rounds, installs
    /// not counted), seconds.
    pub budget_s: f64,
    /// `--until-decided`: the budget is a ceiling, spent until every claim is decided.
    #[serde(default)]
    pub until_decided: bool,
    /// The planned rounds may be fewer to fit the budget (the run did not
    /// fix `--trials`): see [`PlanFit`].
    #[serde(default)]
    pub fit_planned: bool,
}

impl Default for PlanSettings {
    fn default() -> Self {
        PlanSettings {
            screening_rounds: 0,
            final_rounds: 0,
            ceiling_final_rounds: 0,
            screening_scenarios: Vec::new(),
            slices: 1,
            slice_s: 2.0,
            preroll_s: 0.2,
            fixed_s: 2.0,
            fixed_rate_scenarios: Vec::new(),
            capacity_scenarios: Vec::new(),
            chunk_s: 0.5,
            first_warmup: crate::stats::SteadyRule {
                window: 3,
                tolerance: 0.15,
                min_chunks: 6,
                max_chunks: 30,
            },
            warmup: crate::stats::SteadyRule {
                window: 2,
                tolerance: 0.15,
                min_chunks: 4,
                max_chunks: 20,
            },
            adaptive: None,
            fitted: None,
        }
    }
}

/// Whether a round screens every stack or measures the finalists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    /// Every stack, the screening scenarios.
    Screening,
    /// The finalists, every scenario.
    Final,
    /// Every stack, every scenario (quick, full and custom runs).
    All,
    /// After the planned rounds: the cells that decide the claims still
    /// undecided (`RoundRecord::look`).
    Adaptive,
}

/// One round: its trial number, the stacks in the order visited, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// The trial number of every point measured in it.
    pub number: u32,
    pub kind: RoundKind,
    /// Stacks measured, in the order of the round's first slice.
    pub stacks: Vec<String>,
    pub scenarios: Vec<Scenario>,
    /// Stacks the `workers` phases measure besides `stacks` (the default
    /// run adds a threaded Python deployment, so one process's threads are
    /// measured against the GIL).
    #[serde(default)]
    pub workers_extra: Vec<String>,
    /// Why these stacks (finals: which screening figures chose them;
    /// adaptive rounds: the claims undecided).
    #[serde(default)]
    pub reason: Vec<String>,
    /// Adaptive rounds: the look this round feeds (1, 2, …): its cells'
    /// intervals are read at `stats::sequential::level_at_look(look)`.
    /// 0 for planned rounds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub look: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A warm-up to steady state: the per-chunk figures and the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmupRecord {
    pub stack: String,
    pub scenario: Scenario,
    pub workers: u32,
    pub trial: u32,
    /// True for the first scenario after a launch (the JIT's warm-up).
    pub first: bool,
    pub chunk_s: f64,
    /// Requests (ws: deliveries) per second of each chunk.
    pub throughput: Vec<f64>,
    /// Server CPU microseconds per request of each chunk (empty when CPU is not measured).
    pub cpu_us_per_req: Vec<f64>,
    pub outcome: crate::stats::Steadiness,
    /// Seconds of load until the outcome.
    pub took_s: f64,
}
