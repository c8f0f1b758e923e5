//! Helpers of the suite tests: a hand-built results file, the schema
//! validator, and running the real binary on the fixture stacks with a tag in
//! its environment so the stack processes it started can be found.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ringside::db::DbKind;
use ringside::load::report::{ErrorCounts, GeneratorUsage, LatencyStats, LoadReport, WsReport};
use ringside::results::*;
use ringside::scenario::Scenario;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root()
        .join("tests/fixtures/stacks")
        .join(name)
        .join("stack.toml")
}

/// Validates a results document against `schema/results.schema.json`.
pub fn schema_errors(doc: &serde_json::Value) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("schema/results.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

pub fn load(rps: f64, p50: u64, p99: u64, target: Option<f64>) -> LoadReport {
    LoadReport {
        schema: "ringside.load/1".into(),
        mode: if target.is_some() { "open" } else { "closed" }.into(),
        connections: 64,
        connections_open: None,
        duration_s: 2.0,
        requests: (rps * 2.0) as u64,
        throughput_rps: rps,
        target_rps: target,
        achieved_rps: target,
        late_sends: 0,
        unsent: 0,
        max_send_lag_us: 0,
        latency: LatencyStats {
            count: (rps * 2.0) as u64,
            min_us: p50 / 2,
            mean_us: p50 as f64 * 1.1,
            stdev_us: 100.0,
            max_us: p99 * 2,
            p50_us: p50,
            p90_us: (p50 + p99) / 2,
            p99_us: p99,
            p999_us: p99 + 10,
            p9999_us: p99 + 20,
        },
        latency_uncorrected: None,
        status_counts: BTreeMap::from([(200, (rps * 2.0) as u64)]),
        errors: ErrorCounts::default(),
        bytes_in: 1000,
        bytes_out: 1000,
        per_second: vec![rps as u64, rps as u64],
        per_100ms: Vec::new(),
        generator: GeneratorUsage {
            cpu_s: 0.5,
            threads: 1,
            utilization: 0.25,
            saturated: false,
        },
        warnings: Vec::new(),
        histogram_b64: Some("SElTVA==".into()),
        histogram_uncorrected_b64: None,
        run: None,
    }
}

fn point(
    stack: &str,
    sc: Scenario,
    kind: PointKind,
    trial: u32,
    l: LoadReport,
    cpu: f64,
    rss_mb: u64,
) -> Point {
    let io = matches!(kind, PointKind::Io { .. });
    Point {
        stack: stack.into(),
        scenario: sc,
        target: sc.default_path().unwrap().into(),
        kind,
        workers: 1,
        trial,
        slice: 1,
        at_s: 0.0,
        server: ServerUsage {
            cpu_us: (cpu * l.requests as f64) as u64,
            cpu_us_per_req: Some(cpu),
            cpu_source: "proc".into(),
            rss_idle_bytes: rss_mb << 20,
            rss_peak_bytes: (rss_mb + 5) << 20,
            concurrency_achieved: io.then(|| l.throughput_rps * l.latency.mean_us / 1e6),
            wall_us: (l.duration_s * 1e6) as u64,
            cores_used: Some(cpu * l.throughput_rps / 1e6),
            memory_kind: "pss".into(),
        },
        load: Some(l),
        ws: None,
        foreign_cpu: None,
        flags: Vec::new(),
        valid: true,
    }
}

fn stack(name: &str, language: &str, status: StackStatus) -> StackRecord {
    StackRecord {
        name: name.into(),
        base: None,
        variant: None,
        runtime: None,
        threads: None,
        worker_threads: false,
        language: language.into(),
        framework: format!("{name} framework"),
        runtime_version: Some("1.2.3".into()),
        packages: BTreeMap::from([("dep".into(), "1.0.0".into())]),
        db_driver: None,
        status,
        verify_failures: BTreeMap::new(),
        unsupported: BTreeMap::new(),
        startup_ms: vec![120.0, 130.0],
        rss_fresh_bytes: vec![28 << 20],
        footprint: Some(Footprint {
            dependencies: 3,
            install_bytes: 5 << 20,
            source_lines: 120,
            source_files: 2,
        }),
        idle: vec![IdleRecord {
            kind: IdleKind::Http,
            trial: 1,
            connections_requested: 2000,
            connections_open: 2000,
            rss_before_bytes: 30 << 20,
            rss_after_bytes: 34 << 20,
            rss_mid_bytes: None,
            connections_open_mid: None,
            bytes_per_connection: (4u64 << 20) as f64 / 2000.0,
        }],
        failures: Vec::new(),
    }
}

/// A deterministic results file: three stacks (Node, Python, Rust) measured on
/// json and io over two trials, a skipped stack, a crash and a workers pair.
pub fn sample_results() -> Results {
    let started = chrono::DateTime::parse_from_rfc3339("2026-11-23T05:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut points = Vec::new();
    let mut capacity = Vec::new();
    let figures = [
        ("node-http", 9000.0, 900.0, 40.0),
        ("python-flask", 2000.0, 1500.0, 160.0),
        ("rust-axum", 30000.0, 400.0, 12.0),
    ];
    for trial in 1..=2u32 {
        let jitter = if trial == 1 { 1.0 } else { 1.03 };
        for (name, rps, p50, cpu) in figures {
            points.push(point(
                name,
                Scenario::Json,
                PointKind::Peak { connections: 64 },
                trial,
                load(rps * jitter, p50 as u64 * 20, p50 as u64 * 60, None),
                cpu,
                40,
            ));
            points.push(point(
                name,
                Scenario::Json,
                PointKind::FixedRate { rps: 500.0 },
                trial,
                load(500.0, p50 as u64, p50 as u64 * 4, Some(500.0)),
                cpu * 1.2,
                40,
            ));
            points.push(point(
                name,
                Scenario::Io,
                PointKind::Io { connections: 256 },
                trial,
                load(rps / 10.0 * jitter, 50_000, 60_000, None),
                cpu * 3.0,
                45,
            ));
            capacity.push(CapacityRecord {
                stack: name.into(),
                scenario: Scenario::Json,
                workers: 1,
                trial,
                slo_ms: 100.0,
                unit: "rps".into(),
                capacity: Some(rps * 0.8),
                upper_bound: Some(rps * 1.2),
                limited_by: "slo".into(),
                steps: vec![
                    CapacityStep {
                        offered: rps * 0.8,
                        achieved: rps * 0.8,
                        p99_us: 20_000,
                        errors: 0,
                        passed: true,
                        failed_by: None,
                        generator_utilization: None,
                    },
                    CapacityStep {
                        offered: rps * 1.2,
                        achieved: rps,
                        p99_us: 300_000,
                        errors: 0,
                        passed: false,
                        failed_by: Some("slo".into()),
                        generator_utilization: None,
                    },
                ],
            });
        }
    }
    let mut crashed = point(
        "python-flask",
        Scenario::Json,
        PointKind::Peak { connections: 256 },
        1,
        load(100.0, 1000, 9000, None),
        100.0,
        40,
    );
    crashed.valid = false;
    crashed.flags = vec![
        Flag::Errors { count: 12 },
        Flag::ServerCrashed {
            stderr_tail: vec!["Killed".into()],
        },
    ];
    points.push(crashed);
    for (w, rps) in [(1, 2000.0), (2, 3800.0)] {
        let mut p = point(
            "python-flask",
            Scenario::Json,
            PointKind::Peak { connections: 64 },
            1,
            load(rps, 1000, 5000, None),
            150.0,
            40,
        );
        p.scenario = Scenario::Workers;
        p.workers = w;
        p.flags = if w > 1 {
            vec![Flag::SharedCores]
        } else {
            Vec::new()
        };
        points.push(p);
    }
    for (name, p50, lost) in [("node-http", 2_000u64, 0u64), ("python-flask", 9_000, 40)] {
        let ws = WsReport {
            schema: "ringside.ws/1".into(),
            clients: 100,
            rooms: 10,
            msg_rate_per_client: 1.0,
            duration_s: 2.0,
            connected: 100,
            connect_failed: 0,
            dropped: 0,
            sent: 200,
            expected_deliveries: 2000,
            delivered: 2000 - lost,
            lost,
            malformed: 0,
            late_sends: 0,
            target_msg_rps: 100.0,
            achieved_msg_rps: 100.0,
            delivered_per_s: (2000 - lost) as f64 / 2.0,
            latency: LatencyStats {
                count: 2000 - lost,
                p50_us: p50,
                p99_us: p50 * 5,
                ..LatencyStats::default()
            },
            generator: GeneratorUsage::default(),
            warnings: Vec::new(),
            histogram_b64: None,
            run: None,
        };
        points.push(Point {
            stack: name.into(),
            scenario: Scenario::WsChat,
            target: "/ws/chat".into(),
            kind: PointKind::Ws {
                clients: 100,
                rooms: 10,
                msg_rate_per_client: 1.0,
            },
            workers: 1,
            trial: 1,
            slice: 1,
            at_s: 0.0,
            load: None,
            server: ServerUsage {
                cpu_us: 50_000,
                cpu_us_per_req: Some(25.0),
                cpu_source: "cgroup".into(),
                rss_idle_bytes: 40 << 20,
                rss_peak_bytes: 48 << 20,
                concurrency_achieved: None,
                wall_us: 2_000_000,
                cores_used: Some(0.025),
                memory_kind: "pss".into(),
            },
            valid: lost == 0,
            foreign_cpu: None,
            flags: if lost > 0 {
                vec![Flag::Errors { count: lost }]
            } else {
                Vec::new()
            },
            ws: Some(ws),
        });
    }
    capacity.push(CapacityRecord {
        stack: "node-http".into(),
        scenario: Scenario::WsChat,
        workers: 1,
        trial: 1,
        slo_ms: 100.0,
        unit: "clients".into(),
        capacity: Some(1500.0),
        upper_bound: None,
        limited_by: "slo".into(),
        steps: vec![CapacityStep {
            offered: 1500.0,
            achieved: 1500.0,
            p99_us: 50_000,
            errors: 0,
            passed: true,
            failed_by: None,
            generator_utilization: None,
        }],
    });
    let mut flask = stack("python-flask", "python", StackStatus::Measured);
    flask.failures.push(FailureRecord {
        scenario: Some(Scenario::Json),
        trial: None,
        message: "server exited during json".into(),
        stderr_tail: vec!["Killed".into()],
    });
    flask
        .verify_failures
        .insert("fortunes".into(), "body: missing row 11".into());
    Results {
        schema: RESULTS_SCHEMA.into(),
        ringside_version: "0.1.0".into(),
        started_at: started,
        finished_at: Some(started + chrono::Duration::seconds(300)),
        command: vec!["ringside".into(), "run".into(), "--quick".into()],
        machine: Machine {
            hostname: "bench".into(),
            os: "Linux".into(),
            kernel: "6.1".into(),
            cpu_model: "AMD EPYC".into(),
            cores: 2,
            memory_bytes: 8 << 30,
        },
        settings: Settings {
            suite: "quick".into(),
            scenarios: vec![
                Scenario::Json,
                Scenario::Io,
                Scenario::Workers,
                Scenario::Startup,
            ],
            stacks: vec![
                "node-http".into(),
                "python-flask".into(),
                "rust-axum".into(),
                "python-django".into(),
            ],
            db: DbKind::Sqlite,
            trials: 2,
            duration_s: 2.0,
            warmup_s: 0.5,
            concurrency: vec![64],
            fixed_rates_rps: Vec::new(),
            slo_ms: 100.0,
            server_cpus: vec![0],
            generator_cpus: vec![1],
            workers_n: 2,
            io_connections: 256,
            idle_connections: 2000,
            fixed_rates_by_scenario: BTreeMap::from([("json".into(), vec![500.0])]),
            open_connections: 64,
            workers_scenarios: vec![Scenario::Json],
            capacity_max_steps: 3,
            capacity_step_s: 1.0,
            url: None,
            plan: PlanSettings::default(),
            extra: BTreeMap::new(),
        },
        stacks: vec![
            stack("node-http", "javascript", StackStatus::Measured),
            flask,
            stack("rust-axum", "rust", StackStatus::Measured),
            StackRecord {
                idle: Vec::new(),
                footprint: None,
                startup_ms: Vec::new(),
                ..stack(
                    "python-django",
                    "python",
                    StackStatus::Skipped {
                        reason: "runtime not present: python3.12".into(),
                    },
                )
            },
        ],
        points,
        capacity,
        rounds: vec![RoundRecord {
            number: 1,
            kind: RoundKind::All,
            stacks: vec![
                "node-http".into(),
                "python-flask".into(),
                "rust-axum".into(),
            ],
            scenarios: vec![
                Scenario::Json,
                Scenario::Io,
                Scenario::Workers,
                Scenario::Startup,
            ],
            workers_extra: Vec::new(),
            reason: Vec::new(),
            look: 0,
        }],
        warmups: vec![WarmupRecord {
            stack: "node-http".into(),
            scenario: Scenario::Json,
            workers: 1,
            trial: 1,
            first: true,
            chunk_s: 0.5,
            throughput: vec![6000.0, 8500.0, 8900.0, 9000.0, 8950.0, 9020.0],
            cpu_us_per_req: vec![60.0, 45.0, 41.0, 40.0, 40.0, 40.0],
            outcome: ringside::stats::Steadiness::Settled { chunks: 6 },
            took_s: 3.0,
        }],
        warnings: vec!["database postgres unavailable".into()],
    }
}

/// A unique tag put in the environment of the binary (stack processes inherit it).
pub fn tag() -> String {
    format!(
        "ringside-suite-test-{}-{}",
        std::process::id(),
        rand_suffix()
    )
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Pids of live processes whose environment holds `RINGSIDE_TEST_TAG=tag`.
pub fn tagged_processes(tag: &str) -> Vec<u32> {
    let needle = format!("RINGSIDE_TEST_TAG={tag}");
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        });
        if !zombie && env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()) {
            out.push(pid);
        }
    }
    out
}

