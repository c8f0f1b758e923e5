//! Ranks, capacity brackets, io curves, scaling and the per-stack figures.

use super::run::Run;
use super::{close, fig};
use crate::results::Flag;
use crate::scenario::Scenario::*;

/// A stack's rank is one more than the stacks decisively ahead of it (by
/// throughput; ws-chat by capacity): stacks nothing separates share a rank,
/// and a cell with no figure has none.
#[test]
fn ranks_count_the_stacks_decisively_ahead() {
    let mut b = Run::new();
    for (s, lang) in [("node", "javascript"), ("py", "python"), ("py2", "python")] {
        b.stack(s, lang);
    }
    b.stack("dead", "python");
    b.peak("node", Json, 64, &[3000.0, 3050.0, 2980.0]);
    b.peak("py", Json, 64, &[1000.0, 1010.0, 990.0]);
    b.peak("py2", Json, 64, &[1005.0, 995.0, 1000.0]);
    b.peak("dead", Json, 64, &[500.0]);
    b.r.points.last_mut().unwrap().valid = false;
    // ws-chat: py delivers more per second, node holds far more clients.
    b.ws("node", 50, &[700.0]);
    b.ws("py", 50, &[900.0]);
    b.capacity(
        "node",
        WsChat,
        1,
        &[Some(2000.0), Some(2050.0), Some(2100.0)],
    );
    b.capacity("py", WsChat, 1, &[Some(500.0), Some(520.0), Some(510.0)]);
    let f = b.figures();
    let ranks = |sc| -> Vec<(&str, Option<usize>)> {
        f.scenario(sc)
            .iter()
            .map(|x| (x.stack.as_str(), x.rank))
            .collect()
    };
    assert_eq!(
        ranks(Json),
        [
            ("node", Some(1)),
            ("py", Some(2)),
            ("py2", Some(2)),
            ("dead", None)
        ]
    );
    assert_eq!(ranks(WsChat), [("node", Some(1)), ("py", Some(2))]);
}

/// A cell's capacity bracket is made of its own searches (one process):
/// from the lowest pass to the lowest server failure above it, open when
/// no search failed by the server above it (a search stopped at its
/// largest step, the generator or the offered rate bounds nothing).
#[test]
fn the_capacity_bracket_is_the_cells_own_searches() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.stack("py", "python");
    b.capacity(
        "node",
        WsChat,
        1,
        &[Some(1000.0), Some(1100.0), Some(1050.0)],
    );
    b.capacity("node", WsChat, 2, &[Some(4000.0); 3]);
    b.capacity("node", Json, 1, &[Some(8000.0); 2]);
    b.capacity("py", WsChat, 1, &[Some(300.0), None]);
    let f = b.figures();
    let node = fig(&f, WsChat, "node").capacity.clone().unwrap();
    assert_eq!(node.unit, "clients");
    assert_eq!((node.trials, node.median, node.low), (3, 1050.0, 1000.0));
    assert_eq!(node.high, Some(1250.0), "trial 1's failure at 1,250");
    assert!(!node.censored);
    assert_eq!(node.limited_by, ["slo", "slo", "slo"]);
    let json = fig(&f, Json, "node").capacity.clone().unwrap();
    assert_eq!((json.unit.as_str(), json.trials), ("rps", 2));
    // A search that failed its lowest step counts as 0; the other trial's
    // failure at 375 still bounds the worst trial.
    let py = fig(&f, WsChat, "py").capacity.clone().unwrap();
    assert_eq!(
        (py.trials, py.median, py.low, py.high),
        (2, 150.0, 0.0, Some(375.0))
    );
    assert!(!py.censored);
    // The trials' capacities as one figure: each trial's bracket midpoint
    // (1,000/1,100/1,050 × √1.25), closed above, with an interval.
    let (lower, upper) = (node.lower.unwrap(), node.upper.unwrap());
    assert_eq!(lower, upper);
    assert_eq!(lower.n, 3);
    assert!(super::close(lower.median, 1050.0 * 1.25f64.sqrt()));
    assert!(lower.has_interval());
    assert_eq!(node.interval_low(), Some(lower.low));
    assert_eq!(node.interval_high(), Some(upper.high));
    // A trial that passed nothing leaves no figure (dropping it would bias
    // the median up): no interval, no ratio judged.
    assert!(py.lower.is_none() && py.interval_low().is_none(), "{py:?}");
    assert!(!node.ratio_to(&py).judged);
    for why in ["max", "generator", "rate", "steps"] {
        let mut b = Run::new();
        b.stack("node", "javascript");
        b.capacity("node", WsChat, 1, &[Some(1000.0), Some(1100.0)]);
        b.r.capacity[1].limited_by = why.into();
        let c = fig(&b.figures(), WsChat, "node").capacity.clone().unwrap();
        assert!(c.censored && c.high == Some(1250.0), "{why}: {c:?}");
        // Alone, such a search is a lower bound.
        b.r.capacity.remove(0);
        let c = fig(&b.figures(), WsChat, "node").capacity.clone().unwrap();
        assert!(c.censored && c.high.is_none(), "{why}: {c:?}");
        // A lower bound: the pass bounds from below, the figure is open above.
        assert!(c.lower.is_some() && c.upper.is_none(), "{why}: {c:?}");
    }
}

