//! The ledger's evidence rules, one crafted results file per failure mode
//! that the rules before intervals got wrong: each must come out *not
//! enough evidence* or *depends* (or, for a bound, only the side the bound
//! allows).

mod common;

use common::{Builder, MB, claim};
use ringside::results::{Flag, IdleKind, Results};
use ringside::scenario::Scenario::{self, *};
use ringside::verdict::claims::{ClaimVerdict, Verdict, Verdict::*};

fn stacks(trials: u32) -> Builder {
    let mut b = Builder::new(trials);
    b.stack("node", "javascript", "node:http");
    b.stack("py", "python", "fastapi");
    b
}

fn duel(trials: u32, sc: Scenario, node: f64, py: f64, noise: f64) -> Builder {
    let mut b = stacks(trials);
    b.peak("node", sc, 64, 1, node, noise, 50.0, 40 * MB, 60 * MB);
    b.peak("py", sc, 64, 1, py, noise, 100.0, 40 * MB, 60 * MB);
    b
}

fn expect(r: &Results, id: &str, want: Verdict) -> ClaimVerdict {
    let c = claim(r, id);
    assert_eq!(c.verdict, want, "{id}: {} — {:?}", c.because, c.evidence);
    c
}

fn flag_all(b: &mut Builder, stack: &str, sc: Scenario, flag: Flag) {
    for t in 1..=b.r.settings.trials {
        b.flag(stack, sc, t, flag.clone(), true);
    }
}

/// One trial: "beyond the spread" was the median ratio itself, and K1 read
/// "supported" beside "no spread to judge".
#[test]
fn one_trial_is_not_enough_however_large_the_ratio() {
    let c = expect(
        &duel(1, Json, 30_000.0, 10_000.0, 0.0).finish(),
        "K1",
        NotEnoughEvidence,
    );
    assert!(c.because.contains("more trials"), "{}", c.because);
    assert!(c.to_run.unwrap().contains("--trials"));
}

/// Refuted was judged from medians: a 5 % median gap with ±15 % trials is
/// not "at most 1.1×" once the interval is drawn — and an interval that
/// reaches across both thresholds is no evidence of "depends" either.
#[test]
fn refuted_is_judged_from_the_interval_not_the_median() {
    let c = expect(
        &duel(3, Json, 10_500.0, 10_000.0, 0.3).finish(),
        "K1",
        NotEnoughEvidence,
    );
    assert!(c.because.contains("cannot tell"), "{}", c.because);
    assert!(
        c.evidence.iter().any(|e| e.contains('[')),
        "{:?}",
        c.evidence
    );
    // The same medians with steady trials: refuted.
    expect(
        &duel(3, Json, 10_500.0, 10_000.0, 0.01).finish(),
        "K1",
        Refuted,
    );
}

/// A generator-bound Python figure is a lower bound on Python: it cannot
/// support "Node.js much faster".
#[test]
fn a_generator_bound_figure_only_bounds() {
    let mut b = duel(3, Json, 30_000.0, 10_000.0, 0.02);
    flag_all(
        &mut b,
        "py",
        Json,
        Flag::GeneratorSaturated { utilization: 0.97 },
    );
    let c = claim(&b.finish(), "K1");
    assert_ne!(c.verdict, Supported, "{} — {:?}", c.because, c.evidence);
    assert_ne!(c.verdict, Refuted);
    // Node.js bound instead: at least 3× — the bound allows "supported".
    let mut b = duel(3, Json, 30_000.0, 10_000.0, 0.02);
    flag_all(
        &mut b,
        "node",
        Json,
        Flag::GeneratorSaturated { utilization: 0.97 },
    );
    expect(&b.finish(), "K1", Supported);
}

/// Shared cores, a rate not reached, errors that left the point valid: shown,
/// never judged on.
#[test]
fn doubtful_points_are_not_evidence() {
    for flag in [
        Flag::SharedCores,
        Flag::Errors { count: 3 },
        Flag::Unsettled { after_s: 15.0 },
    ] {
        let mut b = duel(3, Json, 30_000.0, 10_000.0, 0.02);
        flag_all(&mut b, "py", Json, flag.clone());
        let c = expect(&b.finish(), "K1", NotEnoughEvidence);
        assert!(c.to_run.is_some(), "{flag:?}: {c:?}");
    }
}

