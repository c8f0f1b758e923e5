//! The run's noise per family: pooled from the cells' clean trials only.

use super::close;
use super::run::{MB, Run};
use crate::results::{Flag, IdleKind, PointKind};
use crate::scenario::Scenario::*;
use crate::stats::Noise;

fn pooled(cells: &[&[f64]]) -> Option<Noise> {
    Noise::pooled(cells.iter().copied())
}

/// Each family pools its own figure of each cell's clean trials: a flagged
/// trial (here a wild one) is left out of every family.
#[test]
fn each_family_pools_the_clean_trials_of_each_cell() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.peak("node", Json, 64, &[1000.0, 1100.0, 950.0, 3000.0]);
    let peak = [(50.0, 0.50), (55.0, 0.60), (52.0, 0.55), (200.0, 1.9)];
    for (p, (cpu, cores)) in b.points_of("node", Json).zip(peak) {
        p.server.cpu_us_per_req = Some(cpu);
        p.server.cores_used = Some(cores);
    }
    b.flag("node", Json, 4, Flag::SharedCores);
    b.fixed("node", Json, 1000.0, &[3000, 3300, 2900, 50_000]);
    let fixed = [(40.0, 60), (42.0, 62), (41.0, 61), (400.0, 200)];
    let points = b
        .points_of("node", Json)
        .filter(|p| matches!(p.kind, PointKind::FixedRate { .. }));
    for (p, (cpu, mib)) in points.zip(fixed) {
        p.server.cpu_us_per_req = Some(cpu);
        p.server.rss_peak_bytes = mib * MB;
        if p.trial == 4 {
            p.flags.push(Flag::RateNotReached {
                target_rps: 1000.0,
                achieved_rps: 400.0,
            });
        }
    }
    let n = b.figures().noise;
    assert_eq!(n.throughput, pooled(&[&[1000.0, 1100.0, 950.0]]));
    assert_eq!(n.cpu, pooled(&[&[50.0, 55.0, 52.0], &[40.0, 42.0, 41.0]]));
    assert_eq!(n.latency, pooled(&[&[3000.0, 3300.0, 2900.0]]));
    let mib = |v: u64| (v * MB) as f64;
    assert_eq!(n.memory, pooled(&[&[mib(60), mib(62), mib(61)]]));
    assert_eq!(n.cores, pooled(&[&[0.50, 0.60, 0.55]]));
    assert!(n.throughput.is_some() && n.memory.is_some());
}

/// ws-chat's deliveries per second are planned, not measured capacity:
/// they stay out of the throughput noise.
#[test]
fn ws_deliveries_stay_out_of_the_throughput_noise() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.ws("node", 50, &[500.0, 900.0, 700.0]);
    assert_eq!(b.figures().noise.throughput, None);
    b.peak("node", Json, 64, &[1000.0, 1100.0, 950.0]);
    assert_eq!(
        b.figures().noise.throughput,
        pooled(&[&[1000.0, 1100.0, 950.0]])
    );
}

/// The cores noise pools every cell's cores used: each endpoint cell, and
/// each workers level of each stack (one process, N processes) as a cell
/// of its own.
#[test]
fn the_cores_noise_pools_each_workers_level_of_each_stack() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.stack("py", "python");
    let node_json = [0.50, 0.55, 0.52];
    let py_json = [0.90, 0.95, 0.91];
    let node_w = [
        (1, [1.0, 1.1, 1.05]),
        (2, [1.8, 1.95, 1.9]),
        (4, [3.2, 3.5, 3.4]),
    ];
    let py_w = [(1, [1.0, 1.06, 1.02]), (2, [1.1, 1.25, 1.2])];
    for (stack, cores) in [("node", node_json), ("py", py_json)] {
        b.peak(stack, Json, 64, &[1000.0; 3]);
        for (p, c) in b.points_of(stack, Json).zip(cores) {
            p.server.cores_used = Some(c);
        }
    }
    for (w, cores) in node_w {
        b.workers("node", "/json", w, &[1000.0; 3], &cores);
    }
    for (w, cores) in py_w {
        b.workers("py", "/json", w, &[1000.0; 3], &cores);
    }
    let want = pooled(&[
        &node_json,
        &py_json,
        &node_w[0].1,
        &node_w[1].1,
        &node_w[2].1,
        &py_w[0].1,
        &py_w[1].1,
    ])
    .unwrap();
    let got = b.figures().noise.cores.unwrap();
    assert_eq!((got.df, got.cells), (want.df, want.cells), "{got:?}");
    assert!(close(got.sd_log, want.sd_log), "{got:?} against {want:?}");
}

