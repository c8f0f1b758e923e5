//! K2, K3, K4 and K7 at their boundaries, with flagged figures, failed
//! stacks and one-trial cells.

use super::fixture::*;
use crate::results::IdleKind;
use crate::scenario::Scenario::*;
use crate::stats::Estimate;
use crate::verdict::claims::Verdict::{self, *};
use crate::verdict::figures::{Evidence, Figures};

const E: f64 = 1e-6;

/// Node.js ÷ Python io `(low, value, high)`, Python ÷ Node.js memory per
/// idle HTTP connection `(low, value, high)`, with `floor` everywhere.
fn k2(floor: f64, io: (f64, f64, f64), mem: (f64, f64, f64)) -> Figures {
    let mut fig = with_floor(figures(), floor);
    gap(&mut fig, Io, io.0, io.1, io.2);
    idle(
        &mut fig,
        "py",
        IdleKind::Http,
        est(mem.1 * 1e4, mem.0 * 1e4, mem.2 * 1e4),
        true,
    );
    idle(&mut fig, "node", IdleKind::Http, exact(1e4), true);
    fig
}

#[test]
fn k2_boundaries() {
    let far = (2.0, 3.0, 4.0);
    let level = (0.95, 1.0, 1.05);
    let cases: &[(f64, (f64, f64, f64), (f64, f64, f64), Verdict, &str)] = &[
        (0.0, far, (1.0 + E, 1.2, 1.4), Supported, "no less memory"),
        // Memory whole interval at 1/(1 + 25 %) = 0.8: no less, within the floor.
        (0.25, far, (0.8 + E, 0.9, 1.0), Supported, "no less memory"),
        (
            0.25,
            far,
            (0.8 - 1e-3, 0.9, 1.0),
            NotEnoughEvidence,
            "reaches across 0.8×",
        ),
        (
            0.25,
            far,
            (0.1, 0.15, 0.2),
            Depends,
            "Python needs less memory per idle http",
        ),
        (0.0, level, (0.1, 0.15, 1.5 - E), Refuted, "at most 1.5×"),
        (
            0.0,
            level,
            (0.1, 0.15, 0.2),
            Refuted,
            "(less than Node.js's",
        ),
        (
            0.0,
            level,
            (1.0, 1.2, 1.5 + 1e-3),
            NotEnoughEvidence,
            "reaches across 1.5×",
        ),
        (0.0, level, (1.6, 2.0, 3.0), Depends, "more than 1.5×"),
        (
            0.0,
            (1.5 - 1e-3, 2.0, 3.0),
            far,
            NotEnoughEvidence,
            "reaches across 1.1× or 1.5×",
        ),
        (
            0.0,
            (1.2, 1.3, 1.4),
            far,
            Depends,
            "wholly between 1.1× and 1.5×",
        ),
        (
            0.9,
            (1.6, 1.7, 1.8),
            far,
            NotEnoughEvidence,
            "io lead clears",
        ),
    ];
    for (floor, io, mem, want, says) in cases {
        let c = expect(&k2(*floor, *io, *mem), "K2", *want, &[says]);
        // "Similar memory" is never said: the words follow the interval.
        assert!(!c.because.contains("similar"), "{}", c.because);
    }
}

/// K2 reads the idle connections' noise, not the process memory's.
#[test]
fn k2_memory_uses_the_idle_noise_floor() {
    let mut fig = k2(0.0, (2.0, 3.0, 4.0), (0.85, 0.9, 1.02));
    fig.noise.memory = Some(noise(0.5));
    expect(&fig, "K2", NotEnoughEvidence, &["reaches across 1×"]);
    fig.noise.memory = None;
    fig.noise.idle = Some(noise(0.25));
    expect(&fig, "K2", Supported, &[]);
}

#[test]
fn k2_sub_resolution_idle_figures_only_bound() {
    // Both below the resolution: no evidence of equality (or of anything).
    let mut fig = with_floor(figures(), 0.0);
    gap(&mut fig, Io, 0.95, 1.0, 1.05);
    idle(&mut fig, "py", IdleKind::Http, exact(256.0), false);
    idle(&mut fig, "node", IdleKind::Http, exact(256.0), false);
    let c = expect(&fig, "K2", NotEnoughEvidence, &["reaches across 1.5×"]);
    assert!(
        c.evidence
            .iter()
            .any(|e| e.contains("below the measurement's resolution")),
        "{:?}",
        c.evidence
    );
}