/// K2: a Python stack whose io points all failed has not coped: it stays
/// in the claim instead of vanishing from it.
#[test]
fn failing_io_counts_as_not_coping() {
    let mut b = stacks(3);
    b.io("node", 256, 1, 10_000.0, 250.0, 100.0, 80 * MB, 0);
    b.io("py", 256, 1, 50.0, 1.0, 100.0, 80 * MB, 5_000);
    b.idle("node", IdleKind::Http, 3_000.0, 2_000);
    b.idle("py", IdleKind::Http, 6_000.0, 2_000);
    let c = claim(&b.finish(), "K2");
    assert!(
        c.evidence
            .iter()
            .any(|e| e.contains("py") && e.contains("failed")),
        "{} — {:?}",
        c.because,
        c.evidence
    );
    assert_ne!(c.verdict, NotEnoughEvidence, "{}", c.because);
}

/// K7: a censored Node.js capacity (its search passed its largest step)
/// against an uncensored Python one printed "refuted". A lower bound on one
/// side cannot refute: the bracket is open above, and decides nothing here.
#[test]
fn one_censored_capacity_cannot_refute() {
    let mut b = stacks(3);
    b.capacity("node", WsChat, "clients", Some(150.0));
    b.capacity("py", WsChat, "clients", Some(1_000.0));
    let mut r = b.finish();
    for c in r.capacity.iter_mut().filter(|c| c.stack == "node") {
        c.limited_by = "max".into();
        c.upper_bound = None;
        // It passed its largest step: no step above failed.
        c.steps.retain(|s| s.passed);
    }
    let c = expect(&r, "K7", NotEnoughEvidence);
    assert!(c.because.contains("lower bound"), "{}", c.because);
}

/// K8 said "the gap stays wide" when Python was ahead behind the database.
#[test]
fn python_ahead_behind_the_database_is_said() {
    let mut b = duel(3, Json, 30_000.0, 10_000.0, 0.02);
    b.peak("node", Db, 64, 1, 4_000.0, 0.02, 50.0, 40 * MB, 60 * MB);
    b.peak("py", Db, 64, 1, 8_000.0, 0.02, 50.0, 40 * MB, 60 * MB);
    let c = expect(&b.finish(), "K8", Depends);
    assert!(c.because.contains("Python is ahead"), "{}", c.because);
    assert!(
        c.evidence.iter().any(|e| e.contains("(SQLite)")),
        "the database is part of the evidence: {:?}",
        c.evidence
    );
}

/// K9 compared each stack's memory at its own peak (10× apart in
/// throughput). Peak memory alone is not a K9 measure.
#[test]
fn memory_at_each_stacks_own_peak_is_not_a_k9_measure() {
    let r = duel(3, Json, 30_000.0, 3_000.0, 0.02).finish();
    expect(&r, "K9", NotEnoughEvidence);
}

/// K3 divided connections by latency (queueing included), so every server
/// "kept 256 of 256 in flight". A server queueing requests in its backlog
/// while serving one at a time must read as one at a time.
#[test]
fn requests_in_flight_are_not_connections() {
    let mut b = stacks(3);
    // 256 connections, 20 req/s at a 50 ms wait: one in flight.
    b.io("py", 256, 1, 20.0, 1.0, 100.0, 40 * MB, 0);
    let c = expect(&b.finish(), "K3", Supported);
    assert!(
        c.evidence
            .iter()
            .any(|e| e.contains("1.0") && e.contains("256")),
        "{:?}",
        c.evidence
    );
}

