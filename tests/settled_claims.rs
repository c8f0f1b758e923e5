//! A verdict the judged figures already settle is not held open by a figure
//! without an interval (issue 20, a default run: K2's io lead lay wholly
//! between 1.1× and 1.5× and K9 had two measures in different zones, yet
//! both read "not enough evidence" because node-http's memory per idle
//! WebSocket was too noisy to judge). And one that the missing interval
//! could still change stays open.

mod common;

use common::{Builder, MB, claim};
use ringside::results::{IdleKind, Results};
use ringside::scenario::Scenario;
use ringside::verdict::claims::Verdict;

fn two_stacks() -> Builder {
    let mut b = Builder::new(3);
    b.stack("node", "javascript", "node:http");
    b.stack("py", "python", "fastapi");
    b
}

/// `b`'s results with node's idle WebSocket trial 2 twenty times its value:
/// node's figure too noisy to judge, so every ratio on it has no interval.
fn with_wild_node_ws(b: Builder) -> Results {
    let mut r = b.finish();
    let node = r.stacks.iter_mut().find(|s| s.name == "node").unwrap();
    let rec = node
        .idle
        .iter_mut()
        .find(|i| i.kind == IdleKind::Ws && i.trial == 2)
        .unwrap();
    rec.bytes_per_connection *= 20.0;
    r
}

fn idle(b: &mut Builder, http: (f64, f64), ws: (f64, f64)) {
    b.idle("node", IdleKind::Http, http.0, 2000);
    b.idle("py", IdleKind::Http, http.1, 2000);
    b.idle("node", IdleKind::Ws, ws.0, 2000);
    b.idle("py", IdleKind::Ws, ws.1, 2000);
}

fn ws_line_has_no_interval(r: &Results, id: &str) {
    let c = claim(r, id);
    assert!(
        c.evidence
            .iter()
            .any(|e| e.contains("idle ws connection") && e.contains("no interval")),
        "{id}: {:?}",
        c.evidence
    );
}

#[test]
fn k2_io_lead_wholly_between_is_depends_whatever_the_idle_ws_memory() {
    let mut b = two_stacks();
    b.peak(
        "node",
        Scenario::Io,
        256,
        1,
        13_000.0,
        0.02,
        50.0,
        40 * MB,
        60 * MB,
    );
    b.peak(
        "py",
        Scenario::Io,
        256,
        1,
        10_000.0,
        0.02,
        90.0,
        40 * MB,
        60 * MB,
    );
    idle(&mut b, (8_700.0, 11_100.0), (7_300.0, 35_000.0));
    let r = with_wild_node_ws(b);
    ws_line_has_no_interval(&r, "K2");
    let c = claim(&r, "K2");
    assert_eq!(
        c.verdict,
        Verdict::Depends,
        "{} — {:?}",
        c.because,
        c.evidence
    );
    assert!(c.because.contains("wholly between"), "{}", c.because);
}

#[test]
fn k2_io_lead_far_ahead_waits_for_the_idle_ws_memory() {
    let mut b = two_stacks();
    b.peak(
        "node",
        Scenario::Io,
        256,
        1,
        30_000.0,
        0.02,
        50.0,
        40 * MB,
        60 * MB,
    );
    b.peak(
        "py",
        Scenario::Io,
        256,
        1,
        10_000.0,
        0.02,
        90.0,
        40 * MB,
        60 * MB,
    );
    idle(&mut b, (8_700.0, 11_100.0), (7_300.0, 35_000.0));
    let r = with_wild_node_ws(b);
    // Supported needs every memory interval: the ws one could still read less.
    assert_eq!(claim(&r, "K2").verdict, Verdict::NotEnoughEvidence);
}

#[test]
fn k9_one_measure_wholly_between_is_depends_whatever_the_idle_ws_memory() {
    let mut b = two_stacks();
    // http: 1.2× — wholly between 1.1× and 1.3×.
    idle(&mut b, (8_700.0, 10_440.0), (7_300.0, 35_000.0));
    let r = with_wild_node_ws(b);
    ws_line_has_no_interval(&r, "K9");
    let c = claim(&r, "K9");
    assert_eq!(
        c.verdict,
        Verdict::Depends,
        "{} — {:?}",
        c.because,
        c.evidence
    );
    assert!(c.because.contains("between 1.1× and 1.3×"), "{}", c.because);
}

#[test]
fn k9_measures_all_in_one_zone_wait_for_the_idle_ws_memory() {
    let mut b = two_stacks();
    // http: 3× — above 1.3×; the ws measure could still read below.
    idle(&mut b, (8_700.0, 26_100.0), (7_300.0, 35_000.0));
    let r = with_wild_node_ws(b);
    assert_eq!(claim(&r, "K9").verdict, Verdict::NotEnoughEvidence);
}
