//! `ringside run` end to end on the fixture stacks (python stdlib and
//! node:http, no install): a tiny suite, a crash mid-scenario, bad input.

mod suite_support;

use std::process::Stdio;

use ringside::results::{Flag, PointKind, StackStatus};
use ringside::scenario::Scenario;
use suite_support::*;

/// One trial (one round): quick, and every count below is per trial.
const TINY: &[&str] = &[
    "--trials",
    "1",
    "--duration",
    "1s",
    "--warmup",
    "200ms",
    "--concurrency",
    "8",
    "--rates",
    "50",
    "--capacity-steps",
    "2",
];

#[test]
fn tiny_suite_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let tag = tag();
    let py = fixture("suite-py");
    let node = fixture("suite-node");
    let output = run_cmd(&out, &tag, TINY)
        .args([
            "--stack",
            py.to_str().unwrap(),
            "--stack",
            node.to_str().unwrap(),
        ])
        .args([
            "--scenarios",
            "plaintext,json,startup",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );

    let (doc, r) = read_results(&out);
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
    assert!(r.finished_at.is_some());
    assert_eq!(r.settings.stacks, vec!["suite-py", "suite-node"]);
    for stack in ["suite-py", "suite-node"] {
        let rec = r.stacks.iter().find(|s| s.name == stack).unwrap();
        assert_eq!(rec.status, StackStatus::Measured, "{stack}: {rec:?}");
        assert!(rec.runtime_version.is_some());
        assert_eq!(rec.startup_ms.len(), 1);
        for sc in [Scenario::Plaintext, Scenario::Json] {
            let pts: Vec<_> = r
                .points
                .iter()
                .filter(|p| p.stack == stack && p.scenario == sc)
                .collect();
            assert!(
                pts.iter()
                    .any(|p| p.kind == PointKind::Peak { connections: 8 }),
                "{stack} {sc}: {pts:?}"
            );
            assert!(
                pts.iter()
                    .any(|p| p.kind == PointKind::FixedRate { rps: 50.0 })
            );
            for p in &pts {
                let load = p.load.as_ref().expect("a load report");
                assert!(load.requests > 0);
                // Raw histograms are kept where latency is judged: at the fixed rate.
                assert_eq!(
                    load.histogram_b64.is_some(),
                    matches!(p.kind, PointKind::FixedRate { .. }),
                    "{:?}",
                    p.kind
                );
                assert!(p.server.cpu_us > 0, "server CPU sampled: {:?}", p.server);
                assert!(
                    p.server.rss_peak_bytes >= p.server.rss_idle_bytes
                        && p.server.rss_idle_bytes > 0
                );
            }
            let caps: Vec<_> = r
                .capacity
                .iter()
                .filter(|c| c.stack == stack && c.scenario == sc)
                .collect();
            // A capacity search where the plan asks for one (ws-chat by
            // default; json's latency is judged at its fixed rate).
            let searched = r.settings.plan.capacity_scenarios.contains(&sc);
            assert_eq!(caps.len(), usize::from(searched), "{:?}", r.settings.plan);
            assert!(
                caps.iter()
                    .all(|c| !c.steps.is_empty() && c.steps.len() <= 2)
            );
        }
    }
    // Scenarios the fixtures do not implement are not measured; harness-only
    // ones asked for are recorded per stack.
    assert!(
        stdout.contains("plaintext") && stdout.contains("suite-node"),
        "{stdout}"
    );
    let left = tagged_processes(&tag);
    assert!(
        left.is_empty(),
        "no stack process survives the run: {}",
        describe_processes(&left)
    );
}

#[test]
fn crash_mid_scenario_is_recorded_and_the_next_scenario_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let tag = tag();
    let crashy = fixture("suite-crashy");
    let output = run_cmd(&out, &tag, TINY)
        .args([
            "--stack",
            crashy.to_str().unwrap(),
            "--scenarios",
            "plaintext,json",
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--concurrency", "16"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (doc, r) = read_results(&out);
    assert!(schema_errors(&doc).is_empty());
    let rec = &r.stacks[0];
    assert!(
        rec.failures
            .iter()
            .any(|f| f.scenario == Some(Scenario::Plaintext)
                && f.stderr_tail
                    .iter()
                    .any(|l| l.contains("crashing on purpose"))),
        "failure recorded with the server's last words: {:?}",
        rec.failures
    );
    assert!(r.points.iter().any(|p| {
        p.scenario == Scenario::Plaintext
            && !p.valid
            && p.flags
                .iter()
                .any(|f| matches!(f, Flag::ServerCrashed { .. }))
    }));
    let json: Vec<_> = r
        .points
        .iter()
        .filter(|p| p.scenario == Scenario::Json)
        .collect();
    assert!(
        !json.is_empty() && json.iter().all(|p| p.valid),
        "json measured after a restart: {json:?}"
    );
    let left = tagged_processes(&tag);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        left.is_empty(),
        "no stack process survives the run: {}\nringside's stderr:\n{stderr}",
        describe_processes(&left),
    );
}

