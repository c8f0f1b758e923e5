//! The real binary: `ringside stacks` and `ringside setup` over fixture stacks.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks")
}

fn ringside() -> Command {
    let mut cmd = Command::cargo_bin("ringside").unwrap();
    cmd.env("RINGSIDE_STACKS_DIR", fixtures());
    cmd
}

fn user_stack(dir: &Path, name: &str, install: &str) -> PathBuf {
    let path = dir.join("stack.toml");
    std::fs::write(
        &path,
        format!(
            r#"name = "{name}"
language = "other"
framework = "none"
scenarios = ["plaintext"]
[install]
commands = [["sh", "-c", "{install}"]]
[start]
command = ["true", "{{port}}"]
"#
        ),
    )
    .unwrap();
    path
}

#[test]
fn stacks_json_lists_fixtures_with_runtime() {
    let out = ringside().args(["stacks", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let basic = v
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "py-basic")
        .unwrap();
    assert_eq!(basic["runtime"]["status"], "present");
    assert_eq!(basic["installed"], true);
    assert_eq!(basic["scenarios"], serde_json::json!(["plaintext", "json"]));
}

#[test]
fn stacks_table_shows_a_missing_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stack.toml");
    std::fs::write(
        &path,
        "name = \"ghost\"\nlanguage = \"other\"\nframework = \"x\"\nscenarios = [\"json\"]\n\
         [runtime]\ncommand = [\"no-such-runtime-xyz\", \"--version\"]\n\
         [start]\ncommand = [\"x\", \"{port}\"]\n",
    )
    .unwrap();
    ringside()
        .args(["stacks", "--stack"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("ghost"))
        .stdout(predicate::str::contains(
            "missing: `no-such-runtime-xyz` not found on PATH",
        ));
}

#[test]
fn setup_unknown_stack_exits_2_listing_known() {
    ringside()
        .args(["setup", "py-basik"])
        .assert()
        .code(2)
        // The fixture folder grows (verify's tests added `broken`): only
        // the shape of the message and the near-miss name are pinned.
        .stderr(predicate::str::contains(
            "unknown stack `py-basik` (known: ",
        ))
        .stderr(predicate::str::is_match(r"known: [^)]*\bpy-basic\b").unwrap());
}

#[test]
fn setup_goes_on_after_a_failure_and_exits_1() {
    let bad = tempfile::tempdir().unwrap();
    let good = tempfile::tempdir().unwrap();
    let bad_toml = user_stack(bad.path(), "bad-one", "echo kaputt >&2; exit 9");
    let good_toml = user_stack(good.path(), "good-one", "true");
    ringside()
        .args(["setup", "--quiet", "--stack"])
        .arg(&bad_toml)
        .arg("--stack")
        .arg(&good_toml)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("bad-one: FAILED"))
        .stdout(predicate::str::contains("good-one: installed"))
        .stderr(predicate::str::contains("kaputt"));
    assert!(good.path().join(".ringside-installed").exists());
    ringside()
        .args(["setup", "--quiet", "--stack"])
        .arg(&good_toml)
        .assert()
        .success()
        .stdout(predicate::str::contains("good-one: up to date"));
}

#[test]
fn bad_manifest_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stack.toml");
    std::fs::write(
        &path,
        "name = \"x\"\nlanguage = \"cobol\"\nframework = \"x\"\nscenarios = []\n[start]\ncommand = [\"x\"]\n",
    )
    .unwrap();
    ringside()
        .args(["stacks", "--stack"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "key 'language': unknown language 'cobol'",
        ));
}