/// The io curve of a stack: its valid io points' requests in flight, the
/// median per connection count.
#[test]
fn io_curves_are_each_stacks_valid_io_points() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.stack("py", "python");
    b.stack("rust", "rust");
    b.io("node", 64, &[1000.0; 3], &[50.0, 52.0, 51.0]);
    b.io("node", 256, &[4000.0; 4], &[200.0, 210.0, 205.0, 9.0]);
    b.r.points.last_mut().unwrap().valid = false;
    b.io("py", 256, &[80.0; 3], &[4.0, 3.0, 3.5]);
    b.peak("rust", Json, 64, &[9000.0; 3]);
    for p in b.points_of("rust", Json) {
        p.server.concurrency_achieved = Some(60.0);
    }
    let f = b.figures();
    let curves: Vec<(&str, Vec<(usize, f64)>)> = f
        .io_curves
        .iter()
        .map(|c| (c.stack.as_str(), c.points.clone()))
        .collect();
    assert_eq!(
        curves,
        [
            ("node", vec![(64, 51.0), (256, 205.0)]),
            ("py", vec![(256, 3.5)]),
        ]
    );
}

/// Scaling per stack and target: one process against the most processes
/// measured on that target; a target measured at one process only has no
/// scaling; the shared-cores flag is a property of the table, not a note.
#[test]
fn scaling_per_stack_and_target() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.stack("py", "python");
    b.peak("node", Json, 256, &[5000.0; 3]);
    b.workers("node", "/json", 1, &[1000.0, 1020.0, 990.0], &[1.0; 3]);
    b.workers("node", "/json", 2, &[1900.0, 1950.0, 1880.0], &[2.0; 3]);
    b.workers(
        "node",
        "/plaintext",
        1,
        &[2000.0, 2050.0, 1990.0],
        &[1.0; 3],
    );
    b.workers(
        "node",
        "/plaintext",
        4,
        &[7000.0, 7100.0, 6900.0],
        &[3.5; 3],
    );
    b.workers("py", "/json", 1, &[800.0, 810.0, 790.0], &[1.0; 3]);
    for p in b.points_of("node", Workers) {
        if p.target == "/plaintext" {
            p.flags.push(Flag::SharedCores);
            if p.workers == 4 && p.trial == 1 {
                p.flags.push(Flag::GeneratorSaturated { utilization: 0.97 });
            }
        }
    }
    let f = b.figures();
    let rows: Vec<(&str, &str, u32, f64, f64, f64, bool)> = f
        .scaling
        .iter()
        .map(|s| {
            (
                s.stack.as_str(),
                s.target.as_str(),
                s.workers_n,
                s.one.unwrap().median,
                s.many.unwrap().median,
                s.cores_many.unwrap().median,
                s.shared_generator,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("node", "/json", 2, 1000.0, 1900.0, 2.0, false),
            ("node", "/plaintext", 4, 2000.0, 7000.0, 3.5, true),
        ]
    );
    assert!(close(f.scaling[0].speedup.unwrap().value, 1.9));
    assert!(f.scaling[0].notes.is_empty(), "{:?}", f.scaling[0].notes);
    assert_eq!(
        f.scaling[1].notes,
        ["trial 1, 256 conns, 4 workers: \
             generator-bound (97 % generator CPU): the server may be faster"]
    );
}

/// Per stack: memory when fresh, and the warm-up the first scenario after
/// a launch needed to settle (workers phases and later scenarios aside).
#[test]
fn per_stack_fresh_memory_and_first_warmups() {
    let mut b = Run::new();
    b.stack("node", "javascript").rss_fresh_bytes = vec![40, 42, 41];
    b.stack("py", "python");
    b.warmup("node", Json, true, true, 4.0);
    b.warmup("node", Db, false, true, 9.0);
    b.warmup("node", Workers, true, true, 20.0);
    b.warmup("node", Io, true, false, 30.0);
    b.warmup("py", Json, true, true, 7.0);
    let f = b.figures();
    let node = f.stack_figures("node").unwrap();
    let steady = node.steady_after_s.unwrap();
    assert_eq!((steady.n, steady.median), (1, 4.0));
    assert_eq!((node.warmups, node.warmups_unsettled), (4, 1));
    assert_eq!(node.fresh_bytes.unwrap().median, 41.0);
    let py = f.stack_figures("py").unwrap();
    assert_eq!(py.steady_after_s.unwrap().median, 7.0);
    assert_eq!((py.warmups, py.warmups_unsettled), (1, 0));
    assert!(py.fresh_bytes.is_none());
}