#[test]
fn unknown_names_exit_2_naming_the_valid_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let py = fixture("suite-py");
    let o = run_cmd(
        &out,
        "x",
        &["--scenarios", "jsonn", "--out", out.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("jsonn") && err.contains("plaintext"), "{err}");

    let o = run_cmd(
        &out,
        "x",
        &[
            "--stack",
            py.to_str().unwrap(),
            "--stacks",
            "nope",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("nope") && err.contains("suite-py"), "{err}");
}

#[test]
fn unwritable_out_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = file.join("results");
    let py = fixture("suite-py");
    let o = run_cmd(
        &tmp.path().join("x"),
        "x",
        &[
            "--stack",
            py.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--out") && err.contains("cannot write"),
        "{err}"
    );
}

#[test]
fn ws_chat_and_idle_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let tag = tag();
    let node = fixture("suite-node");
    let o = run_cmd(
        &out,
        &tag,
        &[
            "--trials",
            "1",
            "--duration",
            "1s",
            "--capacity-steps",
            "2",
            "--idle-connections",
            "200",
        ],
    )
    .args([
        "--stack",
        node.to_str().unwrap(),
        "--scenarios",
        "ws-chat,idle",
        "--out",
        out.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (doc, r) = read_results(&out);
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    let ws: Vec<_> = r
        .points
        .iter()
        .filter(|p| p.scenario == Scenario::WsChat)
        .collect();
    assert_eq!(ws.len(), 1);
    let w = ws[0].ws.as_ref().expect("a ws report");
    assert!(w.delivered > 0 && ws[0].load.is_none());
    assert!(
        matches!(
            ws[0].kind,
            PointKind::Ws {
                clients: 200,
                rooms: 10,
                ..
            }
        ),
        "{:?}",
        ws[0].kind
    );
    assert!(ws[0].server.cpu_us_per_req.is_some(), "CPU per delivery");
    let cap = r
        .capacity
        .iter()
        .find(|c| c.scenario == Scenario::WsChat)
        .expect("capacity in clients");
    assert_eq!(cap.unit, "clients");
    let rec = &r.stacks[0];
    for kind in [
        ringside::results::IdleKind::Http,
        ringside::results::IdleKind::Ws,
    ] {
        let idle = rec
            .idle
            .iter()
            .find(|i| i.kind == kind)
            .unwrap_or_else(|| panic!("{kind:?} idle: {:?}", rec.idle));
        assert!(idle.connections_open > 100, "{idle:?}");
        assert!(idle.rss_after_bytes > 0);
        // Two halves: the cost is what the second one added.
        assert!(
            idle.connections_open_mid
                .is_some_and(|n| n > 50 && n < idle.connections_open),
            "{idle:?}"
        );
        assert!(idle.rss_mid_bytes.is_some_and(|m| m > 0), "{idle:?}");
    }
    assert_eq!(r.settings.extra["ws_clients"], 200);
    assert!(tagged_processes(&tag).is_empty());
}

/// A later trial's capacity search starts from the earlier trials' bracket
/// (its first step is their lowest pass) and takes one step fewer; the
/// first search one more (`--capacity-steps 3`: 4, then 2).
#[test]
fn a_later_trials_capacity_search_starts_from_the_earlier_bracket() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let tag = tag();
    let node = fixture("suite-node");
    let o = run_cmd(
        &out,
        &tag,
        &["--trials", "2", "--duration", "1s", "--capacity-steps", "3"],
    )
    .args([
        "--stack",
        node.to_str().unwrap(),
        "--scenarios",
        "ws-chat",
        "--out",
        out.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (doc, r) = read_results(&out);
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    let mut caps: Vec<_> = r
        .capacity
        .iter()
        .filter(|c| c.scenario == Scenario::WsChat)
        .collect();
    caps.sort_by_key(|c| c.trial);
    assert_eq!(caps.len(), 2, "{caps:#?}");
    let first_pass = caps[0]
        .capacity
        .expect("the fixture carries its first steps");
    assert!(caps[0].steps.len() <= 4, "{:#?}", caps[0]);
    assert!(caps[1].steps.len() <= 2, "{:#?}", caps[1]);
    assert_eq!(caps[1].steps[0].offered, first_pass, "{:#?}", caps[1]);
    assert!(
        caps.iter()
            .flat_map(|c| &c.steps)
            .all(|s| s.generator_utilization.is_some_and(|u| u >= 0.0)),
        "the generator's share is recorded on every step"
    );
    // The terminal names the plan first and each search as it ends.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.starts_with("ringside run (custom suite, 2 round(s) of trials), about "),
        "{stderr}"
    );
    for c in &caps {
        let steps: Vec<String> = c
            .steps
            .iter()
            .map(|s| format!("{} {}", s.offered, s.failed_by.as_deref().unwrap_or("ok")))
            .collect();
        let line = format!(
            "{} ws-chat (w=1) trial {}: capacity at p99 < {} ms: {} clients (stopped by {}; steps {})",
            c.stack,
            c.trial,
            c.slo_ms,
            c.capacity.unwrap(),
            c.limited_by,
            steps.join(", ")
        );
        assert!(stderr.contains(&line), "{line}\n{stderr}");
    }
    assert!(tagged_processes(&tag).is_empty());
}

/// Regression: `--scenarios workers` alone measured nothing, because the
/// endpoints it scales (json, cpu) were only verified when selected too.
#[test]
fn workers_alone_measures_its_endpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let py = fixture("suite-py");
    let output = run_cmd(&out, &tag(), TINY)
        .args(["--stack", py.to_str().unwrap()])
        .args(["--scenarios", "workers", "--out", out.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (_, r) = read_results(&out);
    // The cores a server uses show under CPU-bound load: workers scales /cpu,
    // one process and N, each with its cores used.
    let scaled: Vec<(&str, u32, Option<f64>)> = r
        .points
        .iter()
        .filter(|p| p.scenario == Scenario::Workers && p.valid)
        .map(|p| (p.target.as_str(), p.workers, p.server.cores_used))
        .collect();
    assert!(scaled.iter().all(|t| t.0.starts_with("/cpu")), "{scaled:?}");
    assert!(scaled.iter().any(|t| t.1 == 1), "{scaled:?}");
    assert!(scaled.iter().any(|t| t.1 > 1), "{scaled:?}");
    assert!(
        scaled.iter().all(|t| t.2.is_some_and(|c| c > 0.0)),
        "{scaled:?}"
    );
}
