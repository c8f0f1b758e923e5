//! The order of a run: rounds of interleaved trials.
//!
//! Each round is one trial of every stack it holds: every stack is launched
//! afresh, and the loads of the stacks alternate slice by slice, in an order
//! that rotates from slice to slice and round to round (A B C, B C A, C A B),
//! so a drift of the machine — slow stretches of the host come and go within
//! seconds here — hits every stack alike. The default run screens every stack
//! first, then spends its remaining rounds on the finalists: the best Node.js
//! and the best Python deployment by the screening's json throughput, and the
//! Rust ceiling. Pure functions; the runner executes them.

use crate::scenario::Scenario;

use crate::results::{PlanSettings, PointKind, Results, RoundKind, RoundRecord, StackRecord};

/// `items` rotated left by `by`: the visiting order of round or slice `by`.
pub fn rotation<T: Clone>(items: &[T], by: usize) -> Vec<T> {
    if items.is_empty() {
        return Vec::new();
    }
    let k = by % items.len();
    items[k..].iter().chain(&items[..k]).cloned().collect()
}

/// Number of rounds of a run.
pub fn round_count(plan: &PlanSettings, trials: u32) -> u32 {
    if plan.final_rounds > 0 {
        plan.screening_rounds + plan.final_rounds
    } else {
        trials.max(1)
    }
}

/// The kind of round `number` (1-based).
pub fn round_kind(plan: &PlanSettings, number: u32) -> RoundKind {
    if plan.final_rounds == 0 {
        RoundKind::All
    } else if number <= plan.screening_rounds {
        RoundKind::Screening
    } else {
        RoundKind::Final
    }
}

/// The scenarios of a round of `kind`, from the run's.
pub fn round_scenarios(plan: &PlanSettings, kind: RoundKind, all: &[Scenario]) -> Vec<Scenario> {
    match kind {
        RoundKind::Screening if !plan.screening_scenarios.is_empty() => all
            .iter()
            .copied()
            .filter(|s| plan.screening_scenarios.contains(s))
            .collect(),
        _ => all.to_vec(),
    }
}

/// The group a finalist is chosen from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// JavaScript on Node.js (Bun and Deno are JavaScript, not Node.js).
    Node,
    /// Python.
    Python,
    /// The Rust baseline: the ceiling.
    Rust,
}

impl Group {
    pub fn of(rec: &StackRecord) -> Option<Group> {
        let runtime = rec.runtime.as_deref().unwrap_or("");
        match rec.language.as_str() {
            "javascript" if runtime.is_empty() || runtime == "node" => Some(Group::Node),
            "python" => Some(Group::Python),
            "rust" => Some(Group::Rust),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Group::Node => "Node.js",
            Group::Python => "Python",
            Group::Rust => "Rust",
        }
    }
}

/// The scenario finalists are chosen by: framework overhead per request,
/// the broadest of the catalogue.
pub const FINALIST_SCENARIO: Scenario = Scenario::Json;

/// Median json peak throughput of each stack over the screening rounds
/// (valid, unflagged points at the highest connection count; slices of one
/// trial pooled). Stacks with no such figure are absent.
pub fn screening_throughput(results: &Results, screening_rounds: u32) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for rec in &results.stacks {
        let mut per_trial = Vec::new();
        for trial in 1..=screening_rounds {
            let (mut req, mut secs) = (0u64, 0.0);
            for p in results.points.iter().filter(|p| {
                p.stack == rec.name
                    && p.scenario == FINALIST_SCENARIO
                    && p.trial == trial
                    && p.workers == 1
                    && p.valid
                    && matches!(p.kind, PointKind::Peak { .. })
            }) {
                if let Some(l) = &p.load {
                    req += l.requests;
                    secs += l.duration_s;
                }
            }
            if secs > 0.0 {
                per_trial.push(req as f64 / secs);
            }
        }
        if let Some(m) = crate::stats::median(&per_trial) {
            out.push((rec.name.clone(), m));
        }
    }
    out
}

/// The finalists after screening: the best stack of each group by the
/// screening's json throughput, in the order of the run's stacks, with one
/// line each saying why. A group with no measured stack has no finalist.
pub fn finalists(results: &Results, screening_rounds: u32) -> (Vec<String>, Vec<String>) {
    let thr = screening_throughput(results, screening_rounds);
    let mut chosen = Vec::new();
    let mut reasons = Vec::new();
    for group in [Group::Node, Group::Python, Group::Rust] {
        let mut members: Vec<(&String, f64)> = thr
            .iter()
            .filter(|(name, _)| {
                results
                    .stacks
                    .iter()
                    .find(|r| &r.name == name)
                    .and_then(Group::of)
                    == Some(group)
            })
            .map(|(n, t)| (n, *t))
            .collect();
        members.sort_by(|a, b| b.1.total_cmp(&a.1));
        let Some((best, t)) = members.first() else {
            continue;
        };
        chosen.push((*best).clone());
        let others: Vec<String> = members[1..]
            .iter()
            .map(|(n, t)| format!("{n} {t:.0}"))
            .collect();
        reasons.push(format!(
            "{}: {best} ({FINALIST_SCENARIO} {t:.0} req/s in screening){}",
            group.label(),
            if others.is_empty() {
                String::new()
            } else {
                format!(", ahead of {}", others.join(", "))
            }
        ));
    }
    let order: Vec<&String> = results.stacks.iter().map(|r| &r.name).collect();
    chosen.sort_by_key(|n| order.iter().position(|o| *o == n));
    (chosen, reasons)
}

