//! The figures of a run: the one reduction of a results file that the
//! terminal tables, the HTML report, the Markdown summary, the claims, the
//! recommendation and the comparison all read — so every output prints the
//! same number for the same cell.
//!
//! Per stack and scenario: each trial's figure from its slices ([`trials`]),
//! then an [`Estimate`] over the trials with a 95 % interval, using the run's
//! own trial-to-trial noise ([`NoiseFloor`]: repeated trials of the same
//! stack and scenario, pooled) where a cell has too few trials. Flagged
//! trials are kept out of a figure when clean ones exist; a figure made only
//! of flagged trials carries its [`Evidence`] (a lower bound, or not
//! evidence). Rankings are computed here once: a stack outranks another only
//! when the ratio's interval excludes 1 and the ratio is beyond the noise
//! floor. Pure: no I/O.

mod bounds;
mod build;
mod capacity;
mod idle_noise;
pub mod looks;
pub mod stalls;
pub mod trials;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::db::DbKind;
use crate::results::{IdleKind, Results, RoundRecord, StackRecord};
use crate::scenario::Scenario;
use crate::stats::{Comparison, Estimate, Noise, Ratio, compare};
use crate::verdict::format::fmt_int;

pub use build::{IDLE_RESOLUTION, flag_text};
pub use stalls::StallSummary;
pub use trials::Evidence;

/// Whom a stack speaks for in the ledger. The claims are about Node.js and
/// Python; Bun and Deno are JavaScript runtimes beside Node.js, not Node.js.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// JavaScript on Node.js.
    Node,
    Python,
    Rust,
    /// JavaScript on another runtime (Bun, Deno).
    OtherJs,
    Other,
}

impl Lang {
    /// From a stack record's language and runtime.
    pub fn of(rec: &StackRecord) -> Lang {
        Lang::from_parts(&rec.language, rec.runtime.as_deref())
    }

    pub fn from_parts(language: &str, runtime: Option<&str>) -> Lang {
        match language.to_ascii_lowercase().as_str() {
            "javascript" | "typescript" => match runtime.unwrap_or("node") {
                "node" | "" => Lang::Node,
                _ => Lang::OtherJs,
            },
            "python" => Lang::Python,
            "rust" => Lang::Rust,
            _ => Lang::Other,
        }
    }

    /// Human name: `Node.js`, `Python`, `Rust`, `JavaScript`, `other`.
    pub fn label(self) -> &'static str {
        match self {
            Lang::Node => "Node.js",
            Lang::Python => "Python",
            Lang::Rust => "Rust",
            Lang::OtherJs => "JavaScript",
            Lang::Other => "other",
        }
    }
}

/// A stack of the run.
#[derive(Debug, Clone, Serialize)]
pub struct StackInfo {
    pub name: String,
    pub lang: Lang,
    /// `node`, `bun`, `cpython`, ... (empty when unknown).
    pub runtime: String,
    pub framework: String,
    /// The runtime's and framework's exact versions, as the stack recorded
    /// them: `node 26.12.1, express 5.3.0` (empty when none were).
    pub versions: String,
    /// The deployment variant (`None`: the stack's default deployment).
    pub variant: Option<String>,
    /// Threads serving requests in each worker process (`None`: not recorded).
    pub threads: Option<u32>,
    /// The workers are one process's threads, not processes (free-threaded Python).
    pub worker_threads: bool,
    pub measured: bool,
    /// Measured in the final rounds of the default run.
    pub finalist: bool,
}

/// The kind of figure a noise estimate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Throughput,
    Cpu,
    Latency,
    Memory,
    /// Cores used (CPU time ÷ wall time).
    Cores,
    /// Memory per idle connection (trials of the same stack and kind).
    Idle,
}

/// The run's own trial-to-trial noise, per kind of figure (the A/A check:
/// repeated trials of the same stack and scenario, pooled).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct NoiseFloor {
    pub throughput: Option<Noise>,
    pub cpu: Option<Noise>,
    pub latency: Option<Noise>,
    pub memory: Option<Noise>,
    pub cores: Option<Noise>,
    /// Memory per idle connection: a different measurement (a difference
    /// of two samples ÷ the connections added) with its own noise.
    #[serde(default)]
    pub idle: Option<Noise>,
    /// Capacity at SLO (ws-chat clients, requests/s) over repeated
    /// searches: the spread of the trials' bracket midpoints, pooled into
    /// the capacity figures' intervals (each cell's without itself:
    /// [`capacity`]), which K7 and the ws-chat ranking read.
    pub capacity: Option<Noise>,
}

