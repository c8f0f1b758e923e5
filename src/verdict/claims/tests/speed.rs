//! K1, K5, K6, K8: throughput ratios at each boundary, the floor, one-trial
//! cells and flagged figures.

use super::fixture::*;
use crate::scenario::Scenario::{self, *};
use crate::verdict::claims::Verdict::{self, *};
use crate::verdict::figures::Evidence;

const E: f64 = 1e-6;

/// `(low, value, high)` of Node.js ÷ Python in `sc`, with the run's floor.
fn one_gap(sc: Scenario, floor: f64, g: (f64, f64, f64)) -> crate::verdict::figures::Figures {
    let mut fig = with_floor(figures(), floor);
    gap(&mut fig, sc, g.0, g.1, g.2);
    fig
}

#[test]
fn k1_boundaries() {
    let cases: &[(f64, (f64, f64, f64), Verdict, &str)] = &[
        (0.0, (1.5 + E, 2.0, 2.5), Supported, "at least 1.5×"),
        (
            0.0,
            (1.5 - 1e-3, 2.0, 2.5),
            NotEnoughEvidence,
            "reaches across 1.1× or 1.5×",
        ),
        (0.0, (0.9, 1.0, 1.1 - E), Refuted, "at most 1.1×"),
        (
            0.0,
            (0.9, 1.0, 1.1 + 1e-3),
            NotEnoughEvidence,
            "reaches across",
        ),
        (
            0.0,
            (1.1 + 1e-3, 1.3, 1.5 - 1e-3),
            Depends,
            "not beyond 1.5×",
        ),
        // The whole interval clears 1.5×, but the median is within a 70 % floor.
        (
            0.7,
            (1.55, 1.6, 1.65),
            NotEnoughEvidence,
            "within the run's noise floor (70 %)",
        ),
        (0.7, (1.65, 1.7 + E, 1.75), Supported, "at least 1.5×"),
    ];
    for (floor, g, want, says) in cases {
        expect(&one_gap(Json, *floor, *g), "K1", *want, &[says]);
    }
    // Supported on plaintext and refuted on json: depends.
    let mut fig = one_gap(Json, 0.0, (0.9, 1.0, 1.05));
    gap(&mut fig, Plaintext, 2.0, 3.0, 4.0);
    expect(&fig, "K1", Depends, &["nor within 1.1×"]);
}

#[test]
fn k1_one_trial_and_flagged_figures_are_not_evidence() {
    let mut fig = figures();
    thr(&mut fig, "node", Json, single(9000.0));
    thr(&mut fig, "py", Json, single(1000.0));
    expect(&fig, "K1", NotEnoughEvidence, &["no interval"]);
    let mut fig = figures();
    gap(&mut fig, Json, 5.0, 6.0, 7.0);
    for f in fig.scenarios.get_mut(&Json).unwrap() {
        if f.stack == "node" {
            f.throughput_evidence = Evidence::Doubtful;
        }
    }
    // The only Node.js figure is flagged: no duel at all.
    expect(&fig, "K1", NotEnoughEvidence, &["not measured"]);
}

#[test]
fn k5_boundaries_and_the_floor_on_both_sides() {
    let node_wins = 1.0 / 1.2;
    let py = |floor: f64, g: (f64, f64, f64)| {
        let mut fig = with_floor(figures(), floor);
        py_gap(&mut fig, Numeric, g.0, g.1, g.2);
        fig
    };
    let cases: &[(f64, (f64, f64, f64), Verdict, &str)] = &[
        (
            0.0,
            (1.2 + E, 1.5, 2.0),
            Supported,
            "Python stack is at least 1.2×",
        ),
        (
            0.0,
            (1.2 - 1e-3, 1.5, 2.0),
            NotEnoughEvidence,
            "reaches across 0.83× or 1.2×",
        ),
        (
            0.0,
            (0.5, 0.6, node_wins - E),
            Refuted,
            "beyond the noise floor",
        ),
        (
            0.0,
            (0.5, 0.6, node_wins + 1e-3),
            NotEnoughEvidence,
            "reaches across",
        ),
        (0.0, (node_wins + 1e-3, 1.0, 1.2 - 1e-3), Depends, "neither"),
        // Wholly below 0.83× but Node.js's lead (1/0.8 = 1.25×) within a
        // 40 % floor: its own reason, not "reaches across".
        (
            0.4,
            (0.7, 0.8, 0.82),
            NotEnoughEvidence,
            "Node.js's lead clears the threshold",
        ),
        (
            0.4,
            (0.6, 0.7, 0.8),
            Refuted,
            "Node.js stack is at least 1.2×",
        ),
        // Python's lead within a 60 % floor.
        (
            0.6,
            (1.3, 1.4, 1.5),
            NotEnoughEvidence,
            "Python's lead clears",
        ),
    ];
    for (floor, g, want, says) in cases {
        let c = expect(&py(*floor, *g), "K5", *want, &[says]);
        assert!(
            !c.because.contains("more trials narrow")
                || *want != NotEnoughEvidence
                || *floor == 0.0,
            "{}",
            c.because
        );
    }
}