/// Python io in flight `c` (an estimate), `workers` processes, `threads`.
fn py_io(
    fig: &mut Figures,
    name: &str,
    c: Estimate,
    workers: u32,
    threads: Option<u32>,
    ev: Evidence,
) {
    stack(fig, name, threads);
    push(
        fig,
        crate::verdict::figures::ScenarioFigures {
            concurrency_achieved: Some(c),
            throughput_rps: Some(exact(c.median * 20.0)),
            throughput_evidence: ev,
            workers,
            ..sf(name, Io)
        },
    );
}

fn failed_io(fig: &mut Figures, name: &str) {
    push(
        fig,
        crate::verdict::figures::ScenarioFigures {
            valid_points: 0,
            total_points: 3,
            ..sf(name, Io)
        },
    );
}

#[test]
fn k3_each_deployment_against_its_own_concurrency() {
    let clean = Evidence::Clean;
    // gthread's 4 threads: 3.8 in flight in one process is more than one at a time.
    let mut fig = figures();
    py_io(&mut fig, "py-flask", est(3.8, 3.6, 3.9), 1, Some(4), clean);
    py_io(&mut fig, "py-django", est(3.9, 3.7, 4.0), 1, Some(4), clean);
    py_io(
        &mut fig,
        "py-fastapi",
        est(139.6, 120.0, 150.0),
        1,
        Some(1),
        clean,
    );
    let c = expect(
        &fig,
        "K3",
        Refuted,
        &[
            "more than one request at a time",
            "py-flask 3.8 [3.6–3.9]",
            "py-fastapi 139.6",
        ],
    );
    assert!(
        c.evidence
            .iter()
            .any(|e| e.contains("4 threads, up to 4 at once")),
        "{:?}",
        c.evidence
    );
    // Boundaries per process: 1.2 × 2 processes = 2.4.
    let cases: &[((f64, f64, f64), u32, Verdict)] = &[
        ((2.0, 2.2, 2.4), 2, Supported),
        ((2.0, 2.2, 2.4 + 1e-3), 2, NotEnoughEvidence),
        ((2.4 + E, 3.0, 4.0), 2, Refuted),
        ((2.4, 3.0, 4.0), 2, NotEnoughEvidence),
        ((1.0, 1.1, 1.2), 1, Supported),
        ((1.2 + E, 1.5, 2.0), 1, Refuted),
    ];
    for (c, w, want) in cases {
        let mut fig = figures();
        py_io(&mut fig, "py-sync", est(c.1, c.0, c.2), *w, Some(1), clean);
        expect(&fig, "K3", *want, &[]);
    }
    // One at a time and more than one: depends, naming both.
    let mut fig = figures();
    py_io(&mut fig, "py-sync", est(1.0, 0.9, 1.1), 1, Some(1), clean);
    py_io(
        &mut fig,
        "py-async",
        est(50.0, 40.0, 60.0),
        1,
        Some(1),
        clean,
    );
    expect(
        &fig,
        "K3",
        Depends,
        &[
            "py-sync 1.0 [0.9–1.1] served one at a time",
            "py-async 50.0 [40.0–60.0] more than one",
        ],
    );
}