/// A numeric interval from "Node.js ahead" to "Python 1.2× ahead" decides
/// nothing (a default run's K5 read *depends* from such an interval and
/// *refuted* on the rerun); a narrow one in the middle is *depends*.
#[test]
fn an_interval_across_both_verdicts_is_not_enough() {
    let c = expect(
        &duel(3, Numeric, 1_000.0, 1_100.0, 0.5).finish(),
        "K5",
        NotEnoughEvidence,
    );
    assert!(c.to_run.unwrap().contains("--trials 5"));
    expect(
        &duel(3, Numeric, 1_000.0, 1_080.0, 0.01).finish(),
        "K5",
        Depends,
    );
    expect(
        &duel(3, Numeric, 2_000.0, 1_000.0, 0.01).finish(),
        "K5",
        Refuted,
    );
    // An interval across 1/1.2 (Node.js perhaps 1.2× faster, perhaps not):
    // the rerun's run 1 (0.73× [0.51–1.02×]) read *depends* before.
    let c = expect(
        &duel(3, Numeric, 1_000.0, 900.0, 0.3).finish(),
        "K5",
        NotEnoughEvidence,
    );
    assert!(c.because.contains("0.83×"), "{}", c.because);
}

/// build.rs dropped the flags of the trials behind K3's requests in flight:
/// a Python stack whose io trials all shared cores read "many at once".
#[test]
fn flagged_io_trials_do_not_count_for_k3() {
    let mut b = stacks(3);
    b.stack("py-sync", "python", "flask");
    b.io("py-sync", 256, 1, 20.0, 1.0, 200.0, 80 * MB, 0);
    b.io("py", 256, 1, 2_000.0, 100.0, 200.0, 80 * MB, 0);
    flag_all(&mut b, "py", Io, Flag::SharedCores);
    let r = b.finish();
    let fig = ringside::verdict::figures::Figures::from_results(&r);
    let py = fig.scenario(Io).iter().find(|f| f.stack == "py").unwrap();
    assert_eq!(
        py.throughput_evidence,
        ringside::verdict::figures::Evidence::Doubtful
    );
    let c = expect(&r, "K3", Supported);
    assert!(
        c.evidence
            .iter()
            .any(|e| e.starts_with("py (") && e.contains("flagged: not evidence")),
        "{:?}",
        c.evidence
    );
}

/// build.rs dropped the flags of the fixed-rate trials behind K9's memory
/// at the same offered rate: a stack that did not reach the rate is not at
/// the same rate.
#[test]
fn a_rate_not_reached_is_not_the_same_rate_for_k9() {
    let mut b = stacks(3);
    b.stack("py-lean", "python", "flask");
    for (name, achieved, mib) in [
        ("node", 500.0, 60),
        ("py", 500.0, 150),
        ("py-lean", 300.0, 20),
    ] {
        b.fixed(
            name,
            Json,
            500.0,
            achieved,
            1_000.0,
            5_000.0,
            50.0,
            mib * MB,
        );
    }
    let r = b.finish();
    let fig = ringside::verdict::figures::Figures::from_results(&r);
    let lean = fig
        .scenario(Json)
        .iter()
        .find(|f| f.stack == "py-lean")
        .unwrap();
    assert_eq!(
        lean.fixed_evidence,
        ringside::verdict::figures::Evidence::Doubtful
    );
    let c = expect(&r, "K9", Supported);
    assert!(
        c.evidence
            .iter()
            .any(|e| e.contains("not evidence") && e.contains("py-lean")),
        "{:?}",
        c.evidence
    );
}

/// Idle figures below the 256 B resolution are marked unresolved (only an
/// upper bound), and the idle connections have a noise floor of their own.
#[test]
fn sub_resolution_idle_figures_are_marked_and_idle_noise_is_its_own() {
    let mut b = stacks(3);
    b.idle("node", IdleKind::Ws, 100.0, 2000);
    b.idle("py", IdleKind::Ws, 9_000.0, 2000);
    let r = b.finish();
    let fig = ringside::verdict::figures::Figures::from_results(&r);
    let res = |s: &str| fig.idle.iter().find(|i| i.stack == s).unwrap().resolved;
    assert!(!res("node") && res("py"));
    assert!(
        fig.noise.idle.is_some(),
        "idle noise pooled from idle trials"
    );
    assert!(fig.noise.memory.is_none(), "not the process memory's");
}