impl NoiseFloor {
    pub fn of(&self, family: Family) -> Option<&Noise> {
        match family {
            Family::Throughput => self.throughput.as_ref(),
            Family::Cpu => self.cpu.as_ref(),
            Family::Latency => self.latency.as_ref(),
            Family::Memory => self.memory.as_ref(),
            Family::Cores => self.cores.as_ref(),
            Family::Idle => self.idle.as_ref(),
        }
    }

    /// The noise floor of a family, a fraction (0 when not measured: then
    /// single-trial figures have no interval and compare as ties anyway).
    pub fn floor(&self, family: Family) -> f64 {
        self.of(family).map_or(0.0, Noise::floor)
    }
}

/// Capacity at SLO over the trials, as a bracket
/// ([`crate::results::capacity::bracket`]): every trial's capacity is at
/// least `low` (the lowest of the trials' capacities) and the worst trial's
/// is below `high` (the lowest step above `low` that the server failed, over
/// the trials and their steps; `None`: no server failure above it — the
/// figure is only a lower bound).
#[derive(Debug, Clone, Serialize)]
pub struct CapacityFigure {
    /// `rps` or `clients`.
    pub unit: String,
    /// Median of the trials' capacities (0 for a trial whose lowest step failed).
    pub median: f64,
    pub low: f64,
    pub high: Option<f64>,
    /// Some trial stopped for a reason that bounds only from below: it
    /// passed the largest step or ran out of steps passing, or the
    /// generator or the offered rate was the limit (another trial's server
    /// failure may still close the bracket).
    pub censored: bool,
    pub trials: usize,
    /// Why each trial's search stopped.
    pub limited_by: Vec<String>,
    /// The trials' capacities as a figure ([`capacity`]): each trial's
    /// bracket midpoint `√(pass × failure)`, or its pass where the server
    /// failed nothing above it (a lower bound); the interval with the
    /// capacity's spread. Its low end is the capacity's. `None` when some
    /// trial passed no step.
    pub lower: Option<Estimate>,
    /// The same figure when every trial's bracket is closed (its high end
    /// is the capacity's); `None` when some search gave only a lower bound
    /// (open above).
    pub upper: Option<Estimate>,
}

impl CapacityFigure {
    /// The figure's median (the trials' capacities' median, 0 for a trial
    /// that passed nothing, when there is no figure).
    pub fn typical(&self) -> f64 {
        self.lower.map_or(self.median, |e| e.median)
    }

    /// The low end of the typical capacity's 95 % interval (`None`: no
    /// interval, or some trial passed nothing).
    pub fn interval_low(&self) -> Option<f64> {
        self.lower.filter(Estimate::has_interval).map(|e| e.low)
    }

    /// The high end (`None`: open above, or no interval).
    pub fn interval_high(&self) -> Option<f64> {
        self.upper.filter(Estimate::has_interval).map(|e| e.high)
    }

    /// A conservative capacity for sizing, and what it is: the low end of
    /// the 95 % interval, else (no interval) the lowest trial's pass.
    pub fn conservative(&self) -> (f64, &'static str) {
        match self.interval_low() {
            Some(l) => (l, "the low end of its 95 % interval"),
            None => (self.low, "the lowest trial's pass"),
        }
    }

    /// This capacity ÷ `other`'s with its 95 % interval (both figures'
    /// spreads from one pool: [`capacity::ratio`]); an end open (`other`
    /// a lower bound: no low end; this one: no high end) stays open.
    /// `value` is the ratio of the medians. Unjudged when either has no
    /// interval (one trial in a run without measured capacity noise, or
    /// too noisy).
    pub fn ratio_to(&self, other: &CapacityFigure) -> Ratio {
        let with = |e: &Option<Estimate>| e.filter(Estimate::has_interval);
        let low = match (with(&self.lower), with(&other.upper)) {
            (Some(a), Some(b)) => capacity::ratio(&a, &b).low,
            _ => 0.0,
        };
        let high = match (with(&self.upper), with(&other.lower)) {
            (Some(a), Some(b)) => capacity::ratio(&a, &b).high,
            _ => f64::INFINITY,
        };
        let value = if other.typical() > 0.0 {
            self.typical() / other.typical()
        } else {
            f64::INFINITY
        };
        Ratio {
            value: value.max(low).min(high),
            low,
            high,
            df: 0.0,
            judged: self.interval_low().is_some() && other.interval_low().is_some(),
        }
    }