#[test]
fn k3_failed_flagged_and_thin_stacks_never_count() {
    let clean = Evidence::Clean;
    // A failed stack beside one-at-a-time ones: still supported, never "more".
    let mut fig = figures();
    py_io(&mut fig, "py-sync", est(1.0, 0.9, 1.1), 1, Some(1), clean);
    failed_io(&mut fig, "py-broken");
    let c = expect(&fig, "K3", Supported, &["py-sync"]);
    assert!(!c.because.contains("py-broken"), "{}", c.because);
    assert!(
        c.evidence
            .iter()
            .any(|e| e.contains("py-broken") && e.contains("does not count"))
    );
    // Flagged (shared cores): not evidence, whatever it reads.
    let mut fig = figures();
    py_io(&mut fig, "py-sync", est(1.0, 0.9, 1.1), 1, Some(1), clean);
    py_io(
        &mut fig,
        "py-async",
        est(50.0, 40.0, 60.0),
        1,
        Some(1),
        Evidence::Doubtful,
    );
    expect(&fig, "K3", Supported, &[]);
    // Every stack failed or flagged: not enough evidence.
    let mut fig = figures();
    failed_io(&mut fig, "py-broken");
    py_io(
        &mut fig,
        "py-async",
        est(50.0, 40.0, 60.0),
        1,
        Some(1),
        Evidence::Doubtful,
    );
    expect(
        &fig,
        "K3",
        NotEnoughEvidence,
        &["every point failed or is flagged"],
    );
    // Generator-bound: a lower bound shows "more", never "one".
    let mut fig = figures();
    py_io(
        &mut fig,
        "py-async",
        est(50.0, 40.0, 60.0),
        1,
        Some(1),
        Evidence::AtLeast,
    );
    expect(&fig, "K3", Refuted, &[]);
    let mut fig = figures();
    py_io(
        &mut fig,
        "py-sync",
        est(1.0, 0.9, 1.1),
        1,
        Some(1),
        Evidence::AtLeast,
    );
    expect(
        &fig,
        "K3",
        NotEnoughEvidence,
        &["reach across 1.2 per process"],
    );
    // One trial, no measured noise.
    let mut fig = figures();
    py_io(&mut fig, "py-async", single(50.0), 1, Some(1), clean);
    expect(&fig, "K3", NotEnoughEvidence, &["no interval"]);
    expect(&figures(), "K3", NotEnoughEvidence, &["not measured"]);
}

/// K4: `py` one and N processes' cores, a control's N processes.
fn k4(threads: u32, one: (f64, f64), many: (f64, f64), control: Option<(f64, f64)>) -> Figures {
    let mut fig = figures();
    let e = |(lo, hi): (f64, f64)| est((lo + hi) / 2.0, lo, hi);
    scaling(&mut fig, "py-flask", threads, e(one), e(many));
    if let Some(c) = control {
        scaling(&mut fig, "bun-http", 1, e((0.9, 1.0)), e(c));
    }
    fig
}

#[test]
fn k4_boundaries_threads_and_controls() {
    let c = Some((1.7, 1.9));
    let cases: &[(
        u32,
        (f64, f64),
        (f64, f64),
        Option<(f64, f64)>,
        Verdict,
        &str,
    )] = &[
        (4, (1.3, 1.5), (1.7, 1.9), c, Refuted, "py-flask"),
        (
            4,
            (1.3 - 1e-3, 1.5),
            (1.7, 1.9),
            c,
            NotEnoughEvidence,
            "reach across",
        ),
        (4, (0.9, 1.25), (0.9, 1.25), c, Supported, "while a control"),
        (
            4,
            (0.9, 1.25),
            (0.9, 1.25 + 1e-3),
            c,
            NotEnoughEvidence,
            "reach across",
        ),
        (
            4,
            (0.9, 1.25),
            (0.9, 1.2),
            Some((1.3 - 1e-3, 1.5)),
            NotEnoughEvidence,
            "no control used 1.3 cores",
        ),
        (
            4,
            (0.9, 1.25),
            (0.9, 1.2),
            None,
            NotEnoughEvidence,
            "no control",
        ),
        (
            4,
            (0.9, 1.25),
            (1.3, 1.9),
            c,
            Depends,
            "the GIL holds its threads",
        ),
        (
            4,
            (0.9, 1.25 + 1e-3),
            (1.3, 1.9),
            c,
            NotEnoughEvidence,
            "reach across",
        ),
        (
            4,
            (0.9, 1.25),
            (1.3 - 1e-3, 1.9),
            c,
            NotEnoughEvidence,
            "reach across",
        ),
        // One thread a process on one core says nothing of the GIL.
        (
            1,
            (0.9, 1.25),
            (1.3, 1.9),
            c,
            NotEnoughEvidence,
            "one thread a process",
        ),
    ];
    for (t, one, many, control, want, says) in cases {
        let v = expect(&k4(*t, *one, *many, *control), "K4", *want, &[says]);
        if *want == Depends {
            assert!(v.because.contains("threaded"), "{}", v.because);
        }
    }
    // Bun is printed as a control.
    let v = claim(&k4(4, (0.9, 1.25), (1.3, 1.9), c), "K4");
    assert!(
        v.evidence
            .iter()
            .any(|e| e.starts_with("bun-http (JavaScript on bun") && e.contains("a control")),
        "{:?}",
        v.evidence
    );
    let mut thin = k4(4, (0.9, 1.25), (1.3, 1.9), c);
    thin.scaling[0].cores_one = Some(single(1.0));
    expect(&thin, "K4", NotEnoughEvidence, &["no interval"]);
    let mut one_core = k4(4, (0.9, 1.25), (1.3, 1.9), c);
    one_core.workers_cores = 1;
    expect(&one_core, "K4", NotEnoughEvidence, &["fewer than 2 cores"]);
}

