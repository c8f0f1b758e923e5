//! The realistic results fixture `tests/fixtures/results/full.json`, made with
//! the test builder from the real types. Regenerate with
//! `cargo test --test report_fixture -- --ignored`.

mod common;

use common::{Builder, MB};
use ringside::results::{FailureRecord, Flag, Footprint, IdleKind, Results, StackStatus};
use ringside::scenario::Scenario::{self, *};

pub const FIXTURE: &str = "tests/fixtures/results/full.json";

/// (name, language, framework, rss idle MiB, rss peak MiB)
const STACKS: [(&str, &str, &str, u64, u64); 6] = [
    ("node-http", "javascript", "node:http", 44, 71),
    ("node-fastify", "javascript", "fastify 5", 58, 90),
    ("node-express", "javascript", "express 4", 61, 96),
    ("python-fastapi", "python", "fastapi + uvicorn", 41, 58),
    (
        "python-flask",
        "python",
        "flask + gunicorn (2 sync workers)",
        68,
        79,
    ),
    ("rust-axum", "rust", "axum 0.7", 5, 13),
];

/// Peak req/s per scenario, stacks in STACKS order.
const PEAK: [(Scenario, [f64; 6]); 8] = [
    (
        Plaintext,
        [38_200.0, 33_400.0, 12_100.0, 9_600.0, 3_900.0, 121_000.0],
    ),
    (
        Json,
        [34_100.0, 30_200.0, 11_000.0, 8_200.0, 3_500.0, 110_000.0],
    ),
    (Db, [9_100.0, 8_600.0, 6_100.0, 3_100.0, 2_300.0, 27_800.0]),
    (Queries, [910.0, 880.0, 730.0, 620.0, 520.0, 3_100.0]),
    (
        Fortunes,
        [6_500.0, 6_200.0, 4_100.0, 2_100.0, 1_650.0, 18_200.0],
    ),
    (Updates, [520.0, 505.0, 430.0, 210.0, 160.0, 1_600.0]),
    (Cpu, [9_000.0, 8_800.0, 6_100.0, 330.0, 310.0, 45_000.0]),
    (
        Numeric,
        [1_450.0, 1_400.0, 1_300.0, 1_900.0, 1_700.0, 2_100.0],
    ),
];

/// Server CPU-µs per request at 1 core busy ≈ 1e6 / peak, with overheads.
fn cpu_us(rps: f64, workers: f64) -> f64 {
    workers * 1e6 / rps * 0.95
}