    /// Decisively more clients than `other`: the low end of
    /// [`CapacityFigure::ratio_to`] is above 1 + the noise `floor` (an open
    /// end above is never passed; a figure without an interval is never
    /// ahead). The ws-chat table ranks by it, K7 judges by the same ratio.
    pub fn ahead_of(&self, other: &CapacityFigure, floor: f64) -> bool {
        let r = self.ratio_to(other);
        r.judged && r.low > 1.0 + floor
    }

    /// As the tables print it: `4,000 [3,700–4,400] clients` (the median
    /// and the 95 % interval), `≥ 4,200 clients` when open above (the
    /// interval's low end), `2,300–3,500 clients` (the worst trial's
    /// bracket) without an interval.
    pub fn text(&self, unit: bool) -> String {
        let u = if unit {
            format!(" {}", self.unit)
        } else {
            String::new()
        };
        if self.low <= 0.0 {
            return "fails at lowest step".into();
        }
        match (self.interval_low(), self.interval_high(), self.high) {
            (Some(l), Some(h), _) => {
                format!(
                    "{} [{}–{}]{u}",
                    fmt_int(self.typical()),
                    fmt_int(l),
                    fmt_int(h)
                )
            }
            (Some(l), None, _) => format!("≥ {}{u}", fmt_int(l)),
            (None, _, Some(h)) => format!("{}–{}{u}", fmt_int(self.low), fmt_int(h)),
            (None, _, None) => format!("≥ {}{u}", fmt_int(self.low)),
        }
    }
}

/// One stack × one load scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioFigures {
    pub stack: String,
    pub lang: Lang,
    pub scenario: Scenario,
    /// Peak throughput, requests/s (ws-chat: deliveries/s at the fixed load),
    /// at the connection count whose median was highest (io: the highest).
    pub throughput_rps: Option<Estimate>,
    pub throughput_evidence: Evidence,
    /// The connection count (ws: clients) of `throughput_rps`.
    pub connections: Option<usize>,
    /// Latency at the fixed offered rate (`p99_rate_rps`; the same for every
    /// stack), microseconds; io and ws-chat: at their load.
    pub p50_us: Option<Estimate>,
    pub p99_us: Option<Estimate>,
    pub p99_rate_rps: Option<f64>,
    pub latency_evidence: Evidence,
    /// The evidence of the fixed-rate trials (`cpu_fixed_us_per_req`,
    /// `rss_fixed_bytes`): a rate not reached or shared cores make them
    /// not evidence.
    pub fixed_evidence: Evidence,
    /// Server CPU µs per request (ws: per delivery) at peak.
    pub cpu_us_per_req: Option<Estimate>,
    /// Server CPU µs per request at the fixed offered rate.
    pub cpu_fixed_us_per_req: Option<Estimate>,
    /// Memory at peak load and at the fixed offered rate, bytes.
    pub rss_peak_bytes: Option<Estimate>,
    pub rss_fixed_bytes: Option<Estimate>,
    /// Memory before the peak load, bytes.
    pub rss_idle_bytes: Option<Estimate>,
    /// `private+shared`, `pss` (older files) or `vmrss` (a fallback somewhere).
    pub memory_kind: String,
    /// `io`: requests in flight achieved (throughput × the designed wait);
    /// made of the same trials as `throughput_rps`, so it carries
    /// `throughput_evidence` (a generator-bound one is a lower bound).
    pub concurrency_achieved: Option<Estimate>,
    /// Cores the server used at peak.
    pub cores_used: Option<Estimate>,
    pub capacity: Option<CapacityFigure>,
    /// Worker processes of the measured points.
    pub workers: u32,
    pub valid_points: usize,
    pub total_points: usize,
    /// Rank in the scenario's table by throughput (ws-chat: capacity): one
    /// more than the stacks that are decisively ahead; stacks share a rank
    /// when nothing separates them.
    pub rank: Option<usize>,
    /// The stacks this one is decisively ahead of in the table.
    pub ahead_of: Vec<String>,
    /// Flagged or invalid points, one line each.
    pub notes: Vec<String>,
    /// Windows in which the server stalled, and the longest pause.
    pub stalls: Option<StallSummary>,
}

