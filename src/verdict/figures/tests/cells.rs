//! Which figure a cell is made of, and the evidence each figure carries.

use std::collections::BTreeMap;

use super::run::{Run, point};
use super::{close, fig};
use crate::results::{Flag, PointKind, RoundKind, StackStatus};
use crate::scenario::Scenario::{self, *};
use crate::stats::Estimate;
use crate::verdict::figures::Evidence::{self, *};

/// The peak is the connection count whose median throughput is highest;
/// `io` reads its highest connection count (the concurrency it tests),
/// whatever its throughput there.
#[test]
fn the_peak_is_the_best_level_and_io_the_highest() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.peak("node", Json, 64, &[1000.0, 1010.0, 990.0]);
    b.peak("node", Json, 256, &[800.0, 810.0, 790.0]);
    b.io("node", 64, &[500.0, 505.0, 495.0], &[25.0, 25.0, 25.0]);
    b.io("node", 256, &[400.0, 405.0, 395.0], &[20.0, 20.0, 20.0]);
    let f = b.figures();
    let json = fig(&f, Json, "node");
    assert_eq!(json.connections, Some(64));
    assert_eq!(json.throughput_rps.unwrap().median, 1000.0);
    let io = fig(&f, Io, "node");
    assert_eq!(io.connections, Some(256));
    assert_eq!(io.throughput_rps.unwrap().median, 400.0);
    assert_eq!(io.concurrency_achieved.unwrap().median, 20.0);
}

/// Latency is compared at the scenario's configured rate, else the run's
/// first; a configured rate that was not measured falls back to the
/// highest rate measured.
#[test]
fn latency_is_read_at_the_configured_rate() {
    let cases: &[(&[f64], &[(&str, f64)], f64, f64)] = &[
        (&[500.0, 1000.0], &[], 500.0, 2000.0),
        (&[1000.0, 500.0], &[], 1000.0, 8000.0),
        (&[2000.0], &[], 1000.0, 8000.0),
        (&[1000.0], &[("json", 500.0)], 500.0, 2000.0),
        (&[500.0], &[("db", 1000.0)], 500.0, 2000.0),
    ];
    for (rates, by_sc, want_rate, want_p99) in cases {
        let mut b = Run::new();
        b.stack("node", "javascript");
        b.peak("node", Json, 64, &[5000.0; 3]);
        b.fixed("node", Json, 500.0, &[2000; 3]);
        b.fixed("node", Json, 1000.0, &[8000; 3]);
        b.r.settings.fixed_rates_rps = rates.to_vec();
        b.r.settings.fixed_rates_by_scenario = by_sc
            .iter()
            .map(|(s, r)| (s.to_string(), vec![*r]))
            .collect::<BTreeMap<_, _>>();
        let f = b.figures();
        let json = fig(&f, Json, "node");
        let case = format!("rates {rates:?}, per scenario {by_sc:?}");
        assert_eq!(json.p99_rate_rps, Some(*want_rate), "{case}");
        assert_eq!(json.p99_us.unwrap().median, *want_p99, "{case}");
    }
}

/// Without fixed-rate points the latency is the peak's, at no rate.
#[test]
fn latency_falls_back_to_the_peak() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.peak("node", Json, 64, &[5000.0; 3]);
    let f = b.figures();
    let json = fig(&f, Json, "node");
    assert_eq!(json.p99_rate_rps, None);
    assert_eq!(json.p99_us.unwrap().median, 3000.0);
    assert_eq!(json.p50_us.unwrap().median, 1000.0);
}

fn is_fixed(k: &PointKind) -> bool {
    matches!(k, PointKind::FixedRate { .. })
}