/// Regression (installed default run, 2026-12-04 13:30): python-fastapi's
/// two processes were too noisy to judge (0.97 then 1.70 cores: uvicorn's
/// workers shared the connections unevenly in one round), so K4 read "no
/// interval" although python-flask's threads had decided it (one process
/// 0.98 cores, two 1.75) and no value of fastapi's figure could change that.
#[test]
fn k4_is_not_held_open_by_a_figure_that_cannot_change_it() {
    let c = Some((1.7, 1.9));
    let e = |(lo, hi): (f64, f64)| est((lo + hi) / 2.0, lo, hi);
    let too_noisy = || Estimate {
        basis: crate::stats::Basis::TooNoisy,
        min: 0.97,
        max: 1.7,
        low: 0.97,
        high: 1.7,
        ..single(1.3)
    };
    let with_fastapi = |one: Estimate, many: Estimate| {
        let mut fig = k4(4, (0.9, 1.2), (1.6, 1.9), c);
        scaling(&mut fig, "py-fastapi", 1, one, many);
        fig
    };
    let v = expect(
        &with_fastapi(e((0.9, 1.0)), too_noisy()),
        "K4",
        Depends,
        &[
            "py-flask",
            "the cores of py-fastapi at 2 workers have no interval, but no value of them would change this",
        ],
    );
    assert!(!v.because.contains("py-fastapi)"), "{}", v.because);
    // Its one process unknown: at 1.3 cores or more it would refute the
    // claim, so the claim stays open.
    expect(
        &with_fastapi(too_noisy(), e((1.6, 1.8))),
        "K4",
        NotEnoughEvidence,
        &["no interval"],
    );
    // The threaded stack's own figure unknown: nothing else decides.
    let mut fig = with_fastapi(e((0.9, 1.0)), e((1.6, 1.8)));
    fig.scaling[0].cores_many = Some(too_noisy());
    expect(&fig, "K4", NotEnoughEvidence, &["no interval"]);
    // Both Python stacks' figures known: as before, no note.
    let v = expect(
        &with_fastapi(e((0.9, 1.0)), e((1.6, 1.8))),
        "K4",
        Depends,
        &["py-flask"],
    );
    assert!(!v.because.contains("no interval"), "{}", v.because);
}

/// K7 from two capacity brackets `(low, high)` (`None`: a lower bound).
fn k7(floor: f64, node: (f64, Option<f64>), py: (f64, Option<f64>), trials: usize) -> Figures {
    let mut fig = with_floor(figures(), floor);
    for (name, (lo, hi)) in [("node", node), ("py", py)] {
        push(
            &mut fig,
            crate::verdict::figures::ScenarioFigures {
                capacity: Some(capacity(lo, hi, trials)),
                ..sf(name, WsChat)
            },
        );
    }
    fig
}

