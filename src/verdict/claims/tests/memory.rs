//! K9: zones at each boundary, flagged figures at the same rate, and
//! sub-resolution idle figures.

use super::fixture::*;
use crate::results::IdleKind;
use crate::scenario::Scenario::*;
use crate::verdict::claims::Verdict::{self, *};
use crate::verdict::figures::{Evidence, Figures, ScenarioFigures};

const E: f64 = 1e-6;
const MB: f64 = 1048576.0;

/// Python ÷ Node.js on a fresh process and at the same rate, each `(low, value, high)`.
fn k9(floor: f64, fresh_r: (f64, f64, f64), at_rate: Option<(f64, f64, f64)>) -> Figures {
    let mut fig = with_floor(figures(), floor);
    fresh(
        &mut fig,
        "py",
        est(
            fresh_r.1 * 40.0 * MB,
            fresh_r.0 * 40.0 * MB,
            fresh_r.2 * 40.0 * MB,
        ),
    );
    fresh(&mut fig, "node", exact(40.0 * MB));
    if let Some(r) = at_rate {
        rate(
            &mut fig,
            "py",
            est(r.1 * 60.0 * MB, r.0 * 60.0 * MB, r.2 * 60.0 * MB),
            Evidence::Clean,
        );
        rate(&mut fig, "node", exact(60.0 * MB), Evidence::Clean);
    }
    fig
}

fn rate(fig: &mut Figures, stack: &str, e: crate::stats::Estimate, ev: Evidence) {
    push(
        fig,
        ScenarioFigures {
            rss_fixed_bytes: Some(e),
            fixed_evidence: ev,
            ..sf(stack, Json)
        },
    );
}

#[test]
fn k9_zones_at_each_boundary() {
    let more = (2.0, 2.5, 3.0);
    let not_more = (0.8, 0.9, 1.0);
    let cases: &[(f64, (f64, f64, f64), Option<(f64, f64, f64)>, Verdict, &str)] = &[
        (
            0.0,
            (1.3 + E, 1.5, 2.0),
            Some(more),
            Supported,
            "at least 1.3×",
        ),
        (
            0.0,
            (1.3 - 1e-3, 1.5, 2.0),
            Some(more),
            NotEnoughEvidence,
            "reaches across 1.1× or 1.3×",
        ),
        (
            0.0,
            (0.8, 1.0, 1.1 - E),
            Some(not_more),
            Refuted,
            "at most 1.1×",
        ),
        (
            0.0,
            (0.8, 1.0, 1.1 + 1e-3),
            Some(not_more),
            NotEnoughEvidence,
            "fresh process",
        ),
        (
            0.0,
            (1.1 + 1e-3, 1.2, 1.3 - 1e-3),
            None,
            Depends,
            "between 1.1× and 1.3×",
        ),
        (
            0.0,
            more,
            Some(not_more),
            Depends,
            "it depends on the measure",
        ),
        // Wholly above 1.3×, median within a 60 % floor.
        (
            0.6,
            (1.4, 1.5, 1.6),
            Some(more),
            NotEnoughEvidence,
            "within the run's noise floor",
        ),
    ];
    for (floor, f, r, want, says) in cases {
        expect(&k9(*floor, *f, *r), "K9", *want, &[says]);
    }
}

/// A rate not reached is not the same rate: the flagged figure is named,
/// never read.
#[test]
fn k9_flagged_figures_at_the_same_rate_are_not_evidence() {
    let mut fig = k9(0.0, (2.0, 2.5, 3.0), None);
    rate(
        &mut fig,
        "py-lean",
        est(30.0 * MB, 29.0 * MB, 31.0 * MB),
        Evidence::Doubtful,
    );
    rate(
        &mut fig,
        "py",
        est(150.0 * MB, 140.0 * MB, 160.0 * MB),
        Evidence::Clean,
    );
    rate(&mut fig, "node", exact(60.0 * MB), Evidence::Clean);
    let c = expect(&fig, "K9", Supported, &[]);
    assert!(
        c.evidence
            .iter()
            .any(|e| e.contains("not evidence") && e.contains("py-lean")),
        "{:?}",
        c.evidence
    );
    assert!(
        !c.evidence
            .iter()
            .any(|e| e.contains("at the same offered rate (") && e.contains("py-lean "))
    );
}

#[test]
fn k9_sub_resolution_idle_figures_are_no_evidence_of_equality() {
    // Fresh and at-rate at most 1.1×, and two idle figures of 256 B: before,
    // "1.00× [1.00–1.00]" counted as at most 1.1× and K9 read refuted.
    let mut fig = k9(0.0, (0.8, 1.0, 1.05), Some((0.8, 0.9, 1.0)));
    idle(&mut fig, "py", IdleKind::Ws, exact(256.0), false);
    idle(&mut fig, "node", IdleKind::Ws, exact(256.0), false);
    let c = expect(
        &fig,
        "K9",
        NotEnoughEvidence,
        &["per idle ws connection", "resolution"],
    );
    assert!(
        c.evidence.iter().any(|e| e.contains("at most 256 B")),
        "{:?}",
        c.evidence
    );
    // Node.js below the resolution, Python well above: a bound that decides.
    let mut fig = k9(0.0, (2.0, 2.5, 3.0), None);
    idle(
        &mut fig,
        "py",
        IdleKind::Ws,
        est(9000.0, 8800.0, 9200.0),
        true,
    );
    idle(&mut fig, "node", IdleKind::Ws, exact(256.0), false);
    expect(&fig, "K9", Supported, &[]);
}

#[test]
fn k9_idle_is_judged_against_the_idle_floor() {
    // Idle 1.35× [1.32–1.38]: above 1.3× beyond a zero memory floor, but
    // within a 50 % idle floor.
    let mut fig = k9(0.0, (2.0, 2.5, 3.0), None);
    idle(
        &mut fig,
        "py",
        IdleKind::Http,
        est(1.35e4, 1.32e4, 1.38e4),
        true,
    );
    idle(&mut fig, "node", IdleKind::Http, exact(1e4), true);
    expect(&fig, "K9", Supported, &[]);
    fig.noise.idle = Some(noise(0.5));
    expect(
        &fig,
        "K9",
        NotEnoughEvidence,
        &["per idle http connection clears"],
    );
}

#[test]
fn k9_thin_and_empty() {
    let mut fig = figures();
    fresh(&mut fig, "py", single(80.0 * MB));
    fresh(&mut fig, "node", single(40.0 * MB));
    expect(&fig, "K9", NotEnoughEvidence, &["no interval"]);
    expect(&figures(), "K9", NotEnoughEvidence, &["no memory figures"]);
}