/// The threaded Python deployment the `workers` phases add when the Python
/// finalist serves on one thread a process: the best by the screening's json
/// throughput among those with `threads` ≥ 2 (`None`: not needed, or none).
pub fn threaded_python(
    results: &Results,
    finalists: &[String],
    screening_rounds: u32,
) -> Option<(String, String)> {
    let threads = |name: &str| {
        results
            .stacks
            .iter()
            .find(|r| r.name == name)
            .and_then(|r| r.threads)
            .unwrap_or(1)
    };
    let is_python = |name: &str| {
        results
            .stacks
            .iter()
            .find(|r| r.name == name)
            .and_then(Group::of)
            == Some(Group::Python)
    };
    if finalists.iter().any(|f| is_python(f) && threads(f) >= 2) {
        return None;
    }
    let (name, t) = screening_throughput(results, screening_rounds)
        .into_iter()
        .filter(|(n, _)| is_python(n) && threads(n) >= 2)
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let why = format!(
        "workers: {name} ({} threads a process, {FINALIST_SCENARIO} {t:.0} req/s in screening) for one process's threads against the GIL",
        threads(&name)
    );
    Some((name, why))
}

/// The record of round `number`: a round already in `results` (a resumed
/// run) is kept as it was; otherwise the stacks are every measured stack
/// (screening and `All` rounds) or the finalists (final rounds).
pub fn round_record(
    plan: &PlanSettings,
    scenarios: &[Scenario],
    measured: &[String],
    results: &Results,
    number: u32,
) -> RoundRecord {
    if let Some(r) = results.rounds.iter().find(|r| r.number == number) {
        return r.clone();
    }
    let kind = round_kind(plan, number);
    let (stacks, reason) = match kind {
        RoundKind::Final => {
            let (mut chosen, mut reason) = finalists(results, plan.screening_rounds);
            let final_index = number - plan.screening_rounds;
            if plan.ceiling_final_rounds > 0 && final_index > plan.ceiling_final_rounds {
                let is_rust = |name: &String| {
                    results
                        .stacks
                        .iter()
                        .find(|r| &r.name == name)
                        .and_then(Group::of)
                        == Some(Group::Rust)
                };
                chosen.retain(|n| !is_rust(n));
                reason.retain(|r| !r.starts_with("Rust:"));
            }
            (chosen, reason)
        }
        _ => (measured.to_vec(), Vec::new()),
    };
    let scenarios = round_scenarios(plan, kind, scenarios);
    let mut reason = reason;
    let mut workers_extra = Vec::new();
    if kind == RoundKind::Final
        && scenarios.contains(&Scenario::Workers)
        && let Some((name, why)) = threaded_python(results, &stacks, plan.screening_rounds)
    {
        workers_extra.push(name);
        reason.push(why);
    }
    RoundRecord {
        number,
        kind,
        stacks: rotation(&stacks, (number - 1) as usize),
        scenarios,
        workers_extra,
        reason,
        look: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_give_every_stack_every_position() {
        let s = ["a", "b", "c"];
        assert_eq!(rotation(&s, 0), ["a", "b", "c"]);
        assert_eq!(rotation(&s, 1), ["b", "c", "a"]);
        assert_eq!(rotation(&s, 2), ["c", "a", "b"]);
        assert_eq!(rotation(&s, 3), ["a", "b", "c"]);
        assert!(rotation::<&str>(&[], 5).is_empty());
        // Over as many rounds as stacks, each stack is first exactly once.
        let firsts: Vec<&str> = (0..3).map(|r| rotation(&s, r)[0]).collect();
        assert_eq!(firsts, ["a", "b", "c"]);
    }

    #[test]
    fn screening_then_finals() {
        let plan = PlanSettings {
            screening_rounds: 2,
            final_rounds: 2,
            screening_scenarios: vec![Scenario::Json, Scenario::Io],
            ..PlanSettings::default()
        };
        assert_eq!(round_count(&plan, 9), 4);
        assert_eq!(round_kind(&plan, 1), RoundKind::Screening);
        assert_eq!(round_kind(&plan, 2), RoundKind::Screening);
        assert_eq!(round_kind(&plan, 3), RoundKind::Final);
        let all = [Scenario::Json, Scenario::Db, Scenario::Io];
        assert_eq!(
            round_scenarios(&plan, RoundKind::Screening, &all),
            vec![Scenario::Json, Scenario::Io]
        );
        assert_eq!(round_scenarios(&plan, RoundKind::Final, &all), all.to_vec());
        let flat = PlanSettings::default();
        assert_eq!(round_count(&flat, 3), 3);
        assert_eq!(round_kind(&flat, 2), RoundKind::All);
    }
}
