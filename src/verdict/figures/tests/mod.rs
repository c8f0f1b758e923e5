//! Unit tests of `build`: what a results file's points become — which
//! figure a cell is made of (its level, its rate, its trials), the evidence
//! each figure carries (shared cores, a rate not reached, a lower bound, an
//! unresolved idle figure, failed and invalid points, one-trial cells), the
//! run's noise per family, ranks, capacity brackets, io curves, scaling,
//! idle memory, the per-stack figures and the notes. Each case builds a
//! small results file whose figures are exactly the ones it names
//! ([`run`]), so that `cargo mutants` over `build.rs` can run these tests
//! alone (`bench/mutants.sh --build`).

// Tables of cases read best as tuples.
#![allow(clippy::type_complexity)]

mod capacity_sim;
mod cells;
mod noise;
mod notes;
mod run;
mod tables;

use super::super::{Figures, ScenarioFigures};
use crate::scenario::Scenario;

/// The figure of `stack` in `sc` (panics naming it when absent).
fn fig<'a>(f: &'a Figures, sc: Scenario, stack: &str) -> &'a ScenarioFigures {
    f.scenario(sc)
        .iter()
        .find(|x| x.stack == stack)
        .unwrap_or_else(|| panic!("no {} figure of {stack}", sc.name()))
}

/// Approximate equality, for figures computed through logarithms.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}
