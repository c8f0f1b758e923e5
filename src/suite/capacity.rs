//! Capacity at SLO: the highest offered load whose p99 stays under the SLO
//! with no errors — requests/s for HTTP, clients for ws-chat, one search for
//! both over a [`Workload`]. A bounded search (steps and time): grow from a
//! seed until a step fails, halve until one passes, then bisect. The choice
//! of the next probe and the judging of a step are pure functions.

use std::time::{Duration, Instant};

use super::config::SuiteConfig;
use super::target::Target;
use super::workload::{DriveOpts, Outcome, RATE_REACHED, Workload, drive};
use crate::results::{CapacityRecord, CapacityStep};

/// Growth factor while every step passes.
pub const GROW: f64 = 1.5;
/// Bisection stops when the bracket is narrower than this fraction of its top.
pub const RESOLUTION: f64 = 0.05;
/// Lowest level probed.
pub const MIN_LEVEL: f64 = 1.0;

/// The offered level of the next step, or `None` when the search is over.
pub fn next_probe(
    steps: &[CapacityStep],
    seed: f64,
    max_steps: u32,
    max_level: f64,
) -> Option<f64> {
    if steps.len() >= max_steps as usize {
        return None;
    }
    if steps.is_empty() {
        return Some(seed.clamp(MIN_LEVEL, max_level));
    }
    let lo = steps
        .iter()
        .filter(|s| s.passed)
        .map(|s| s.offered)
        .reduce(f64::max);
    let hi = steps
        .iter()
        .filter(|s| !s.passed && lo.is_none_or(|lo| s.offered > lo))
        .map(|s| s.offered)
        .reduce(f64::min);
    match (lo, hi) {
        (Some(lo), None) => (lo < max_level).then(|| (lo * GROW).min(max_level)),
        (None, Some(hi)) => (hi / 2.0 >= MIN_LEVEL).then_some(hi / 2.0),
        (Some(lo), Some(hi)) => ((hi - lo) / hi > RESOLUTION).then_some((lo + hi) / 2.0),
        (None, None) => None,
    }
}

/// Judges one step from its outcome: passes when there are no errors,
/// p99 < SLO, the generator was not the limit and the rate was reached.
pub fn judge(offered: f64, outcome: Option<&Outcome>, slo: Duration) -> CapacityStep {
    let Some(o) = outcome else {
        return CapacityStep {
            offered,
            achieved: 0.0,
            p99_us: 0,
            errors: 1,
            passed: false,
            failed_by: Some("errors".into()),
        };
    };
    let (target, achieved) = o.rate.unwrap_or((offered, o.throughput));
    let failed_by = if o.errors > 0 || !o.produced {
        Some("errors")
    } else if o.p99_us as u128 >= slo.as_micros() {
        Some("slo")
    } else if o.generator_saturated {
        Some("generator")
    } else if achieved < RATE_REACHED * target {
        Some("rate")
    } else {
        None
    };
    CapacityStep {
        offered,
        achieved,
        p99_us: o.p99_us,
        errors: o.errors,
        passed: failed_by.is_none(),
        failed_by: failed_by.map(String::from),
    }
}

/// The capacity (highest passing offer), the lowest failing offer above it
/// (the search's resolution: the true capacity lies below it), and why the
/// search stopped (`slo`, `errors`, `generator`, `rate`, or `max`).
pub fn conclude(steps: &[CapacityStep]) -> (Option<f64>, Option<f64>, String) {
    let cap = steps
        .iter()
        .filter(|s| s.passed)
        .map(|s| s.offered)
        .reduce(f64::max);
    let first_fail_above = steps
        .iter()
        .filter(|s| !s.passed && cap.is_none_or(|c| s.offered > c))
        .min_by(|a, b| a.offered.total_cmp(&b.offered));
    let why = first_fail_above
        .and_then(|s| s.failed_by.clone())
        .unwrap_or_else(|| "max".into());
    (cap, first_fail_above.map(|s| s.offered), why)
}

/// What to search.
#[derive(Debug, Clone)]
pub struct SearchSpec {
    pub scenario: crate::scenario::Scenario,
    /// The load; its level (rate or clients) is set by each step.
    pub workload: Workload,
    /// First level tried (80 % of the measured peak, when known).
    pub seed: f64,
    /// Highest level tried.
    pub max_level: f64,
    /// `rps` or `clients`.
    pub unit: &'static str,
}