pub fn build() -> Results {
    let mut b = Builder::new(3);
    b.histograms = true;
    for (name, lang, fw, _, _) in STACKS {
        b.stack(name, lang, fw);
    }
    b.stack("python-django", "python", "django + gunicorn")
        .status = StackStatus::Skipped {
        reason: "python3 module `django` is not installed (run `ringside setup python-django`)"
            .into(),
    };
    for (i, (name, _, _, idle, peak)) in STACKS.iter().enumerate() {
        let workers = if *name == "python-flask" { 2.0 } else { 1.0 };
        for (sc, rps) in PEAK {
            let rps = rps[i];
            let scale = if sc.needs_db() { 1.15 } else { 1.0 };
            let cpu = cpu_us(rps, workers);
            // Async servers gain from more connections; sync workers do not.
            let (at64, at256) = if workers > 1.0 {
                (rps, rps * 0.97)
            } else {
                (rps * 0.93, rps)
            };
            b.peak(
                name,
                sc,
                64,
                workers as u32,
                at64,
                0.04,
                cpu,
                idle * MB,
                peak * MB,
            );
            b.peak(
                name,
                sc,
                256,
                workers as u32,
                at256,
                0.04,
                cpu,
                idle * MB,
                (*peak as f64 * scale) as u64 * MB,
            );
            // The fixed rate: 1000 req/s where every stack can, else 100.
            let rate = if PEAK
                .iter()
                .find(|p| p.0 == sc)
                .unwrap()
                .1
                .iter()
                .all(|r| *r > 1500.0)
            {
                1000.0
            } else {
                100.0
            };
            let load = rate / rps;
            let p50 = 60.0 + 1e6 / rps * (1.0 + 4.0 * load);
            let p99 = p50 * (2.5 + 30.0 * load * load);
            b.fixed(
                name,
                sc,
                rate,
                rps.min(rate),
                p50,
                p99,
                cpu * 1.1,
                peak * MB,
            );
        }
        {
            for sc in [Json, Db] {
                let rps = PEAK.iter().find(|p| p.0 == sc).unwrap().1[i];
                b.capacity(name, sc, "rps", Some(rps * 0.78));
            }
        }
    }

    // io: 50 ms downstream wait; ideal throughput = connections / 0.05 s.
    let io: [(&str, u32, f64, u64, u64); 6] = [
        ("node-http", 1, 0.985, 120, 0),
        ("node-fastify", 1, 0.98, 140, 0),
        ("node-express", 1, 0.93, 190, 0),
        ("python-fastapi", 1, 0.64, 260, 0),
        ("python-flask", 2, 0.0, 110, 0),
        ("rust-axum", 1, 0.995, 20, 0),
    ];
    for (name, workers, eff, cpu, _) in io {
        let rss = STACKS.iter().find(|s| s.0 == name).unwrap().4 * MB;
        for conns in [64usize, 256, 512] {
            let (in_flight, errors) = if workers == 2 && eff == 0.0 {
                (2.0 * 0.99, if conns == 512 { 830 } else { 0 })
            } else {
                // Event loops saturate their core before the connections run out.
                let cap = conns as f64 * eff.powf((conns as f64 / 64.0).log2() / 3.0);
                (cap, 0)
            };
            let rps = in_flight / 0.0505;
            b.io(
                name, conns, workers, rps, in_flight, cpu as f64, rss, errors,
            );
        }
    }
    b.capacity("python-flask", Io, "rps", None);

    // workers: /json at 1 and 2 worker processes.
    for (name, one, two) in [
        ("node-http", 34_100.0, 61_500.0),
        ("node-fastify", 30_200.0, 55_100.0),
        ("node-express", 11_000.0, 20_600.0),
        ("python-fastapi", 8_200.0, 15_700.0),
        ("python-flask", 1_800.0, 3_500.0),
        ("rust-axum", 110_000.0, 114_000.0),
    ] {
        let rss = STACKS.iter().find(|s| s.0 == name).unwrap().4 * MB;
        b.workers(name, 1, one, 1e6 / one, rss);
        b.workers(name, 2, two, 2e6 / two, rss * 2);
    }

    // ws-chat: deliveries/s; Express and Flask do not offer it.
    for (name, d, p50, p99, cpu, cap) in [
        ("node-http", 162_000.0, 1_800.0, 14_000.0, 5.8, 3_200.0),
        ("node-fastify", 151_000.0, 2_000.0, 16_000.0, 6.3, 3_000.0),
        ("python-fastapi", 58_000.0, 5_500.0, 41_000.0, 16.5, 1_100.0),
        ("rust-axum", 410_000.0, 700.0, 5_000.0, 2.2, 8_000.0),
    ] {
        let rss = STACKS.iter().find(|s| s.0 == name).unwrap().4 * MB;
        b.ws(name, 1000, d, p50, p99, cpu, rss * 2);
        b.capacity(name, WsChat, "clients", Some(cap));
    }
    b.stack_mut("node-express").unsupported.insert(
        "ws-chat".into(),
        "the reference app has no WebSocket route".into(),
    );
    b.stack_mut("python-flask").unsupported.insert(
        "ws-chat".into(),
        "gunicorn sync workers cannot hold WebSocket connections".into(),
    );

    // idle: 10,000 keep-alive connections.
    for (name, bytes, open) in [
        ("node-http", 2_900.0, 10_000),
        ("node-fastify", 3_100.0, 10_000),
        ("node-express", 3_200.0, 10_000),
        ("python-fastapi", 6_400.0, 10_000),
        ("python-flask", 9_800.0, 1_024),
        ("rust-axum", 1_150.0, 10_000),
    ] {
        b.idle(name, IdleKind::Http, bytes, open);
    }

    for (name, ms, deps, bytes, lines, files) in [
        ("node-http", 82.0, 1, 3 * MB, 160, 2),
        ("node-fastify", 190.0, 52, 14 * MB, 150, 2),
        ("node-express", 140.0, 68, 9 * MB, 170, 2),
        ("python-fastapi", 640.0, 19, 38 * MB, 140, 2),
        ("python-flask", 410.0, 10, 46 * MB, 150, 2),
        ("rust-axum", 12.0, 112, 180 * MB, 210, 3),
    ] {
        b.startup(name, ms);
        b.stack_mut(name).footprint = Some(Footprint {
            dependencies: deps,
            install_bytes: bytes,
            source_lines: lines,
            source_files: files,
        });
    }
    for name in ["node-http", "node-fastify", "node-express"] {
        b.stack_mut(name).db_driver = Some("better-sqlite3 11.5.0".into());
    }
    for name in ["python-fastapi", "python-flask"] {
        b.stack_mut(name).db_driver = Some("sqlite3 (stdlib)".into());
    }
    b.stack_mut("rust-axum").db_driver = Some("rusqlite 0.37".into());

    // Flagged points.
    b.flag(
        "rust-axum",
        Plaintext,
        2,
        Flag::GeneratorSaturated { utilization: 0.97 },
        true,
    );
    b.flag(
        "node-express",
        Updates,
        3,
        Flag::ServerCrashed {
            stderr_tail: vec![
                "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
                    .into(),
            ],
        },
        false,
    );
    b.stack_mut("node-express").failures.push(FailureRecord {
        scenario: Some(Updates),
        trial: None,
        message: "server exited during trial 3 (signal 6); restarted for the next point".into(),
        stderr_tail: vec![
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
                .into(),
        ],
    });
    let mut r = b.finish();
    // The crashed trial lost most of its requests.
    for p in r
        .points
        .iter_mut()
        .filter(|p| p.stack == "node-express" && p.scenario == Updates && p.trial == 3)
    {
        if let Some(l) = p.load.as_mut() {
            l.throughput_rps *= 0.4;
        }
    }
    r
}

#[test]
#[ignore = "regenerates the checked-in fixture"]
fn regenerate_fixture() {
    let r = build();
    let text = serde_json::to_string_pretty(&r).unwrap();
    std::fs::write(FIXTURE, text + "\n").unwrap();
}

#[test]
fn fixture_reads_and_has_what_the_tests_rely_on() {
    let r = ringside::report::read_results(std::path::Path::new(FIXTURE)).unwrap();
    assert_eq!(r.settings.trials, 3);
    assert!(
        r.stacks
            .iter()
            .any(|s| matches!(s.status, StackStatus::Skipped { .. }))
    );
    assert!(r.points.iter().any(|p| !p.flags.is_empty()));
    assert!(
        r.points
            .iter()
            .any(|p| p.load.as_ref().is_some_and(|l| l.histogram_b64.is_some()))
    );
    for lang in ["javascript", "python", "rust"] {
        assert!(r.stacks.iter().any(|s| s.language == lang));
    }
}

#[test]
fn fixture_matches_the_results_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("schema/results.schema.json").unwrap())
            .unwrap();
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&fixture)
        .take(5)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
