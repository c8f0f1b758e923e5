//! Tests of the real `ringside load` binary: exit codes and messages for bad
//! input, a refused connection, the JSON report against its checked-in
//! schema, the percentile file, and the terminal summary.

mod load_support;

use std::time::{Duration, Instant};

use assert_cmd::Command;
use load_support::{Reply, spawn};
use predicates::prelude::*;

fn ringside() -> Command {
    let mut cmd = Command::cargo_bin("ringside").unwrap();
    cmd.env("RINGSIDE_MACHINE_LOCK", private_lock());
    cmd
}

fn load(args: &[&str]) -> assert_cmd::assert::Assert {
    ringside()
        .arg("load")
        .args(args)
        .timeout(Duration::from_secs(20))
        .assert()
}

#[test]
fn bad_input_exits_2_naming_flag_and_value() {
    let cases: &[(&[&str], &str)] = &[
        (&["::nope"], "URL `::nope` is not valid"),
        (&["ftp://127.0.0.1/"], "`ftp://127.0.0.1/` is not http://"),
        (&["http://192.0.2.1/"], "--allow-remote"),
        (&["http://127.0.0.1:1/", "--rate", "0"], "--rate `0`"),
        (&["http://127.0.0.1:1/", "--rate", "-3"], "--rate `-3`"),
        (&["http://127.0.0.1:1/", "--rate", "fast"], "--rate `fast`"),
        (
            &["http://127.0.0.1:1/", "--body-file", "/no/such/file"],
            "--body-file `/no/such/file`",
        ),
        (
            &["http://127.0.0.1:1/", "--urls-file", "/no/such/list"],
            "--urls-file `/no/such/list`",
        ),
        (&["http://127.0.0.1:1/", "-n", "0"], "--requests `0`"),
        (&[], "no target URL"),
    ];
    for (args, needle) in cases {
        load(args).code(2).stderr(predicate::str::contains(*needle));
    }
    // clap's own parse errors (a non-numeric count) also exit 2.
    load(&["http://127.0.0.1:1/", "-c", "many"]).code(2);
}

#[test]
fn refused_connection_fails_fast_with_a_clear_message() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let started = Instant::now();
    load(&[&format!("http://{addr}/"), "-d", "5s"])
        .code(1)
        .stderr(predicate::str::contains(format!(
            "nothing is listening on {addr} — is the server running?"
        )));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn json_report_validates_against_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/load-report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let server = spawn(|_, _| Reply::ok("Hello, World!"));
    let dir = tempfile::tempdir().unwrap();
    let pct = dir.path().join("pct.txt");
    let runs: [Vec<String>; 2] = [
        vec![
            server.url("/a"),
            "-n".into(),
            "200".into(),
            "-c".into(),
            "4".into(),
        ],
        vec![
            server.url("/a"),
            server.url("/b"),
            "--rate".into(),
            "300".into(),
            "-d".into(),
            "1s".into(),
            "--histogram".into(),
            "--percentiles".into(),
            pct.display().to_string(),
            "--expect-status".into(),
            "201".into(),
        ],
    ];
    for args in runs {
        let out = ringside()
            .arg("load")
            .args(&args)
            .arg("--json")
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        // Every check of the 201 run fails: no request succeeded, exit 1 (JSON still printed).
        let expected = if args.iter().any(|a| a == "201") {
            1
        } else {
            0
        };
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}\n{report:#}");
        assert_eq!(report["schema"], "ringside.load/1");
    }
    // The open-loop run expected 201 from a server answering 200: all checks failed.
    let text = std::fs::read_to_string(&pct).unwrap();
    assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)"));
    assert!(text.contains("#[Max     ="));
}

#[test]
fn check_failures_are_reported_and_warned() {
    let server = spawn(|_, _| Reply::ok("Hello"));
    let out = ringside()
        .args([
            "load",
            &server.url("/"),
            "-n",
            "50",
            "-c",
            "2",
            "--json",
            "--expect-body",
            "World",
        ])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "no request succeeded: exit 1");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"]["check"], 50);
    assert_eq!(report["requests"], 50);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: 50 of 50 requests failed (check 50)"),
        "{stderr}"
    );
}

#[test]
fn terminal_summary_is_printed_without_progress_noise() {
    let server = spawn(|_, _| Reply::ok("Hello, World!"));
    load(&[
        &server.url("/plaintext"),
        "-n",
        "100",
        "-c",
        "2",
        "-m",
        "post",
        "--body",
        "{}",
    ])
    .success()
    .stdout(predicate::str::contains("POST http://127.0.0.1:"))
    .stdout(predicate::str::contains("100 responses"))
    .stdout(predicate::str::contains("200 × 100"))
    .stdout(predicate::str::contains("p99.99"))
    .stderr(predicate::str::is_empty());
}

#[test]
fn urls_file_and_body_file_are_used() {
    let server = spawn(|_, _| Reply::ok("ok"));
    let dir = tempfile::tempdir().unwrap();
    let urls = dir.path().join("urls.txt");
    std::fs::write(
        &urls,
        format!(
            "# endpoints\n{}\n\n{}\n",
            server.url("/one"),
            server.url("/two")
        ),
    )
    .unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, r#"{"name":"ringside"}"#).unwrap();
    let out = ringside()
        .args(["load", "--urls-file"])
        .arg(&urls)
        .arg("--body-file")
        .arg(&body)
        .args([
            "-m",
            "PUT",
            "-n",
            "40",
            "-c",
            "2",
            "-H",
            "Content-Type: application/json",
            "--json",
        ])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["requests"], 40);
    let paths = server.paths.lock().unwrap().clone();
    assert_eq!(
        (paths.get("/one"), paths.get("/two")),
        (Some(&20), Some(&20))
    );
    // Each request carries the 19-byte body.
    assert!(report["bytes_out"].as_u64().unwrap() > 40 * 19);
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