#[test]
fn k7_brackets_at_each_boundary() {
    let cases: &[(f64, (f64, Option<f64>), (f64, Option<f64>), Verdict, &str)] = &[
        // Node.js's lowest pass ÷ Python's highest failure = 1.3.
        (
            0.0,
            (1300.0, Some(1600.0)),
            (800.0, Some(1000.0)),
            Supported,
            "at least 1.3×",
        ),
        (
            0.0,
            (1299.0, Some(1600.0)),
            (800.0, Some(1000.0)),
            NotEnoughEvidence,
            "reaches across 1.1× or 1.3×",
        ),
        // Node.js's highest failure ÷ Python's lowest pass = 1.1.
        (
            0.0,
            (900.0, Some(1100.0)),
            (1000.0, Some(1200.0)),
            Refuted,
            "at most 1.1×",
        ),
        (
            0.0,
            (900.0, Some(1101.0)),
            (1000.0, Some(1200.0)),
            NotEnoughEvidence,
            "reaches across",
        ),
        (
            0.0,
            (1150.0, Some(1250.0)),
            (1000.0, Some(1000.0)),
            Depends,
            "wholly between",
        ),
        // A lower bound on Node.js can still support; on Python, refute nothing.
        (
            0.0,
            (3000.0, None),
            (1000.0, Some(1200.0)),
            Supported,
            "at least 1.3×",
        ),
        (
            0.0,
            (900.0, Some(1000.0)),
            (1000.0, None),
            Refuted,
            "at most 1.1×",
        ),
        (
            0.0,
            (900.0, None),
            (1000.0, None),
            NotEnoughEvidence,
            "reaches across",
        ),
    ];
    for (floor, n, p, want, says) in cases {
        expect(&k7(*floor, *n, *p, 3), "K7", *want, &[says]);
    }
}

/// The README's rerun pair: a bracket of 1.45–3.87× was "supported" while
/// the ws-chat table, with a 53 % floor, called the stacks tied.
#[test]
fn k7_never_contradicts_the_tables_floor() {
    let fig = k7(0.53, (1450.0, Some(3870.0)), (900.0, Some(1000.0)), 3);
    expect(
        &fig,
        "K7",
        NotEnoughEvidence,
        &["within the run's noise floor (53 %)"],
    );
    let fig = k7(0.37, (1450.0, Some(3870.0)), (900.0, Some(1000.0)), 3);
    expect(&fig, "K7", Supported, &[]);
    // No CPU-per-delivery line is read or shown.
    assert!(
        claim(&fig, "K7")
            .evidence
            .iter()
            .all(|e| !e.contains("CPU"))
    );
}

#[test]
fn k7_one_trial_without_measured_noise_is_not_enough() {
    let fig = k7(0.0, (3000.0, Some(3500.0)), (1000.0, Some(1200.0)), 1);
    expect(&fig, "K7", NotEnoughEvidence, &["no interval"]);
    // With the run's capacity noise measured, one trial has an interval.
    let mut fig = k7(0.0, (3000.0, Some(3500.0)), (1000.0, Some(1200.0)), 1);
    for f in fig.scenarios.get_mut(&WsChat).unwrap() {
        let c = f.capacity.as_ref().unwrap();
        f.capacity = Some(capacity_with(c.low, c.high, 1, true));
    }
    expect(&fig, "K7", Supported, &[]);
    expect(&figures(), "K7", NotEnoughEvidence, &["not measured"]);
}

/// The searches' own envelope (lowest pass, highest failure over the
/// trials) only widens with trials: 13 trials of this host had Python's
/// highest failure at Node.js's lowest pass. K7 reads the capacity
/// figures' intervals instead, which narrow.
#[test]
fn k7_reads_the_intervals_not_the_searches_envelope() {
    let mut fig = k7(0.0, (3900.0, Some(4500.0)), (2300.0, Some(2900.0)), 13);
    for f in fig.scenarios.get_mut(&WsChat).unwrap() {
        let c = f.capacity.as_mut().unwrap();
        // Envelopes that overlap: 3,600 < 4,000.
        if f.stack == "node" {
            c.low = 3600.0;
        } else {
            c.high = Some(4000.0);
        }
    }
    expect(&fig, "K7", Supported, &["at least 1.3×"]);
    let c = claim(&fig, "K7");
    assert!(
        c.evidence[0].contains("node 3,900 [3,900–4,500] clients (13 trials)"),
        "{:?}",
        c.evidence
    );
}
