//! From points to trials: a cell's points (one stack, scenario, load,
//! workers) grouped by trial, each trial's figure made from its slices, and
//! whether the trial is clean or only a bound. Pure.

use std::collections::BTreeMap;

use crate::results::{Flag, Point};

/// What a figure made of flagged trials can still say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// Every trial used is unflagged: the figure is evidence either way.
    Clean,
    /// The generator was the limit: the server is at least this fast (a
    /// lower bound on throughput; its latency and cost figures are not evidence).
    AtLeast,
    /// Shared cores, a rate not reached, a warm-up that never settled,
    /// shards on different hardware, a server that stalled, or other processes
    /// busy on the measured cores (`--shared-machine`, foreign CPU): shown,
    /// never judged on.
    Doubtful,
}

impl Evidence {
    /// The evidence of one point from its flags.
    pub fn of(p: &Point) -> Evidence {
        let mut e = Evidence::Clean;
        for f in &p.flags {
            let this = match f {
                Flag::GeneratorSaturated { .. } => Evidence::AtLeast,
                Flag::RateNotReached { .. }
                | Flag::SharedCores
                | Flag::Unsettled { .. }
                | Flag::MixedHardware { .. }
                | Flag::Stalled { .. }
                | Flag::SharedMachine
                | Flag::ForeignCpu { .. } => Evidence::Doubtful,
                // Errors and crashes make the point invalid: never used at all.
                Flag::Errors { .. } | Flag::ServerCrashed { .. } => Evidence::Doubtful,
            };
            e = e.max(this);
        }
        e
    }

    /// In words, for evidence lines.
    pub fn describe(self) -> &'static str {
        match self {
            Evidence::Clean => "",
            Evidence::AtLeast => "generator-bound: a lower bound",
            Evidence::Doubtful => "flagged: not evidence",
        }
    }
}

/// One trial of a cell: the figures of its slices pooled.
#[derive(Debug, Clone)]
pub struct Trial {
    pub trial: u32,
    /// Completed requests (ws: deliveries) per second over the slices.
    pub throughput: Option<f64>,
    /// Server CPU µs per request, weighted by requests.
    pub cpu_us_per_req: Option<f64>,
    /// Cores the server used (CPU time ÷ wall time), mean of slices.
    pub cores_used: Option<f64>,
    /// Highest memory sampled, bytes.
    pub rss_peak_bytes: Option<f64>,
    /// Memory before the load, bytes.
    pub rss_idle_bytes: Option<f64>,
    /// p50 / p99 latency, µs: the median slice's (one slice for fixed rates).
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    /// `io`: requests in flight achieved.
    pub concurrency: Option<f64>,
    /// The worst evidence among the slices.
    pub evidence: Evidence,
    /// The memory kind of the points ([`worst_memory_kind`]).
    pub memory_kind: String,
}

fn median(v: &[f64]) -> Option<f64> {
    crate::stats::median(v)
}

/// Groups valid points by trial and pools each trial's slices.
pub fn trials(points: &[&Point]) -> Vec<Trial> {
    let mut by_trial: BTreeMap<u32, Vec<&Point>> = BTreeMap::new();
    for p in points.iter().filter(|p| p.valid) {
        by_trial.entry(p.trial).or_default().push(p);
    }
    by_trial
        .into_iter()
        .map(|(trial, pts)| pool(trial, &pts))
        .collect()
}

fn pool(trial: u32, pts: &[&Point]) -> Trial {
    let (mut done, mut secs, mut cpu, mut cpu_done) = (0.0, 0.0, 0.0, 0.0);
    let mut cores = Vec::new();
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    let mut conc = Vec::new();
    let mut rss_peak: Option<f64> = None;
    let mut rss_idle = Vec::new();
    let mut evidence = Evidence::Clean;
    for p in pts {
        let (n, d, lat) = match (&p.load, &p.ws) {
            (Some(l), _) => (l.requests as f64, l.duration_s, &l.latency),
            (None, Some(w)) => (w.delivered as f64, w.duration_s, &w.latency),
            _ => continue,
        };
        done += n;
        secs += d;
        if let Some(c) = p.server.cpu_us_per_req {
            cpu += c * n;
            cpu_done += n;
        }
        if let Some(c) = p.server.cores_used {
            cores.push(c);
        }
        p50.push(lat.p50_us as f64);
        p99.push(lat.p99_us as f64);
        if let Some(c) = p.server.concurrency_achieved {
            conc.push(c);
        }
        if p.server.rss_peak_bytes > 0 {
            let v = p.server.rss_peak_bytes as f64;
            rss_peak = Some(rss_peak.map_or(v, |r: f64| r.max(v)));
            rss_idle.push(p.server.rss_idle_bytes as f64);
        }
        evidence = evidence.max(Evidence::of(p));
    }
    Trial {
        trial,
        throughput: (secs > 0.0).then(|| done / secs),
        cpu_us_per_req: (cpu_done > 0.0).then(|| cpu / cpu_done),
        cores_used: crate::stats::mean(&cores),
        rss_peak_bytes: rss_peak,
        rss_idle_bytes: median(&rss_idle),
        p50_us: median(&p50),
        p99_us: median(&p99),
        concurrency: median(&conc),
        evidence,
        memory_kind: worst_memory_kind(pts.iter().map(|p| p.server.memory_kind.as_str())).into(),
    }
}

/// The memory kind a set of figures carries: `vmrss` if any fell back from
/// smaps, else the first one's (`private+shared`, or `pss` in older files).
pub fn worst_memory_kind<'a>(mut kinds: impl Iterator<Item = &'a str> + Clone) -> &'a str {
    if kinds.clone().any(|k| k == "vmrss") {
        "vmrss"
    } else {
        kinds.next().unwrap_or("")
    }
}

/// The trials a figure is made of: the clean ones when there are any, else
/// every valid one with the evidence they carry.
pub fn usable(trials: &[Trial]) -> (Vec<&Trial>, Evidence) {
    let clean: Vec<&Trial> = trials
        .iter()
        .filter(|t| t.evidence == Evidence::Clean)
        .collect();
    if !clean.is_empty() {
        return (clean, Evidence::Clean);
    }
    let worst = trials
        .iter()
        .map(|t| t.evidence)
        .max()
        .unwrap_or(Evidence::Doubtful);
    (trials.iter().collect(), worst)
}