/// The capacity noise pools the searches of each stack × scenario ×
/// workers that found a capacity and a server failure above it, by their
/// brackets' midpoints (`√(pass × failure)`; the builder's searches fail at
/// 1.25× their pass); a search that found none, or no failure above it,
/// adds nothing.
#[test]
fn the_capacity_noise_pools_searches_that_found_a_capacity() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.stack("py", "python");
    let node = [Some(1000.0), Some(1100.0), Some(1050.0), None, Some(5000.0)];
    b.capacity("node", WsChat, 1, &node);
    // A lower bound: no midpoint.
    b.r.capacity[4].limited_by = "generator".into();
    b.capacity("node", WsChat, 2, &[Some(2000.0), Some(2600.0)]);
    b.capacity("py", WsChat, 1, &[Some(300.0), Some(320.0), Some(0.0)]);
    let mid = |c: f64| (c * (c * 1.25)).sqrt();
    let want = pooled(&[
        &[mid(1000.0), mid(1100.0), mid(1050.0)],
        &[mid(2000.0), mid(2600.0)],
        &[mid(300.0), mid(320.0)],
    ]);
    assert!(want.is_some());
    assert_eq!(b.figures().noise.capacity, want);
}

/// Idle memory per connection: records with no connection open are left
/// out; a figure below the resolution counts as the resolution and makes
/// the figure unresolved; the idle noise is its own family.
#[test]
fn idle_figures_their_resolution_and_their_noise() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    b.stack("py", "python");
    b.idle("node", IdleKind::Http, 2000, &[3000.0, 3100.0, 2950.0]);
    b.idle("node", IdleKind::Http, 0, &[0.0]);
    b.idle("py", IdleKind::Http, 2000, &[300.0, 200.0, 280.0]);
    b.idle("py", IdleKind::Ws, 1500, &[9000.0, 9100.0]);
    let f = b.figures();
    let idle: Vec<(&str, IdleKind, bool, usize, usize, f64)> = f
        .idle
        .iter()
        .map(|i| {
            let e = &i.bytes_per_connection;
            (
                i.stack.as_str(),
                i.kind,
                i.resolved,
                e.n,
                i.connections_open,
                e.median,
            )
        })
        .collect();
    assert_eq!(
        idle,
        [
            ("node", IdleKind::Http, true, 3, 2000, 3000.0),
            ("py", IdleKind::Http, false, 3, 2000, 280.0),
            ("py", IdleKind::Ws, true, 2, 1500, 9050.0),
        ]
    );
    assert_eq!(f.idle[1].bytes_per_connection.min, 256.0);
    assert_eq!(f.idle[0].connections_requested, 2000);
    // The idle noise is pooled per runtime (issue 20); the run's is the widest.
    let node = pooled(&[&[3000.0, 3100.0, 2950.0]]).unwrap();
    let py = pooled(&[&[300.0, 256.0, 280.0], &[9000.0, 9100.0]]).unwrap();
    assert!(py.sd_log > node.sd_log);
    assert_eq!(f.noise.idle, Some(py));
    // The idle noise is not the process memory's.
    assert_eq!(f.noise.memory, None);
}
