//! Trials planned against trials measured, per stack and scenario: a table
//! says "1 of 2" (not "1") when a planned trial left no valid point, and
//! why, from the stack's failure records or the run's interruption.

use crate::results::{Results, RoundKind};
use crate::scenario::Scenario;

/// Rounds that planned `sc` on `stack`.
pub fn planned(results: &Results, stack: &str, sc: Scenario) -> usize {
    results
        .rounds
        .iter()
        .filter(|r| r.scenarios.contains(&sc))
        .filter(|r| {
            r.stacks.iter().any(|s| s == stack)
                || (sc == Scenario::Workers && r.workers_extra.iter().any(|s| s == stack))
        })
        .filter(|r| r.kind != RoundKind::Final || r.stacks.iter().any(|s| s == stack))
        .count()
}

/// Trials with at least one valid point of `sc` on `stack`.
fn measured_trials(results: &Results, stack: &str, sc: Scenario) -> Vec<u32> {
    let mut trials: Vec<u32> = results
        .points
        .iter()
        .filter(|p| p.valid && p.stack == stack && p.scenario == sc)
        .map(|p| p.trial)
        .collect();
    trials.sort_unstable();
    trials.dedup();
    trials
}

/// How many trials have at least one valid point of `sc` on `stack`.
pub fn measured(results: &Results, stack: &str, sc: Scenario) -> usize {
    measured_trials(results, stack, sc).len()
}

/// Why trials of `sc` on `stack` are missing: the last failure record of a
/// missing trial, else of that scenario, else of the stack (a launch), else
/// the interruption.
pub fn reason(results: &Results, stack: &str, sc: Scenario) -> String {
    let have = measured_trials(results, stack, sc);
    let rec = results.stacks.iter().find(|r| r.name == stack);
    let failure = rec.and_then(|r| {
        let last = |keep: &dyn Fn(&crate::results::FailureRecord) -> bool| {
            r.failures.iter().rev().find(|f| keep(f))
        };
        last(&|f| {
            f.trial.is_some_and(|t| !have.contains(&t))
                && (f.scenario == Some(sc) || f.scenario.is_none())
        })
        .or_else(|| last(&|f| f.scenario == Some(sc)))
        .or_else(|| last(&|f| f.scenario.is_none()))
    });
    match failure {
        Some(f) => f.message.lines().next().unwrap_or("").to_string(),
        None if results.finished_at.is_none() => "the run was interrupted".into(),
        None => "its points were invalid".into(),
    }
}

/// The trials cell: `n` (as measured) or `n of m` when planned trials are missing.
pub fn cell(results: &Results, stack: &str, sc: Scenario, shown: Option<usize>) -> String {
    let (m, n) = (planned(results, stack, sc), measured(results, stack, sc));
    if m > n {
        format!("{n} of {m}")
    } else {
        shown.map_or("–".into(), |n| n.to_string())
    }
}

/// The note of a row with missing trials (`None` when none is missing).
pub fn note(results: &Results, stack: &str, sc: Scenario) -> Option<String> {
    let (m, n) = (planned(results, stack, sc), measured(results, stack, sc));
    (m > n).then(|| {
        let why = reason(results, stack, sc);
        let short: String = if why.chars().count() > 70 {
            format!("{}…", why.chars().take(69).collect::<String>())
        } else {
            why
        };
        format!("{} trial(s) lost: {short}", m - n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full fixture run, its rounds recorded, trial 3 of node-http json
    /// lost to a server that exited.
    fn lost_trial() -> Results {
        let mut v: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/results/full.json")).unwrap();
        let stacks: Vec<serde_json::Value> = v["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].clone())
            .collect();
        let scenarios = v["settings"]["scenarios"].clone();
        v["rounds"] = serde_json::json!((1..=3)
            .map(|n| serde_json::json!({"number": n, "kind": "all", "stacks": stacks, "scenarios": scenarios}))
            .collect::<Vec<_>>());
        let mut r: Results = serde_json::from_value(v).unwrap();
        r.points
            .retain(|p| !(p.stack == "node-http" && p.scenario == Scenario::Json && p.trial == 3));
        let rec = r.stacks.iter_mut().find(|s| s.name == "node-http").unwrap();
        rec.failures.push(crate::results::FailureRecord {
            scenario: Some(Scenario::Json),
            trial: Some(3),
            message: "server exited before the slice 1 of peak c=64 of json trial 3 (signal 9); relaunched".into(),
            stderr_tail: Vec::new(),
        });
        r
    }

    #[test]
    fn a_lost_trial_reads_n_of_m_with_its_reason() {
        let mut r = lost_trial();
        assert_eq!(planned(&r, "node-http", Scenario::Json), 3);
        assert_eq!(measured(&r, "node-http", Scenario::Json), 2);
        assert_eq!(cell(&r, "node-http", Scenario::Json, Some(2)), "2 of 3");
        assert_eq!(cell(&r, "node-http", Scenario::Plaintext, Some(3)), "3");
        let note = note(&r, "node-http", Scenario::Json).unwrap();
        assert!(
            note.starts_with("1 trial(s) lost: server exited before the slice 1"),
            "{note}"
        );
        assert!(note.chars().count() < 100);
        r.stacks.iter_mut().for_each(|s| s.failures.clear());
        r.finished_at = None;
        assert_eq!(
            reason(&r, "node-http", Scenario::Json),
            "the run was interrupted"
        );
    }
}