#[test]
fn k6_boundaries_and_the_depends_text() {
    let cases: &[(f64, (f64, f64, f64), Verdict, &str)] = &[
        (0.0, (1.2 + E, 3.0, 4.0), Supported, "at least 1.2×"),
        (
            0.0,
            (1.2 - 1e-3, 3.0, 4.0),
            NotEnoughEvidence,
            "reaches across 1.05× or 1.2×",
        ),
        (0.0, (0.9, 1.0, 1.05 - E), Refuted, "within 1.05×"),
        (
            0.0,
            (0.9, 1.0, 1.05 + 1e-3),
            NotEnoughEvidence,
            "reaches across",
        ),
        (
            0.0,
            (1.06, 1.1, 1.19),
            Depends,
            "ahead beyond the noise floor",
        ),
        // Wholly between, but the lead is within a 15 % floor: not "ahead".
        (
            0.15,
            (1.06, 1.1, 1.19),
            Depends,
            "a lead within the noise floor",
        ),
        (0.5, (1.3, 1.4, 1.5), NotEnoughEvidence, "V8's lead clears"),
    ];
    for (floor, g, want, says) in cases {
        let c = expect(&one_gap(Cpu, *floor, *g), "K6", *want, &[says]);
        if *floor > 0.1 && *want == Depends {
            assert!(!c.because.contains("ahead"), "{}", c.because);
        }
    }
    assert!(
        crate::verdict::claims::CLAIMS[5].rule.contains("1.2×"),
        "the rule states the constant"
    );
}

/// json gap `j` and db gap `d`, each `(low, value, high)`.
fn k8(floor: f64, j: (f64, f64, f64), d: (f64, f64, f64)) -> crate::verdict::figures::Figures {
    let mut fig = one_gap(Json, floor, j);
    gap(&mut fig, Db, d.0, d.1, d.2);
    fig
}

#[test]
fn k8_boundaries() {
    let j = (6.0, 7.4, 9.0);
    let cases: &[((f64, f64, f64), (f64, f64, f64), Verdict, &str)] = &[
        (
            j,
            (0.8 + E, 1.0, 1.25 - E),
            Supported,
            "within 1.25× either way",
        ),
        (
            j,
            (0.8 - 1e-3, 1.0, 1.2),
            NotEnoughEvidence,
            "reaches across",
        ),
        (
            j,
            (1.0, 1.2, 1.25 + 1e-3),
            NotEnoughEvidence,
            "reaches across",
        ),
        // The db gap stays beyond 1.25× (whole interval): it still
        // matters, whatever the ratio of the gaps says.
        (j, (7.0, 7.4, 7.8), Refuted, "still matters"),
        // As wide as json's: whether it shrank is not shown, and not needed.
        (j, (6.0, 7.4, 9.0), Refuted, "is not shown"),
        // Shrunk to a third, yet still beyond 1.25×.
        (j, (2.0, 2.5, 3.0), Refuted, "it shrank from json's"),
        // Just above 1.25× at its low end: refuted; just across it: not.
        (j, (1.25 + E, 2.0, 3.0), Refuted, "beyond 1.25×"),
        (j, (1.25 - E, 2.0, 3.0), NotEnoughEvidence, "reaches across"),
        // Python ahead beyond 1.25×.
        (j, (0.3, 0.4, 0.5), Depends, "it turns"),
        // No json gap beyond 1.25× to shrink.
        ((0.9, 1.0, 1.1), (0.3, 0.4, 0.5), Depends, "turns"),
        ((0.9, 1.0, 1.1), (0.9, 1.0, 1.1), Depends, "no json gap"),
        (
            (1.0, 1.2, 1.3),
            (0.9, 1.0, 1.1),
            NotEnoughEvidence,
            "reaches across",
        ),
    ];
    for (j, d, want, says) in cases {
        expect(&k8(0.0, *j, *d), "K8", *want, &[says]);
    }
}

/// Issue 20's case: a db interval [1.71–36×] whose median is above 80 %
/// of json's 7.4× but admits a gap that shrank to a quarter. The reason
/// must not say it kept 80 % (the median test): it says the gap stays
/// above 1.25× — what the whole interval shows — and that whether it
/// shrank is not shown.
#[test]
fn k8_a_median_kept_but_an_interval_that_may_have_shrunk_says_only_what_it_shows() {
    let fig = k8(0.0, (6.0, 7.4, 9.0), (1.71, 7.0, 36.0));
    let c = expect(
        &fig,
        "K8",
        Refuted,
        &["stays ahead beyond 1.25× (the whole interval) on db (SQLite)"],
    );
    assert!(
        c.because
            .ends_with("whether it shrank is not shown (the ratio of the gaps reaches across 1×) on db (SQLite)"),
        "{}",
        c.because
    );
    assert!(!c.because.contains("80 %"), "{}", c.because);
    assert!(
        c.evidence.iter().any(|e| e.contains("gap ÷ json gap")),
        "{:?}",
        c.evidence
    );
    // A db gap whose ratio to json's is wholly below 1×: said to shrink,
    // with the ratio's interval.
    let c = expect(
        &k8(0.0, (7.0, 7.4, 7.8), (2.0, 2.2, 2.4)),
        "K8",
        Refuted,
        &["it shrank from json's 7.4×"],
    );
    assert!(c.because.contains("wholly below 1×"), "{}", c.because);
    // Wholly above 1×: said to widen.
    expect(
        &k8(0.0, (2.0, 2.2, 2.4), (7.0, 7.4, 7.8)),
        "K8",
        Refuted,
        &["it widened"],
    );
}

#[test]
fn k8_the_floor_and_thin_runs() {
    // The db gap clears 1.25× but its median is within a 50 % floor.
    expect(
        &k8(0.5, (6.0, 7.4, 9.0), (1.3, 1.4, 1.45)),
        "K8",
        NotEnoughEvidence,
        &["within the run's noise floor"],
    );
    let mut fig = figures();
    thr(&mut fig, "node", Json, single(9000.0));
    thr(&mut fig, "py", Json, single(1000.0));
    gap(&mut fig, Db, 1.0, 1.1, 1.2);
    expect(&fig, "K8", NotEnoughEvidence, &["no interval"]);
}
