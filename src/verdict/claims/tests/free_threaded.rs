//! K4 on a free-threaded Python: a deployment whose workers are one
//! process's threads (granian on a GIL-disabled CPython) is judged as one
//! process at N workers, so one process of several threads using several
//! cores refutes the claim for that interpreter.

use super::fixture::*;
use crate::verdict::claims::Verdict::*;
use crate::verdict::figures::Figures;

/// A free-threaded `py-fastapi` (workers are threads when `threads_of_one`)
/// at 1 and 4 workers, and a Bun control that used 1.7–1.9 cores.
fn free_threaded(one: (f64, f64), many: (f64, f64), threads_of_one: bool) -> Figures {
    let mut fig = figures();
    let e = |(lo, hi): (f64, f64)| est((lo + hi) / 2.0, lo, hi);
    scaling(&mut fig, "py-fastapi", 1, e(one), e(many));
    fig.scaling[0].workers_n = 4;
    fig.stacks[0].worker_threads = threads_of_one;
    scaling(&mut fig, "bun-http", 1, e((0.9, 1.0)), e((1.7, 1.9)));
    fig
}

#[test]
fn one_free_threaded_process_on_several_cores_refutes_k4() {
    // 4 worker threads of one process used 1.85–1.95 cores.
    let fig = free_threaded((0.9, 1.0), (1.85, 1.95), true);
    let v = expect(
        &fig,
        "K4",
        Refuted,
        &["one Python process used at least 1.3 cores", "py-fastapi"],
    );
    assert!(
        v.evidence.iter().any(|l| l.starts_with("py-fastapi (")
            && l.contains("1 worker thread 0.95 cores [0.90–1.00], 4 worker threads of one process 1.90 cores [1.85–1.95]")),
        "{:?}",
        v.evidence
    );
    // The same figures from worker processes (one thread each) say nothing
    // of the GIL: not enough evidence, as before.
    let fig = free_threaded((0.9, 1.0), (1.85, 1.95), false);
    let v = expect(&fig, "K4", NotEnoughEvidence, &["one thread a process"]);
    assert!(
        v.evidence
            .iter()
            .any(|l| l.contains("4 processes 1.90 cores")),
        "{:?}",
        v.evidence
    );
    // One process's 4 threads that stayed on one core while the control
    // used two: the rule's "supported".
    let fig = free_threaded((0.9, 1.0), (0.9, 1.2), true);
    expect(&fig, "K4", Supported, &["while a control"]);
}