/// Runs a capacity search against `target`.
#[allow(clippy::too_many_arguments)]
pub async fn search(
    target: &mut dyn Target,
    cfg: &SuiteConfig,
    spec: &SearchSpec,
    stack: &str,
    workers: u32,
    trial: u32,
    mut on_step: impl FnMut(usize),
) -> CapacityRecord {
    let s = &cfg.settings;
    let step_len = Duration::from_secs_f64(s.capacity_step_s.max(0.2));
    let slo = Duration::from_secs_f64(s.slo_ms / 1000.0);
    let integer = spec.workload.is_ws();
    // Time bound: every step plus generous slack for connection setup and drain.
    let deadline =
        Instant::now() + (step_len + Duration::from_secs(10)) * s.capacity_max_steps.max(1);
    let mut steps: Vec<CapacityStep> = Vec::new();
    while let Some(probe) = next_probe(&steps, spec.seed, s.capacity_max_steps, spec.max_level) {
        let offered = if integer {
            probe.round().max(1.0)
        } else {
            probe
        };
        if Instant::now() >= deadline || steps.iter().any(|st| st.offered == offered) {
            break;
        }
        on_step(steps.len() + 1);
        // A queue left by an overloaded step drains before the next one.
        super::measure::settle(&*target).await;
        let opts = DriveOpts {
            timeout: slo.max(Duration::from_secs(1)) * 4,
            // A delivery later than the SLO fails the step anyway.
            drain: slo.max(Duration::from_millis(500)),
            ..DriveOpts::window(step_len)
        };
        let m = drive(target, cfg, &spec.workload.at_level(offered), &opts).await;
        steps.push(judge(offered, m.outcome().as_ref(), slo));
        if !target.is_alive() {
            break;
        }
    }
    let (capacity, upper_bound, limited_by) = conclude(&steps);
    CapacityRecord {
        stack: stack.into(),
        scenario: spec.scenario,
        workers,
        trial,
        slo_ms: s.slo_ms,
        unit: spec.unit.into(),
        capacity,
        upper_bound,
        limited_by,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(offered: f64, passed: bool) -> CapacityStep {
        CapacityStep {
            offered,
            achieved: offered,
            p99_us: 1,
            errors: 0,
            passed,
            failed_by: (!passed).then(|| "slo".into()),
        }
    }

    /// Simulates a server with a true capacity of `cap` rps.
    fn simulate(cap: f64, seed: f64, max_steps: u32) -> Vec<CapacityStep> {
        let mut steps = Vec::new();
        while let Some(r) = next_probe(&steps, seed, max_steps, 1e6) {
            steps.push(step(r, r <= cap));
        }
        steps
    }

    #[test]
    fn grows_then_bisects() {
        let steps = simulate(1000.0, 800.0, 4);
        let offered: Vec<f64> = steps.iter().map(|s| s.offered).collect();
        assert_eq!(offered, vec![800.0, 1200.0, 1000.0, 1100.0]);
        assert_eq!(
            conclude(&steps),
            (Some(1000.0), Some(1100.0), "slo".to_string())
        );
    }

    #[test]
    fn halves_when_seed_fails_and_gives_none_when_nothing_passes() {
        let steps = simulate(150.0, 800.0, 3);
        let offered: Vec<f64> = steps.iter().map(|s| s.offered).collect();
        assert_eq!(offered, vec![800.0, 400.0, 200.0]);
        assert_eq!(conclude(&steps).0, None);
    }

    #[test]
    fn all_passing_stops_at_max() {
        let steps = simulate(1e9, 100.0, 3);
        assert_eq!(conclude(&steps), (Some(225.0), None, "max".to_string()));
    }

    proptest::proptest! {
        #[test]
        fn search_is_bounded_and_capacity_never_exceeds_truth(cap in 1.0f64..1e5, seed in 1.0f64..1e5, max_steps in 1u32..12) {
            let steps = simulate(cap, seed, max_steps);
            proptest::prop_assert!(steps.len() <= max_steps as usize);
            if let (Some(c), _, _) = conclude(&steps) {
                proptest::prop_assert!(c <= cap);
            }
        }

        #[test]
        fn bisection_converges_within_resolution(cap in 10.0f64..1e5, seed in 10.0f64..1e5) {
            let steps = simulate(cap, seed, 60);
            let (c, _, _) = conclude(&steps);
            let c = c.expect("something passes above MIN_RPS");
            proptest::prop_assert!(c >= cap * (1.0 - 2.0 * RESOLUTION) - 1e-9, "c={} cap={}", c, cap);
        }
    }
}
