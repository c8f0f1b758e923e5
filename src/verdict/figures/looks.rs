//! The confidence level a figure is read at: 95 % in a run that adds no
//! rounds; in a run that may, the level of the last look whose round
//! measured the figure's cell (`stats::sequential`: 97 % after the planned
//! rounds, 98.8 %, 99.7 %, 99.86 %, … after each adaptive round), so that every verdict
//! any look could have read keeps its error rate within 5 % in all.

use crate::results::{Results, RoundKind};
use crate::scenario::Scenario;
use crate::stats::sequential::level_at_look;

/// The last look that measured `stack` in `scenario` (0: the planned rounds).
pub fn look(results: &Results, stack: &str, scenario: Scenario) -> u32 {
    results
        .rounds
        .iter()
        .filter(|r| r.kind == RoundKind::Adaptive && r.scenarios.contains(&scenario))
        .filter(|r| {
            r.stacks.iter().any(|s| s == stack)
                || (scenario == Scenario::Workers && r.workers_extra.iter().any(|s| s == stack))
        })
        .map(|r| r.look)
        .max()
        .unwrap_or(0)
}

/// The confidence level of the figures of `stack` in `scenario`.
pub fn level(results: &Results, stack: &str, scenario: Scenario) -> f64 {
    level_at_look(
        look(results, stack, scenario),
        results.settings.plan.adaptive.is_some(),
    )
}

/// The level of figures of every launch of `stack` (memory when fresh):
/// the last look of any round that launched it.
pub fn stack_level(results: &Results, stack: &str) -> f64 {
    let look = results
        .rounds
        .iter()
        .filter(|r| r.kind == RoundKind::Adaptive && r.stacks.iter().any(|s| s == stack))
        .map(|r| r.look)
        .max()
        .unwrap_or(0);
    level_at_look(look, results.settings.plan.adaptive.is_some())
}

/// The last look of the run (0: no adaptive round).
pub fn last_look(results: &Results) -> u32 {
    results
        .rounds
        .iter()
        .filter(|r| r.kind == RoundKind::Adaptive)
        .map(|r| r.look)
        .max()
        .unwrap_or(0)
}