/// `workers`: one process and N processes, both on every core.
#[derive(Debug, Clone, Serialize)]
pub struct Scaling {
    pub stack: String,
    pub lang: Lang,
    pub target: String,
    pub workers_n: u32,
    /// Throughput of one process (its deployment's threads) and of N processes.
    pub one: Option<Estimate>,
    pub many: Option<Estimate>,
    /// `many ÷ one`.
    pub speedup: Option<Ratio>,
    /// Cores the process tree used: one process, N processes.
    pub cores_one: Option<Estimate>,
    pub cores_many: Option<Estimate>,
    /// The servers ran on the generator's cores too (every core was given to them).
    pub shared_generator: bool,
    pub notes: Vec<String>,
}

/// `io`: concurrency achieved against connections offered.
#[derive(Debug, Clone, Serialize)]
pub struct IoCurve {
    pub stack: String,
    pub lang: Lang,
    /// (connections offered, requests in flight achieved: median of trials).
    pub points: Vec<(usize, f64)>,
}

/// `idle`: memory per idle connection of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct IdleFigures {
    pub stack: String,
    pub lang: Lang,
    pub kind: IdleKind,
    pub bytes_per_connection: Estimate,
    /// False when some trial read below [`build::IDLE_RESOLUTION`] (and was
    /// counted as that much): the figure is then only an upper bound, and
    /// two such figures are no evidence of equality.
    pub resolved: bool,
    pub connections_open: usize,
    pub connections_requested: usize,
}

/// Per stack: memory of a fresh process and time to steady state.
#[derive(Debug, Clone, Serialize)]
pub struct StackFigures {
    pub stack: String,
    pub lang: Lang,
    /// Memory right after launch, before any load, bytes.
    pub fresh_bytes: Option<Estimate>,
    /// Launch to first good response, milliseconds.
    pub startup_ms: Option<Estimate>,
    /// Seconds of load until the first scenario after a launch settled.
    pub steady_after_s: Option<Estimate>,
    /// Warm-ups that never settled, of all.
    pub warmups_unsettled: usize,
    pub warmups: usize,
}

/// Everything the verdict and the exporters read, reduced from one results file.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub stacks: Vec<StackInfo>,
    pub db: DbKind,
    /// `standard`, `quick`, `full`, `custom`.
    pub suite: String,
    /// Rounds (trials) of the run.
    pub rounds: Vec<RoundRecord>,
    pub noise: NoiseFloor,
    /// Load scenarios in catalogue order, stacks in results order.
    pub scenarios: BTreeMap<Scenario, Vec<ScenarioFigures>>,
    pub scaling: Vec<Scaling>,
    pub io_curves: Vec<IoCurve>,
    pub idle: Vec<IdleFigures>,
    pub per_stack: Vec<StackFigures>,
    pub slo_ms: f64,
    pub server_cores: usize,
    /// Cores the `workers` servers could use (the harness gives them every core).
    pub workers_cores: usize,
}

impl Figures {
    /// Reduces a results file.
    pub fn from_results(results: &Results) -> Figures {
        build::figures(results)
    }

    /// The figures of one scenario (empty when not measured).
    pub fn scenario(&self, sc: Scenario) -> &[ScenarioFigures] {
        self.scenarios.get(&sc).map_or(&[], Vec::as_slice)
    }

    pub fn lang_of(&self, stack: &str) -> Lang {
        self.stacks
            .iter()
            .find(|s| s.name == stack)
            .map_or(Lang::Other, |s| s.lang)
    }

    pub fn stack_figures(&self, stack: &str) -> Option<&StackFigures> {
        self.per_stack.iter().find(|s| s.stack == stack)
    }

    /// The stack of `lang` with the highest median of `metric` in `sc`,
    /// among figures that are evidence (clean or a lower bound).
    pub fn best(
        &self,
        sc: Scenario,
        lang: Lang,
        metric: impl Fn(&ScenarioFigures) -> Option<Estimate>,
    ) -> Option<(&ScenarioFigures, Estimate)> {
        self.scenario(sc)
            .iter()
            .filter(|f| f.lang == lang)
            .filter_map(|f| Some((f, metric(f)?)))
            .max_by(|a, b| a.1.median.total_cmp(&b.1.median))
    }

    /// The leanest stack of `lang` (lowest median of `metric`).
    pub fn leanest(
        &self,
        sc: Scenario,
        lang: Lang,
        metric: impl Fn(&ScenarioFigures) -> Option<Estimate>,
    ) -> Option<(&ScenarioFigures, Estimate)> {
        self.scenario(sc)
            .iter()
            .filter(|f| f.lang == lang)
            .filter_map(|f| Some((f, metric(f)?)))
            .min_by(|a, b| a.1.median.total_cmp(&b.1.median))
    }

