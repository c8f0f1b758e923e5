//! Warm-up to steady state: drive a scenario's load in short chunks until the
//! server's per-chunk throughput and CPU per request have settled
//! ([`crate::stats::SteadyRule`]), or the ceiling is reached. A JIT runtime
//! gets the warm-up it needs; one that never settles is recorded as such and
//! the points measured after it are flagged. The time it took is a figure.

use std::time::{Duration, Instant};

use crate::scenario::Scenario;
use crate::stats::{Steadiness, SteadyRule};

use super::config::SuiteConfig;
use super::target::Target;
use super::workload::{DriveOpts, Workload, drive};
use crate::results::WarmupRecord;

/// Who and what is being warmed.
#[derive(Debug, Clone)]
pub struct WarmupSpec {
    pub stack: String,
    pub scenario: Scenario,
    pub workers: u32,
    pub trial: u32,
    /// First scenario since the launch.
    pub first: bool,
    pub workload: Workload,
    pub rule: SteadyRule,
    pub chunk: Duration,
}

/// Warms `target` up with `spec.workload` in chunks until the rule says it
/// has settled or never will. A load that fails or a server that exits ends
/// the warm-up early (the points after it will show why).
pub async fn warm_up(
    target: &mut dyn Target,
    cfg: &SuiteConfig,
    spec: &WarmupSpec,
) -> WarmupRecord {
    let started = Instant::now();
    let mut throughput = Vec::new();
    let mut cpu = Vec::new();
    let planned = spec.workload.is_planned();
    // Warm-up chunks only need the server busy: a short ws drain will do.
    let opts = DriveOpts {
        drain: Duration::from_millis(200),
        ..DriveOpts::window(spec.chunk)
    };
    let mut outcome = Steadiness::Warming;
    while outcome == Steadiness::Warming {
        let m = drive(target, cfg, &spec.workload, &opts).await;
        let Some(o) = m.outcome().filter(|o| o.produced) else {
            break;
        };
        throughput.push(o.throughput);
        if let Some(c) = m.usage.cpu_us_per_req {
            cpu.push(c);
        }
        // A planned load's throughput is the plan's: only its CPU cost can
        // show the server settling. Without CPU figures, the count decides.
        let series: Vec<&[f64]> = match (planned, cpu.len() == throughput.len()) {
            (true, true) => vec![&cpu],
            (true, false) => vec![],
            (false, true) => vec![&throughput, &cpu],
            (false, false) => vec![&throughput],
        };
        outcome = if series.is_empty() {
            if throughput.len() >= spec.rule.min_chunks {
                Steadiness::Settled {
                    chunks: throughput.len(),
                }
            } else {
                Steadiness::Warming
            }
        } else {
            spec.rule.assess_all(&series)
        };
        if m.crashed.is_some() || !target.is_alive() {
            break;
        }
    }
    if outcome == Steadiness::Warming {
        outcome = Steadiness::Never {
            chunks: throughput.len(),
        };
    }
    WarmupRecord {
        stack: spec.stack.clone(),
        scenario: spec.scenario,
        workers: spec.workers,
        trial: spec.trial,
        first: spec.first,
        chunk_s: spec.chunk.as_secs_f64(),
        throughput,
        cpu_us_per_req: cpu,
        outcome,
        took_s: started.elapsed().as_secs_f64(),
    }
}

/// Seconds of warm-up a record says never settled (`None`: it settled).
pub fn unsettled_after(rec: &WarmupRecord) -> Option<f64> {
    matches!(rec.outcome, Steadiness::Never { .. }).then_some(rec.took_s)
}