/// Each of `pids` on a line of its own for a failing assertion: its command
/// line, its state, exit flag and parent from `/proc/PID/stat`, its pending signals
/// (`SigPnd`/`ShdPnd` of `/proc/PID/status`: bit 9, `0x100`, is SIGKILL) and
/// whether it is still there 200 ms later (described only after the check
/// failed: a process mid-SIGKILL is gone by then, an orphan is not).
pub fn describe_processes(pids: &[u32]) -> String {
    let describe = |pid: u32| -> String {
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .replace('\0', " ")
                    .trim()
                    .to_string()
            })
            .unwrap_or_else(|e| format!("<cmdline: {e}>"));
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, r)| r.split_whitespace().collect())
            .unwrap_or_default();
        let field = |i: usize| fields.get(i).copied().unwrap_or("?");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let line = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .map(|l| l[key.len()..].trim().to_string())
                .unwrap_or_else(|| "?".into())
        };
        // PF_EXITING (0x4) in the flags: the process is in its exit.
        let exiting = field(6).parse::<u64>().is_ok_and(|f| f & 0x4 != 0);
        format!(
            "pid {pid} state {} exiting {exiting} ppid {} pgrp {} threads {} SigPnd {} ShdPnd {} cmdline [{cmd}]",
            field(0),
            field(1),
            field(2),
            line("Threads:"),
            line("SigPnd:"),
            line("ShdPnd:"),
        )
    };
    let now: Vec<String> = pids.iter().map(|&p| describe(p)).collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let later: Vec<String> = pids
        .iter()
        .map(|&p| {
            if alive(p as i32) {
                format!("pid {p} still alive 200 ms later: {}", describe(p))
            } else {
                format!("pid {p} gone (or a zombie) 200 ms later")
            }
        })
        .collect();
    format!("\n  {}\n  {}", now.join("\n  "), later.join("\n  "))
}

