//! Capacity at SLO: the highest offered load whose p99 stays under the SLO
//! with no errors — requests/s for HTTP, clients for ws-chat, one search for
//! both over a [`Workload`]. A bounded search (steps and time); the choice
//! of the next probe ([`next_probe`]) and the judging of a step ([`judge`])
//! are pure functions.
//!
//! - **A cell's first search** (no earlier trial of this stack and
//!   scenario) grows from a seed by [`GROW`] until a step fails, halves
//!   until one passes, then bisects to [`RESOLUTION`]. It takes one step
//!   more than `--capacity-steps` (see [`Plan::steps`]).
//! - **A later trial's search** starts from the earlier trials' bracket
//!   ([`crate::results::capacity::seed_bracket`]): its first step is the
//!   median trial's pass (a load the server carried, which also warms it),
//!   then it bisects towards the lowest failure above it, stepping by
//!   [`FINE`] only outside that bracket (up when no failure is known, down
//!   when that pass fails this time). It takes one step fewer, so two trials
//!   cost what two unseeded searches did — unless no step failed above its
//!   highest pass (every step passed, or a cold first step passed when
//!   probed again): then it goes on upwards for up to [`EXTRA_UP`] steps (the
//!   earlier trials' lowest failure first, then by [`FINE`]) until the
//!   server fails. A search that passed everything bounds its trial's
//!   capacity from below only, and a trial without a failure of its own
//!   leaves the claims' capacity interval open above (issue 20: K7 stayed
//!   open in both default runs of 2026-12-04 16:22 because python-fastapi's
//!   seeded searches passed all three steps).
//! - **A cold first step**: when a search's first step fails by the server
//!   (`slo` or `errors`) and a lower step then passes, that first level is
//!   probed once more. A server's first heavy load pays one-off costs (JIT
//!   compilation, heap growth, connection tables); both results stay in the
//!   record and the pass, if it comes, stands — as any pass above a failure
//!   of the same level does.
//!
//! The reported bracket is never the search's guess: it is read from the
//! recorded steps alone (lowest pass – lowest server failure above it), so
//! seeding changes where the steps fall, not what they are allowed to mean.

use std::time::{Duration, Instant};

use super::config::SuiteConfig;
use super::target::Target;
use super::workload::{DriveOpts, Outcome, RATE_REACHED, Workload, drive};
use crate::results::capacity::{Bracket, server_failed};
use crate::results::{CapacityRecord, CapacityStep};

/// Growth factor of a first search while every step passes.
pub const GROW: f64 = 1.5;
/// Step factor of a search seeded from earlier trials, outside their bracket.
pub const FINE: f64 = 1.2;
/// Bisection stops when the bracket is narrower than this fraction of its top.
pub const RESOLUTION: f64 = 0.05;
/// Wall time a ws-chat step takes beyond its window and drain: connecting
/// its clients (thousands of handshakes), closing them and the settle
/// before the next step. Fitted to four runs of 2026-12-04 on this 2-core
/// machine (`--stacks python-fastapi`, ws-chat alone and after six other
/// scenarios, 11–14 steps each at 2,000–5,000 clients): 89–196 s measured
/// against 92–198 s estimated with it, where the step's window and drain
/// alone (1.5 s) put them at 47 s–2 min 33 s.
pub const WS_STEP_OVERHEAD_S: f64 = 3.0;

/// Estimated wall time of one capacity step of `step_s` seconds: its
/// window, the drain after it (0.5 s) and, for ws-chat, [`WS_STEP_OVERHEAD_S`].
pub fn step_estimate_s(step_s: f64, ws: bool) -> f64 {
    step_s + 0.5 + if ws { WS_STEP_OVERHEAD_S } else { 0.0 }
}

/// Lowest level probed.
pub const MIN_LEVEL: f64 = 1.0;
/// Steps a seeded search may add when every one of its steps passed: it
/// goes on upwards (the earlier trials' lowest failure, then by [`FINE`])
/// until the server fails, so each trial measures a failure of its own.
pub const EXTRA_UP: u32 = 2;

/// Where a search starts and how it moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// First level tried (a seeded search: the earlier trials' median pass).
    pub seed: f64,
    /// Most steps of this search.
    pub max_steps: u32,
    /// Highest level tried.
    pub max_level: f64,
    /// Levels are whole numbers (clients).
    pub integer: bool,
    /// The earlier trials' bracket of this cell, when it has a pass.
    pub prior: Option<Bracket>,
}

