//! The `ringside verify` binary: exit codes (0 conform, 1 a check failed,
//! 2 bad input), the table and the reasons, `--json`.

mod verify_support;

use assert_cmd::Command;
use predicates::prelude::*;

fn ringside() -> Command {
    let mut cmd = Command::cargo_bin("ringside").unwrap();
    cmd.timeout(std::time::Duration::from_secs(60))
        .env("RINGSIDE_MACHINE_LOCK", private_lock());
    cmd
}

/// Runs `f` while a conforming in-process server serves on its own runtime.
fn with_conforming_server(f: impl FnOnce(&str)) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(verify_support::serve(verify_support::Quirk::None));
    f(&server.url);
    drop(server);
}

#[test]
fn a_conforming_url_exits_zero() {
    with_conforming_server(|url| {
        ringside()
            .args([
                "verify",
                "--url",
                url,
                "--scenarios",
                "plaintext,json,cpu,ws-chat",
            ])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("pass"))
            .stdout(predicate::str::contains("FAIL").not())
            .stdout(predicate::str::contains("1 of 1 stack conforms."));
    });
}

#[test]
fn json_output_lists_every_check() {
    with_conforming_server(|url| {
        let out = ringside()
            .args(["verify", "--url", url, "--scenarios", "json", "--json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        verify_support::assert_valid_verify_json(&doc);
        assert_eq!(doc["passed"], true);
        let stack = &doc["stacks"][0];
        assert_eq!(stack["status"], "verified");
        assert_eq!(stack["scenarios"], serde_json::json!(["json"]));
        let checks = stack["report"]["checks"].as_array().unwrap();
        assert!(
            checks
                .iter()
                .all(|c| c["passed"] == true && c["scenario"] == "json")
        );
    });
}

#[test]
fn the_broken_stack_exits_one_with_reasons() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(verify_support::broken::start(&[]));
    ringside()
        .args([
            "verify",
            "--url",
            &server.url,
            "--scenarios",
            "plaintext,json,cpu",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL"))
        .stdout(predicate::str::contains(
            "json — /json content-type: expected Content-Type application/json, got \"text/plain\"",
        ))
        .stdout(predicate::str::contains(
            r#"cpu — /cpu?n=10 body: expected {"n":10,"primes":4}, got {"n":10,"primes":5}"#,
        ));
}

#[test]
fn a_remote_url_is_bad_input() {
    ringside()
        .args(["verify", "--url", "http://192.0.2.7:8080"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--allow-remote"));
}

#[test]
fn a_bad_url_or_scenario_is_bad_input() {
    ringside()
        .args(["verify", "--url", "127.0.0.1:8080/x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--url"));
    ringside()
        .args([
            "verify",
            "--url",
            "http://127.0.0.1:9",
            "--scenarios",
            "jsn",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown scenario `jsn`"));
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
