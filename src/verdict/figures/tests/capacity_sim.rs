//! Coverage of the capacity figures' intervals, by simulation: searches run
//! by the harness's own probe rule ([`crate::suite::capacity::next_probe`]:
//! a first search, then seeded ones from the median trial that go on above)
//! against servers whose capacity moves from trial to trial (log-normal
//! around a typical value; a step passes at or below the trial's capacity),
//! reduced by `build` as a run's results are: three stacks (Node.js 3,500,
//! Python 2,300, Rust 4,000 clients: the ratio K7 reads is 1.52×).

use rand::{RngExt, SeedableRng};

use super::fig;
use super::run::Run;
use crate::results::capacity::seed_bracket;
use crate::results::{CapacityRecord, CapacityStep};
use crate::scenario::Scenario::WsChat;
use crate::suite::capacity::{Plan, next_probe, test_record};

const MAX: f64 = 10_000.0;

/// One search of a server of capacity `cap` (a step passes at or below it).
fn search(
    stack: &str,
    trial: u32,
    cap: f64,
    seed: f64,
    earlier: &[CapacityRecord],
) -> CapacityRecord {
    let prior = seed_bracket(&earlier.iter().collect::<Vec<_>>());
    let plan = Plan::new(seed, 4, MAX, true, prior);
    let mut steps: Vec<CapacityStep> = Vec::new();
    while let Some(level) = next_probe(&steps, &plan) {
        let passed = level <= cap;
        steps.push(CapacityStep {
            offered: level,
            achieved: level,
            p99_us: if passed { 20_000 } else { 300_000 },
            errors: 0,
            passed,
            failed_by: (!passed).then(|| "slo".into()),
            generator_utilization: Some(0.5),
        });
    }
    test_record(stack, trial, steps, MAX)
}

pub struct Outcome {
    /// Figures whose interval held the typical capacity, of those with one.
    pub covered: f64,
    /// Ratios (Node.js ÷ Python) whose interval held the true ratio.
    pub ratio_covered: f64,
    /// Pairs of runs whose intervals of the same stack were disjoint.
    pub disjoint: f64,
    /// Figures closed above (every trial failed above its pass).
    pub closed: f64,
    /// Runs whose ratio's interval lies wholly above K7's 1.3×.
    pub above: f64,
}

