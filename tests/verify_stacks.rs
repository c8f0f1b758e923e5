//! `ringside verify` on stacks it launches itself: the broken fixture stack
//! against a freshly seeded SQLite database (so `/updates` persistence is
//! checked), built-in stack selection from `RINGSIDE_STACKS_DIR`, unknown
//! names, and stacks that fail to start.

mod verify_support;

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks")
}

/// `ringside` run in a scratch folder (its `.ringside/work` lands there).
fn ringside(scratch: &tempfile::TempDir) -> Command {
    let mut cmd = Command::cargo_bin("ringside").unwrap();
    cmd.current_dir(scratch.path())
        .env("RINGSIDE_MACHINE_LOCK", private_lock())
        .env("RINGSIDE_STACKS_DIR", fixtures())
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

#[test]
fn the_broken_stack_fails_and_updates_are_not_persisted() {
    let scratch = tempfile::tempdir().unwrap();
    let manifest = fixtures().join("broken/stack.toml");
    let out = ringside(&scratch)
        .args(["verify", "--json", "--stack"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    verify_support::assert_valid_verify_json(&doc);
    assert_eq!(doc["db"], "sqlite");
    assert_eq!(doc["passed"], false);
    let stack = &doc["stacks"][0];
    assert_eq!(stack["stack"], "broken");
    assert_eq!(stack["status"], "verified");
    let failed: Vec<String> = stack["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| {
            format!(
                "{}: {}",
                c["check"].as_str().unwrap(),
                c["detail"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        failed.iter().any(|f| f.starts_with("/updates?q=20 persisted")
            && f.contains("in the database, got")),
        "{failed:#?}"
    );
    assert!(
        failed.iter().any(|f| f.starts_with("/json content-type")),
        "{failed:#?}"
    );
    // /db reads the seeded table correctly: its row matches the database.
    assert!(
        stack["report"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| { c["check"] == "/db row matches the world table" && c["passed"] == true })
    );
    assert!(
        std::fs::read_dir(scratch.path().join(".ringside/work"))
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "the work folder is removed at the end"
    );
}

#[test]
fn an_unknown_stack_is_bad_input_listing_known_ones() {
    let scratch = tempfile::tempdir().unwrap();
    ringside(&scratch)
        .args(["verify", "no-such-stack"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown stack `no-such-stack`"))
        .stderr(predicate::str::contains("broken"));
}

#[test]
fn a_stack_that_fails_to_start_is_reported_with_its_stderr() {
    let scratch = tempfile::tempdir().unwrap();
    ringside(&scratch)
        .args(["verify", "py-basic", "crash"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_match(r"py-basic\s+┆ verified\s+┆ pass\s+┆ pass").unwrap())
        .stdout(predicate::str::contains("crash (start failed)"))
        .stdout(predicate::str::contains("boom: config.yaml not found"));
}

#[test]
fn a_conforming_stack_exits_zero() {
    let scratch = tempfile::tempdir().unwrap();
    ringside(&scratch)
        .args(["verify", "py-basic"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 of 1 stack conforms."));
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