impl Plan {
    /// The plan of a search given `steps` (`--capacity-steps`) and the
    /// earlier trials' bracket: a first search takes `steps + 1`, a seeded
    /// one `steps - 1` (from 3 steps up; fewer are left as they are).
    pub fn new(
        seed: f64,
        steps: u32,
        max_level: f64,
        integer: bool,
        prior: Option<Bracket>,
    ) -> Plan {
        let prior = prior.filter(|b| b.low >= MIN_LEVEL);
        Plan {
            seed: prior
                .map_or(seed, |b| b.low)
                .clamp(MIN_LEVEL, max_level.max(MIN_LEVEL)),
            max_steps: Plan::steps(steps, prior.is_some()),
            max_level,
            integer,
            prior,
        }
    }

    /// Steps of a search: `steps + 1` for a cell's first, `steps - 1` for a
    /// seeded one, when `steps` ≥ 3 (a short search keeps its count).
    pub fn steps(steps: u32, seeded: bool) -> u32 {
        match (steps >= 3, seeded) {
            (false, _) => steps,
            (true, false) => steps + 1,
            (true, true) => steps - 1,
        }
    }

    /// The most steps a search takes: [`Plan::steps`], and a seeded one's
    /// [`EXTRA_UP`] when none of them failed above its highest pass (so
    /// `steps + 1` for either kind from 3 steps up). The run's time
    /// estimate counts this.
    pub fn most_steps(steps: u32, seeded: bool) -> u32 {
        let planned = Plan::steps(steps, seeded);
        planned + if seeded && planned > 0 { EXTRA_UP } else { 0 }
    }

    /// Steps this search may take after `steps`: its planned ones, and a
    /// seeded search's [`EXTRA_UP`] while no step failed above its highest
    /// pass (every step passed, or a cold first step failed and then passed
    /// when probed again).
    fn limit(&self, steps: &[CapacityStep]) -> usize {
        let planned = self.max_steps as usize;
        let lo = steps
            .iter()
            .filter(|s| s.passed)
            .map(|s| s.offered)
            .fold(0.0, f64::max);
        let open_above = lo > 0.0 && steps.iter().all(|s| s.passed || s.offered <= lo);
        if self.prior.is_some() && open_above {
            planned + EXTRA_UP as usize
        } else {
            planned
        }
    }
}

/// The offered level of the next step, or `None` when the search is over
/// (steps spent, bracket within [`RESOLUTION`], or no new level to try).
pub fn next_probe(steps: &[CapacityStep], plan: &Plan) -> Option<f64> {
    if steps.len() >= plan.limit(steps) {
        return None;
    }
    let (level, again) = match raw_probe(steps, plan)? {
        Probe::Again(l) => (l, true),
        Probe::New(l) => (l, false),
    };
    let level = level.clamp(MIN_LEVEL, plan.max_level.max(MIN_LEVEL));
    let level = if plan.integer { level.round() } else { level };
    let probed = steps.iter().filter(|s| s.offered == level).count();
    (probed == 0 || (again && probed == 1)).then_some(level)
}

enum Probe {
    /// A level not probed before (unless rounding says otherwise).
    New(f64),
    /// The cold first step, probed once more.
    Again(f64),
}

fn raw_probe(steps: &[CapacityStep], plan: &Plan) -> Option<Probe> {
    let Some(first) = steps.first() else {
        return Some(Probe::New(plan.seed));
    };
    let (grow, shrink) = if plan.prior.is_some() {
        (FINE, FINE)
    } else {
        (GROW, 2.0)
    };
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
    if let Some(lo) = lo
        && server_failed(first)
        && lo < first.offered
        && steps.iter().filter(|s| s.offered == first.offered).count() == 1
    {
        return Some(Probe::Again(first.offered));
    }
    let next = match (lo, hi) {
        (Some(lo), None) => {
            // Within the earlier trials' bracket, bisect towards their
            // lowest failure before stepping past it.
            let known = plan.prior.and_then(|b| b.high).filter(|h| *h > lo);
            // Past the planned steps (a seeded search that failed nothing
            // above its pass): that failure itself, then beyond it by FINE.
            let extra = steps.len() >= plan.max_steps as usize;
            match known {
                Some(h) if extra => h,
                Some(h) if (h - lo) / h > RESOLUTION => (lo + h) / 2.0,
                _ if lo >= plan.max_level => return None,
                _ => (lo * grow).min(plan.max_level),
            }
        }
        (None, Some(hi)) => {
            if hi / shrink < MIN_LEVEL {
                return None;
            }
            hi / shrink
        }
        (Some(lo), Some(hi)) => {
            if (hi - lo) / hi <= RESOLUTION {
                return None;
            }
            (lo + hi) / 2.0
        }
        (None, None) => return None,
    };
    Some(Probe::New(next))
}