/// Every flag reaches the figures made of the points it marks, and only
/// those: shared cores and a rate not reached are never evidence, a
/// generator at its limit leaves a lower bound.
#[test]
fn each_flag_is_carried_into_the_figures_it_marks() {
    let stalled = Flag::Stalled {
        longest_s: 2.0,
        pauses: 1,
        stalled_s: 2.0,
        recurred: true,
    };
    // (flag, on the fixed-rate points?, throughput, latency, fixed-rate evidence)
    let cases: Vec<(Flag, bool, Evidence, Evidence, Evidence)> = vec![
        (Flag::SharedCores, false, Doubtful, Clean, Clean),
        (Flag::SharedCores, true, Clean, Doubtful, Doubtful),
        (
            Flag::GeneratorSaturated { utilization: 0.97 },
            false,
            AtLeast,
            Clean,
            Clean,
        ),
        (
            Flag::RateNotReached {
                target_rps: 1000.0,
                achieved_rps: 700.0,
            },
            true,
            Clean,
            Doubtful,
            Doubtful,
        ),
        (
            Flag::Unsettled { after_s: 15.0 },
            false,
            Doubtful,
            Clean,
            Clean,
        ),
        (stalled, false, Doubtful, Clean, Clean),
        (Flag::SharedMachine, true, Clean, Doubtful, Doubtful),
        (
            Flag::ForeignCpu { share: 0.1 },
            false,
            Doubtful,
            Clean,
            Clean,
        ),
        (
            Flag::MixedHardware { machines: 2 },
            true,
            Clean,
            Doubtful,
            Doubtful,
        ),
    ];
    for (flag, on_fixed, thr, lat, fixed) in cases {
        let mut b = Run::new();
        b.stack("node", "javascript");
        b.peak("node", Json, 64, &[5000.0, 5100.0, 4900.0]);
        b.fixed("node", Json, 1000.0, &[3000, 3100, 2900]);
        for p in b.points_of("node", Json) {
            if is_fixed(&p.kind) == on_fixed {
                p.flags.push(flag.clone());
            }
        }
        let f = b.figures();
        let json = fig(&f, Json, "node");
        let case = format!("{flag:?} on the fixed-rate points: {on_fixed}");
        assert_eq!(json.throughput_evidence, thr, "{case}");
        assert_eq!(json.latency_evidence, lat, "{case}");
        assert_eq!(json.fixed_evidence, fixed, "{case}");
        // The figures are still shown, made of the flagged trials.
        assert_eq!(json.throughput_rps.unwrap().n, 3, "{case}");
        assert_eq!(json.cpu_fixed_us_per_req.unwrap().n, 3, "{case}");
        assert_eq!(json.rss_fixed_bytes.unwrap().n, 3, "{case}");
    }
}

/// `io`'s requests in flight are made of the same trials as its throughput:
/// an io cell on shared cores is not evidence of either.
#[test]
fn io_in_flight_carries_the_throughputs_evidence() {
    let mut b = Run::new();
    b.stack("py", "python");
    b.io("py", 256, &[100.0, 101.0, 99.0], &[4.0, 3.9, 3.8]);
    b.flag("py", Io, 0, Flag::SharedCores);
    let f = b.figures();
    let io = fig(&f, Io, "py");
    assert_eq!(io.throughput_evidence, Doubtful);
    assert_eq!(io.concurrency_achieved.unwrap().median, 3.9);
}

/// A flagged trial is left out of a figure when clean trials exist.
#[test]
fn a_flagged_trial_is_left_out_when_clean_ones_exist() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.peak("node", Json, 64, &[5000.0, 5100.0, 9000.0]);
    b.flag("node", Json, 3, Flag::SharedCores);
    let f = b.figures();
    let json = fig(&f, Json, "node");
    assert_eq!(json.throughput_evidence, Clean);
    let t = json.throughput_rps.unwrap();
    assert_eq!((t.n, t.max), (2, 5100.0));
}

/// A one-trial cell borrows the run's throughput noise for its interval;
/// ws-chat's deliveries per second are set by the plan (clients × rate),
/// so they neither borrow it nor feed it.
#[test]
fn one_trial_borrows_the_runs_noise_but_ws_deliveries_do_not() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.stack("py", "python");
    b.peak("node", Json, 64, &[1000.0, 1100.0, 950.0]);
    b.peak("py", Json, 64, &[500.0]);
    b.ws("node", 50, &[700.0]);
    let f = b.figures();
    let py = fig(&f, Json, "py").throughput_rps.unwrap();
    assert_eq!(py.n, 1);
    assert!(py.has_interval(), "{py:?}");
    let ws = fig(&f, WsChat, "node").throughput_rps.unwrap();
    assert!(!ws.has_interval(), "{ws:?}");
    // Alone, one trial has no interval at all.
    let mut b = Run::new();
    b.stack("py", "python");
    b.peak("py", Json, 64, &[500.0]);
    assert!(
        !fig(&b.figures(), Json, "py")
            .throughput_rps
            .unwrap()
            .has_interval()
    );
}