/// True while `pid` runs (not a zombie).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'))
    })
}

/// `ringside run` on the fixture stacks only (no built-ins), tagged.
pub fn run_cmd(out: &Path, tag: &str, extra: &[&str]) -> std::process::Command {
    let empty = out.parent().unwrap().join("no-builtin-stacks");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ringside"));
    cmd.env("RINGSIDE_STACKS_DIR", &empty)
        .env("RINGSIDE_MACHINE_LOCK", private_lock())
        .env("RINGSIDE_TEST_TAG", tag)
        .arg("run")
        .arg("--plain")
        .args(extra);
    cmd
}

pub fn read_results(dir: &Path) -> (serde_json::Value, Results) {
    let text = std::fs::read_to_string(dir.join("results.json")).expect("results.json exists");
    let v: serde_json::Value = serde_json::from_str(&text).expect("results.json is JSON");
    let r: Results = serde_json::from_value(v.clone()).expect("results.json is a Results");
    (v, r)
}

/// A machine-lock file of this spawn's own: tests run in parallel and must
/// not wait for each other (the lock's own tests share one on purpose).
fn private_lock() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = std::env::temp_dir().join("ringside-test-locks");
    let _ = std::fs::create_dir_all(&dir);
    dir.join(format!(
        "{}-{}.lock",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ))
}
