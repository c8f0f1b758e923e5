//! Capacity at SLO: the highest offered rate whose p99 stays under the SLO
//! with no errors. A bounded search (steps and time): grow from a seed until
//! a step fails, halve until one passes, then bisect. The choice of the next
//! probe and the judging of a step are pure functions.

use std::time::{Duration, Instant};

use crate::load::LoadReport;
use crate::scenario::Scenario;

use super::config::SuiteConfig;
use super::measure::{RATE_REACHED, load_config};
use super::results::{CapacityRecord, CapacityStep, PointKind};
use super::target::Target;

/// Growth factor while every step passes.
pub const GROW: f64 = 1.5;
/// Bisection stops when the bracket is narrower than this fraction of its top.
pub const RESOLUTION: f64 = 0.05;
/// Lowest rate probed, requests/s.
pub const MIN_RPS: f64 = 1.0;

/// The offered rate of the next step, or `None` when the search is over.
pub fn next_probe(steps: &[CapacityStep], seed: f64, max_steps: u32, max_rps: f64) -> Option<f64> {
    if steps.len() >= max_steps as usize {
        return None;
    }
    if steps.is_empty() {
        return Some(seed.clamp(MIN_RPS, max_rps));
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
        (Some(lo), None) => (lo < max_rps).then(|| (lo * GROW).min(max_rps)),
        (None, Some(hi)) => (hi / 2.0 >= MIN_RPS).then_some(hi / 2.0),
        (Some(lo), Some(hi)) => ((hi - lo) / hi > RESOLUTION).then_some((lo + hi) / 2.0),
        (None, None) => None,
    }
}

/// Judges one step: passes when there are no errors, p99 < SLO, the
/// generator was not the limit and the rate was reached.
pub fn judge(offered: f64, load: &LoadReport, slo: Duration) -> CapacityStep {
    let errors = load.errors.total();
    let achieved = load.achieved_rps.unwrap_or(load.throughput_rps);
    let p99_us = load.latency.p99_us;
    let failed_by = if errors > 0 {
        Some("errors")
    } else if p99_us as u128 >= slo.as_micros() {
        Some("slo")
    } else if load.generator.saturated {
        Some("generator")
    } else if achieved < RATE_REACHED * offered {
        Some("rate")
    } else {
        None
    };
    CapacityStep {
        offered,
        achieved,
        p99_us,
        errors,
        passed: failed_by.is_none(),
        failed_by: failed_by.map(String::from),
    }
}

/// The capacity (highest passing offer) and why the search stopped.
pub fn conclude(steps: &[CapacityStep]) -> (Option<f64>, String) {
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
    (cap, why)
}

/// Runs a capacity search against `target` on `path`, seeded near `seed_rps`
/// (80 % of the measured peak throughput, when known).
#[allow(clippy::too_many_arguments)]
pub async fn search(
    target: &dyn Target,
    cfg: &SuiteConfig,
    stack: &str,
    scenario: Scenario,
    path: &str,
    workers: u32,
    trial: u32,
    seed_rps: f64,
    mut on_step: impl FnMut(usize),
) -> CapacityRecord {
    let s = &cfg.settings;
    let step_len = Duration::from_secs_f64(s.capacity_step_s.max(0.2));
    let slo = Duration::from_secs_f64(s.slo_ms / 1000.0);
    let max_rps = (seed_rps * 20.0).max(1000.0);
    // Time bound: every step plus generous slack for connection setup and drain.
    let deadline =
        Instant::now() + (step_len + Duration::from_secs(7)) * s.capacity_max_steps.max(1);
    let mut steps: Vec<CapacityStep> = Vec::new();
    let base = target.base_url();
    while let Some(offered) = next_probe(&steps, seed_rps, s.capacity_max_steps, max_rps) {
        if Instant::now() >= deadline {
            break;
        }
        on_step(steps.len() + 1);
        // A queue left by an overloaded step drains before the next one.
        super::measure::settle(target).await;
        let kind = PointKind::FixedRate { rps: offered };
        let Ok(mut lc) = load_config(cfg, &base, path, &kind, step_len) else {
            break;
        };
        lc.keep_histogram = false;
        lc.timeout = slo.max(Duration::from_secs(1)) * 4;
        match crate::load::execute(&lc).await {
            Ok(report) => steps.push(judge(offered, &report, slo)),
            Err(_) => steps.push(CapacityStep {
                offered,
                achieved: 0.0,
                p99_us: 0,
                errors: 1,
                passed: false,
                failed_by: Some("errors".into()),
            }),
        }
    }
    let (capacity, limited_by) = conclude(&steps);
    CapacityRecord {
        stack: stack.into(),
        scenario,
        workers,
        trial,
        slo_ms: s.slo_ms,
        unit: "rps".into(),
        capacity,
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
        assert_eq!(conclude(&steps), (Some(1000.0), "slo".to_string()));
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
        assert_eq!(conclude(&steps), (Some(225.0), "max".to_string()));
    }

    proptest::proptest! {
        #[test]
        fn search_is_bounded_and_capacity_never_exceeds_truth(cap in 1.0f64..1e5, seed in 1.0f64..1e5, max_steps in 1u32..12) {
            let steps = simulate(cap, seed, max_steps);
            proptest::prop_assert!(steps.len() <= max_steps as usize);
            if let (Some(c), _) = conclude(&steps) {
                proptest::prop_assert!(c <= cap);
            }
        }

        #[test]
        fn bisection_converges_within_resolution(cap in 10.0f64..1e5, seed in 10.0f64..1e5) {
            let steps = simulate(cap, seed, 60);
            let (c, _) = conclude(&steps);
            let c = c.expect("something passes above MIN_RPS");
            proptest::prop_assert!(c >= cap * (1.0 - 2.0 * RESOLUTION) - 1e-9, "c={} cap={}", c, cap);
        }
    }
}