/// A cell is a stack × endpoint scenario measured by one process: its
/// points, or a capacity search alone. Points of N workers, of another
/// stack or another scenario stay out of it.
#[test]
fn cells_are_one_stack_one_scenario_one_process() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.stack("py", "python");
    b.peak("node", Json, 64, &[1000.0, 1020.0, 980.0]);
    for t in 1..=3 {
        b.add(point(
            "node",
            Json,
            PointKind::Peak { connections: 64 },
            t,
            5000.0,
        ))
        .workers = 2;
    }
    b.workers("node", "/json", 1, &[700.0; 3], &[1.0; 3]);
    b.workers("node", "/json", 2, &[1300.0; 3], &[2.0; 3]);
    b.capacity("node", WsChat, 1, &[Some(400.0); 3]);
    b.peak("py", Json, 64, &[300.0, 310.0, 290.0]);
    b.peak("py", Db, 64, &[200.0, 210.0, 190.0]);
    let f = b.figures();
    let cells: Vec<(Scenario, &str)> = f
        .scenarios
        .iter()
        .flat_map(|(sc, v)| v.iter().map(move |x| (*sc, x.stack.as_str())))
        .collect();
    assert_eq!(
        cells,
        [(Json, "node"), (Json, "py"), (Db, "py"), (WsChat, "node")]
    );
    let median = |sc, st| fig(&f, sc, st).throughput_rps.unwrap().median;
    assert_eq!(median(Json, "node"), 1000.0);
    assert_eq!(median(Json, "py"), 300.0);
    assert_eq!(median(Db, "py"), 200.0);
    let ws = fig(&f, WsChat, "node");
    assert!(ws.throughput_rps.is_none());
    assert_eq!(ws.capacity.as_ref().unwrap().median, 400.0);
    assert_eq!(fig(&f, Json, "node").workers, 1);
}

/// A stack that failed is not measured; a finalist is one of a final
/// round; invalid points are counted and kept out; a cell of invalid points
/// has no figure but stays in the table.
#[test]
fn failed_stacks_invalid_points_and_finalists() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.stack("py", "python").status = StackStatus::Failed {
        stage: "verify".into(),
        reason: "wrong body".into(),
        stderr_tail: Vec::new(),
    };
    b.stack("bun", "javascript").runtime = Some("bun".into());
    b.round(1, RoundKind::Screening, &["node", "py", "bun"]);
    b.round(2, RoundKind::Final, &["node"]);
    b.peak("node", Json, 64, &[1000.0, 1010.0, 5000.0]);
    b.peak("bun", Json, 64, &[2000.0; 2]);
    for p in
        b.r.points
            .iter_mut()
            .filter(|p| p.trial == 3 || p.stack == "bun")
    {
        p.valid = false;
        p.flags.push(Flag::Errors { count: 7 });
    }
    let f = b.figures();
    let info: Vec<(&str, bool, bool)> = f
        .stacks
        .iter()
        .map(|s| (s.name.as_str(), s.measured, s.finalist))
        .collect();
    assert_eq!(
        info,
        [
            ("node", true, true),
            ("py", false, false),
            ("bun", true, false)
        ]
    );
    assert_eq!(f.lang_of("bun"), crate::verdict::figures::Lang::OtherJs);
    let node = fig(&f, Json, "node");
    assert_eq!((node.valid_points, node.total_points), (2, 3));
    assert_eq!(node.throughput_rps.unwrap().max, 1010.0);
    let bun = fig(&f, Json, "bun");
    assert_eq!((bun.valid_points, bun.total_points), (0, 2));
    assert!(bun.throughput_rps.is_none());
    assert_eq!(bun.rank, None);
    assert!(f.scenario(Json).iter().all(|x| x.stack != "py"));
}

/// An interval is cut at what the run makes possible: CPU per request at
/// most every core's whole time over the slowest trial's requests.
#[test]
fn the_cpu_interval_is_cut_at_what_the_cores_could_pay() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.peak("node", Json, 64, &[20_000.0; 3]);
    let cpu = [60.0, 90.0, 95.0];
    for (p, c) in b.points_of("node", Json).zip(cpu) {
        p.server.cpu_us_per_req = Some(c);
    }
    let f = b.figures();
    // Two cores, 20,000 req/s: at most 100 µs a request.
    let uncut = Estimate::of_at(&cpu, f.noise.cpu.as_ref(), 0.95).unwrap();
    assert!(uncut.high > 100.0, "the case must reach past it: {uncut:?}");
    let e = fig(&f, Json, "node").cpu_us_per_req.unwrap();
    assert!(close(e.high, 100.0), "{e:?}");
    assert_eq!(e.median, 90.0);
}
