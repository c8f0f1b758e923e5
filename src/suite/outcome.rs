//! Whether a run measured anything a reader can use, which decides its exit
//! code ([`crate::exit`]): a run whose only stack crashed, or whose `--url`
//! server failed verification, has nothing valid and exits 1, saying why.

use crate::scenario::Scenario;

use crate::results::{Results, StackStatus};

/// True when the run holds at least one valid measurement: a valid point, an
/// idle record with open connections, or — when no selected scenario makes
/// points — a startup time or footprint of a measured stack.
pub fn something_valid(results: &Results) -> bool {
    if results.points.iter().any(|p| p.valid) {
        return true;
    }
    let measured = results
        .stacks
        .iter()
        .filter(|s| s.status == StackStatus::Measured);
    let mut measured = measured.peekable();
    if measured.peek().is_none() {
        return false;
    }
    let makes_points = results
        .settings
        .scenarios
        .iter()
        .any(|s| s.is_endpoint() || *s == Scenario::Workers);
    measured.any(|s| {
        s.idle.iter().any(|i| i.connections_open > 0)
            || (!makes_points && (!s.startup_ms.is_empty() || s.footprint.is_some()))
    })
}

/// One line per stack that failed to install or start, naming the fix
/// (the run's last lines, so a stack missing beside measured ones is seen).
pub fn start_failures(results: &Results) -> Vec<String> {
    results
        .stacks
        .iter()
        .filter_map(|s| match &s.status {
            StackStatus::Failed { stage, reason, .. } if stage == "install" || stage == "start" => {
                let first = reason.lines().next().unwrap_or(reason);
                Some(format!(
                    "stack {} failed to {stage} and was not measured: {first}\n  \
                     fix: `ringside setup --force {}`, then `ringside stacks` to check it",
                    s.name,
                    s.base.as_deref().unwrap_or(&s.name)
                ))
            }
            _ => None,
        })
        .collect()
}

/// One line per stack saying why it gave nothing valid.
pub fn reasons(results: &Results) -> Vec<String> {
    let mut out = Vec::new();
    for s in &results.stacks {
        let why = match &s.status {
            StackStatus::Skipped { reason } => format!("skipped: {reason}"),
            StackStatus::Failed { stage, reason, .. } => {
                let first = reason.lines().next().unwrap_or(reason);
                format!("failed at {stage}: {first}")
            }
            StackStatus::Measured => {
                let mut parts: Vec<String> = s
                    .verify_failures
                    .iter()
                    .map(|(sc, why)| format!("{sc} failed verification: {why}"))
                    .collect();
                parts.extend(
                    s.failures
                        .iter()
                        .map(|f| f.message.lines().next().unwrap_or(&f.message).to_string()),
                );
                let invalid = results
                    .points
                    .iter()
                    .filter(|p| p.stack == s.name && !p.valid)
                    .count();
                if invalid > 0 {
                    parts.push(format!("{invalid} point(s) invalid (errors or a crash)"));
                }
                if parts.is_empty() {
                    "no valid measurement".to_string()
                } else {
                    parts.join("; ")
                }
            }
        };
        out.push(format!("{}: {why}", s.name));
    }
    out
}
