//! Intervals kept within what is physically possible. An interval is of the
//! typical value on a log scale, so it is never below zero; but a noisy cell
//! can give an upper end no run could produce (a p99 longer than the run, a
//! CPU cost a second of every core could not pay). Each figure's interval is
//! cut at what the run makes possible; the measured median and trials stand.

use crate::results::{Point, PointKind, Results};
use crate::stats::Estimate;

use super::ScenarioFigures;

/// What the run makes possible.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The run's measuring time, microseconds: no latency is longer.
    pub run_us: f64,
    /// Cores of the machine: no server uses more.
    pub cores: f64,
    /// Memory of the machine, bytes (0: unknown).
    pub memory_bytes: f64,
}

impl Limits {
    pub fn of(results: &Results) -> Limits {
        let run_s = results
            .points
            .iter()
            .map(|p| p.at_s + p.load.as_ref().map_or(0.0, |l| l.duration_s))
            .fold(0.0, f64::max);
        let by_clock = results
            .finished_at
            .map(|f| (f - results.started_at).num_milliseconds() as f64 / 1000.0)
            .unwrap_or(0.0);
        Limits {
            run_us: run_s.max(by_clock).max(1.0) * 1e6,
            cores: results.machine.cores.max(1) as f64,
            memory_bytes: results.machine.memory_bytes as f64,
        }
    }
}

fn cut(e: &mut Option<Estimate>, ceiling: f64) {
    if let Some(x) = e.as_mut() {
        *x = x.within(0.0, ceiling);
    }
}

/// Cuts the intervals of one cell's figures at the run's limits. `points`:
/// the cell's points (their offered rates and connections bound the figures
/// they set).
pub fn apply(f: &mut ScenarioFigures, points: &[&Point], limits: &Limits) {
    let inf = f64::INFINITY;
    cut(&mut f.p50_us, limits.run_us);
    cut(&mut f.p99_us, limits.run_us);
    // Server CPU per request: at most every core's whole time over the
    // requests of the slowest trial.
    let slowest = points
        .iter()
        .filter_map(|p| p.load.as_ref().map(|l| l.throughput_rps))
        .filter(|t| *t > 0.0)
        .fold(inf, f64::min);
    let cpu_ceiling = if slowest.is_finite() {
        limits.cores * 1e6 / slowest
    } else {
        inf
    };
    cut(&mut f.cpu_us_per_req, cpu_ceiling);
    let offered = points
        .iter()
        .filter_map(|p| match p.kind {
            PointKind::FixedRate { rps } => Some(rps),
            _ => None,
        })
        .fold(0.0, f64::max);
    let fixed_ceiling = if offered > 0.0 {
        limits.cores * 1e6 / offered
    } else {
        inf
    };
    cut(&mut f.cpu_fixed_us_per_req, fixed_ceiling.max(cpu_ceiling));
    cut(&mut f.cores_used, limits.cores);
    let connections = points
        .iter()
        .filter_map(|p| match p.kind {
            PointKind::Io { connections } => Some(connections as f64),
            _ => None,
        })
        .fold(0.0, f64::max);
    if connections > 0.0 {
        cut(&mut f.concurrency_achieved, connections);
    }
    if limits.memory_bytes > 0.0 {
        for e in [
            &mut f.rss_peak_bytes,
            &mut f.rss_fixed_bytes,
            &mut f.rss_idle_bytes,
        ] {
            cut(e, limits.memory_bytes);
        }
    }
}