/// `runs` simulated runs of three stacks × `trials` trials, trial-to-trial
/// noise `sigma` (sd of ln capacity), a run-to-run shift `shift` (sd of
/// ln, common to every stack of a run).
pub fn simulate(runs: usize, trials: u32, sigma: f64, shift: f64, seed: u64) -> Outcome {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut normal = move || {
        let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    let stacks = [
        ("node", "javascript", 3500.0),
        ("py", "python", 2300.0),
        ("rs", "rust", 4000.0),
    ];
    let (mut figs, mut hit, mut ratios, mut ratio_hit, mut closed) = (0, 0, 0, 0, 0);
    let (mut pairs, mut apart, mut above) = (0, 0, 0);
    let mut last: Option<Vec<(f64, f64)>> = None;
    for _ in 0..runs {
        let mut b = Run::new();
        let run_shift = (shift * normal()).exp();
        for (name, lang, _) in stacks {
            b.stack(name, lang);
        }
        for t in 1..=trials {
            for (name, _, typical) in stacks {
                let cap = typical * run_shift * (sigma * normal()).exp();
                let seed = typical * (0.75 + 0.15 * normal()).clamp(0.4, 1.2);
                let earlier: Vec<CapacityRecord> =
                    b.r.capacity
                        .iter()
                        .filter(|c| c.stack == name)
                        .cloned()
                        .collect();
                let rec = search(name, t, cap, seed, &earlier);
                b.r.capacity.push(rec);
            }
        }
        let f = b.figures();
        let mut ends = Vec::new();
        for (name, _, typical) in stacks {
            let c = fig(&f, WsChat, name).capacity.as_ref().unwrap();
            let (Some(lo), hi) = (c.interval_low(), c.interval_high()) else {
                ends.push((f64::NAN, f64::NAN));
                continue;
            };
            let hi = hi.unwrap_or(f64::INFINITY);
            closed += hi.is_finite() as usize;
            figs += 1;
            hit += (lo <= typical * run_shift && typical * run_shift <= hi) as usize;
            ends.push((lo, hi));
        }
        let node = fig(&f, WsChat, "node").capacity.as_ref().unwrap();
        let py = fig(&f, WsChat, "py").capacity.as_ref().unwrap();
        let r = node.ratio_to(py);
        above += (r.judged && r.low > 1.3) as usize;
        if r.judged {
            ratios += 1;
            ratio_hit += (r.low <= 3500.0 / 2300.0 && 3500.0 / 2300.0 <= r.high) as usize;
        }
        if let Some(prev) = &last {
            for (a, b) in prev.iter().zip(&ends) {
                if a.0.is_nan() || b.0.is_nan() {
                    continue;
                }
                pairs += 1;
                apart += (a.1 < b.0 || b.1 < a.0) as usize;
            }
        }
        last = Some(ends);
    }
    let frac = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    Outcome {
        covered: frac(hit, figs),
        ratio_covered: frac(ratio_hit, ratios),
        disjoint: frac(apart, pairs),
        closed: frac(closed, figs),
        above: frac(above, runs),
    }
}

/// Each line: trials, trial-to-trial sd of ln capacity, run-to-run shift;
/// then the least coverage allowed of the figure and of the ratio. The
/// coverage of a 95 % interval over 400 runs is 0.95 ± 0.011 (one sd); the
/// floor 0.935 leaves room for that, and no more. Measured at the commit
/// that made them (seed 5): 0.96–1.00 for the figure and the ratio in every
/// line; the same runs with the passes and the failures as the two ends
/// (the first version) covered 0.96–1.00 too but decided K7 (ratio's low
/// end above 1.3×) in 8 % of 4-trial runs against 36 %, 12 % of 6-trial
/// ones against 53 %. With the probe rule the branches were merged under
/// (a seeded search goes on above only while no step failed above its
/// pass, and stops at its first failure there): figure 0.956–0.999, ratio
/// 0.962–1.000, K7 decided in 33 % of 4-trial runs and 52 % of 6-trial ones.
#[test]
fn capacity_intervals_cover_the_typical_capacity_and_the_ratio() {
    for (trials, sigma, shift) in [
        (2, 0.02, 0.0),
        (2, 0.05, 0.0),
        (2, 0.10, 0.0),
        (2, 0.15, 0.0),
        (3, 0.10, 0.0),
        (4, 0.10, 0.0),
        (6, 0.10, 0.0),
        (2, 0.10, 0.08),
    ] {
        let o = simulate(400, trials, sigma, shift, 5);
        let what = format!(
            "{trials} trials, sd {sigma}, shift {shift}: figure {:.3}, ratio {:.3}, disjoint {:.3}, closed {:.3}, K7 decided {:.3}",
            o.covered, o.ratio_covered, o.disjoint, o.closed, o.above
        );
        eprintln!("{what}");
        assert!(o.covered >= 0.935, "{what}");
        assert!(o.ratio_covered >= 0.935, "{what}");
        // Two runs' intervals of the same stack are disjoint about as
        // often as two 95 % intervals of one value (well under 5 %).
        assert!(o.disjoint <= 0.02, "{what}");
        // Searches go on above until the server fails: nearly every
        // figure is closed above.
        assert!(o.closed >= 0.9, "{what}");
    }
    // More trials decide more: the interval narrows.
    let (few, many) = (
        simulate(400, 2, 0.10, 0.0, 9),
        simulate(400, 6, 0.10, 0.0, 9),
    );
    assert!(
        many.above > few.above + 0.2,
        "{} then {}",
        few.above,
        many.above
    );
}