/// Judges one step from its outcome: passes when there are no errors,
/// p99 < SLO, the generator was not the limit and the rate was reached.
/// A saturated generator is named before the server's errors and p99: what
/// it failed to send or read in time is not the server's failure, so such a
/// step bounds the capacity from below only.
pub fn judge(offered: f64, outcome: Option<&Outcome>, slo: Duration) -> CapacityStep {
    let Some(o) = outcome else {
        return CapacityStep {
            offered,
            achieved: 0.0,
            p99_us: 0,
            errors: 1,
            passed: false,
            failed_by: Some("errors".into()),
            generator_utilization: None,
        };
    };
    let (target, achieved) = o.rate.unwrap_or((offered, o.throughput));
    let failed_by = if !o.produced {
        Some("errors")
    } else if o.generator_saturated {
        Some("generator")
    } else if o.errors > 0 {
        Some("errors")
    } else if o.p99_us as u128 >= slo.as_micros() {
        Some("slo")
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
        generator_utilization: Some(o.generator_utilization),
    }
}

/// The capacity (highest passing offer), the lowest failing offer above it
/// (the search's resolution: the true capacity lies below it), and why the
/// search stopped: the failure above the capacity (`slo`, `errors`,
/// `generator`, `rate`), else `max` when the capacity is the highest level
/// allowed, else `steps` (the steps ran out while every step passed).
pub fn conclude(steps: &[CapacityStep], max_level: f64) -> (Option<f64>, Option<f64>, String) {
    let cap = steps
        .iter()
        .filter(|s| s.passed)
        .map(|s| s.offered)
        .reduce(f64::max);
    let first_fail_above = steps
        .iter()
        .filter(|s| !s.passed && cap.is_none_or(|c| s.offered > c))
        .min_by(|a, b| a.offered.total_cmp(&b.offered));
    let why = match first_fail_above.and_then(|s| s.failed_by.clone()) {
        Some(why) => why,
        None if cap.is_some_and(|c| c < max_level) => "steps".into(),
        None => "max".into(),
    };
    (cap, first_fail_above.map(|s| s.offered), why)
}

/// What to search.
#[derive(Debug, Clone)]
pub struct SearchSpec {
    pub scenario: crate::scenario::Scenario,
    /// The load; its level (rate or clients) is set by each step.
    pub workload: Workload,
    /// First level of a cell's first search (HTTP: 80 % of the measured
    /// peak, when known).
    pub seed: f64,
    /// Highest level tried.
    pub max_level: f64,
    /// `rps` or `clients`.
    pub unit: &'static str,
    /// The earlier trials' bracket of this cell: the search starts from it.
    pub prior: Option<Bracket>,
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
    let plan = Plan::new(
        spec.seed,
        s.capacity_max_steps,
        spec.max_level,
        spec.workload.is_ws(),
        spec.prior,
    );
    // Time bound: every step plus generous slack for connection setup and drain.
    let most_steps = Plan::most_steps(s.capacity_max_steps, plan.prior.is_some()).max(1);
    let deadline = Instant::now() + (step_len + Duration::from_secs(10)) * most_steps;
    let mut steps: Vec<CapacityStep> = Vec::new();
    while let Some(offered) = next_probe(&steps, &plan) {
        if Instant::now() >= deadline {
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
    let (capacity, upper_bound, limited_by) = conclude(&steps, plan.max_level);
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

/// A ws-chat record concluded from simulated `steps`, as [`search`] makes
/// one (for the search's tests and the figures' coverage simulation).
#[cfg(test)]
pub(crate) fn test_record(
    stack: &str,
    trial: u32,
    steps: Vec<CapacityStep>,
    max_level: f64,
) -> CapacityRecord {
    let (capacity, upper_bound, limited_by) = conclude(&steps, max_level);
    CapacityRecord {
        stack: stack.into(),
        scenario: crate::scenario::Scenario::WsChat,
        workers: 1,
        trial,
        slo_ms: 100.0,
        unit: "clients".into(),
        capacity,
        upper_bound,
        limited_by,
        steps,
    }
}

#[cfg(test)]
mod tests;