    /// True for a run too thin for verdicts: one trial of everything, so
    /// no measured noise of any figure (`--quick` is one unless given
    /// `--trials`). A ws-only or memory-only run with repeated trials is not.
    pub fn thin(&self) -> bool {
        let n = &self.noise;
        n.throughput.is_none()
            && n.cpu.is_none()
            && n.latency.is_none()
            && n.memory.is_none()
            && n.cores.is_none()
            && n.capacity.is_none()
    }
}

/// `a ÷ b` with the bounds a flagged figure allows: a lower bound on `a`
/// opens the ratio's top, one on `b` its bottom.
pub fn bounded_ratio(a: &Estimate, ea: Evidence, b: &Estimate, eb: Evidence) -> Ratio {
    let mut r = Ratio::of(a, b);
    if ea == Evidence::AtLeast {
        r.high = f64::INFINITY;
    }
    if eb == Evidence::AtLeast {
        r.low = 0.0;
    }
    if ea == Evidence::Doubtful || eb == Evidence::Doubtful {
        r.judged = false;
    }
    r
}

/// How `a` compares with `b` after the interval, the bounds and the floor.
pub fn bounded_compare(
    a: &Estimate,
    ea: Evidence,
    b: &Estimate,
    eb: Evidence,
    floor: f64,
) -> Comparison {
    compare(&bounded_ratio(a, ea, b, eb), floor)
}

#[cfg(test)]
mod capacity_tests {
    use super::CapacityFigure;
    use crate::stats::Estimate;

    /// Two trials each `v ± 5 %`, with their interval.
    fn e(v: f64) -> Option<Estimate> {
        Estimate::of(&[v * 0.95, v * 1.05], None)
    }

    /// A lower figure about `low` and an upper one about `high` (`None`:
    /// open above).
    fn cap(low: f64, high: Option<f64>) -> CapacityFigure {
        let lower = e(low);
        let upper = high.and_then(e);
        CapacityFigure {
            unit: "clients".into(),
            median: low,
            low,
            high,
            censored: high.is_none(),
            trials: 2,
            limited_by: vec![],
            lower,
            upper,
        }
    }

    /// The ends of the intervals, as `ahead_of` reads them.
    fn ends(c: &CapacityFigure) -> (f64, Option<f64>) {
        (c.interval_low().unwrap(), c.interval_high())
    }

    #[test]
    fn ahead_only_beyond_the_others_interval_and_the_floor() {
        let (a, b) = (cap(3000.0, Some(3200.0)), cap(2000.0, Some(2500.0)));
        let (al, bh) = (ends(&a).0, ends(&b).1.unwrap());
        assert!(
            al < 3000.0 && bh > 2500.0,
            "two trials' intervals: {al} {bh}"
        );
        // The ratio's interval (lower ÷ upper) is narrower than the
        // ends of the two figures' intervals, and wider than the medians'.
        let r = a.ratio_to(&b);
        assert!(
            r.judged && al / bh < r.low && r.low < 3000.0 / 2500.0,
            "{r:?}"
        );
        assert_eq!(r.value, 1.5);
        let gap = r.low - 1.0;
        assert!(
            a.ahead_of(&b, gap - 0.01),
            "low end {} beyond 1 + floor",
            r.low
        );
        assert!(!a.ahead_of(&b, gap + 0.01), "within the floor");
        assert!(!b.ahead_of(&a, 0.0));
        // An open end above (a lower bound) is never passed.
        assert!(!a.ahead_of(&cap(2000.0, None), 0.0));
        // Without an interval (one trial, no measured noise) nothing is ahead.
        let mut one = a.clone();
        one.lower = Estimate::of(&[3000.0], None);
        assert!(!one.ahead_of(&b, 0.0));
    }

    #[test]
    fn the_text_says_interval_bound_or_one_searchs_bracket() {
        let a = cap(3000.0, Some(3200.0));
        let (l, h) = ends(&a);
        let want = format!(
            "3,000 [{}–{}] clients",
            crate::verdict::format::fmt_int(l),
            crate::verdict::format::fmt_int(h.unwrap())
        );
        assert_eq!(a.text(true), want);
        assert!(
            cap(2000.0, None).text(false).starts_with("≥ 1,"),
            "the interval's low end"
        );
        let mut one = a.clone();
        one.lower = Estimate::of(&[3000.0], None);
        one.upper = Estimate::of(&[3200.0], None);
        assert_eq!(one.text(false), "3,000–3,200");
        one.low = 0.0;
        assert_eq!(one.text(false), "fails at lowest step");
    }
}
