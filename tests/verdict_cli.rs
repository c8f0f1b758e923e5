//! `ringside report`, `recommend` and `compare` as a user runs them: terminal
//! outputs pinned by snapshots, bad input exits 2 naming the file.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

const FIXTURE: &str = "tests/fixtures/results/full.json";

fn ringside() -> Command {
    Command::cargo_bin("ringside").unwrap()
}

fn stdout(args: &[&str]) -> String {
    let out = ringside().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn recommend_builtin_profiles() {
    for profile in ["chat", "crud", "numeric", "gateway"] {
        let text = stdout(&["recommend", FIXTURE, "--profile", profile]);
        insta::assert_snapshot!(format!("recommend_{profile}"), text);
    }
}

#[test]
fn recommend_with_a_profile_file_labels_stated_weights() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.toml");
    std::fs::write(
        &file,
        r#"
name = "team-api"
description = "our JSON API; the team writes Python"
main_scenario = "json"
[weights]
json = 0.4
latency = 0.3
cpu_cost = 0.3
[constraints]
slo_ms = 20
peak_rps = 20000
price_per_core_hour = 0.05
headroom = 0.4
[[stated]]
factor = "the team knows Python"
weight = 0.3
favours = "python"
[[stated]]
factor = "ML libraries in process"
weight = 0.2
favours = "python"
"#,
    )
    .unwrap();
    let text = stdout(&[
        "recommend",
        FIXTURE,
        "--profile-file",
        file.to_str().unwrap(),
    ]);
    assert!(text.contains("Stated (not measured, your weights):"));
    assert!(text.contains("0.30  the team knows Python → favours python"));
    let text = text.replace(file.to_str().unwrap(), "team.toml");
    insta::assert_snapshot!("recommend_profile_file", text);
}

#[test]
fn recommend_bad_profile_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "name = \"x\"\ndescription = \"\"\nmain_scenario = \"json\"\n[weights]\nspeed = 1\n[constraints]\npeak_rps = 1\nprice_per_core_hour = 1\n").unwrap();
    ringside()
        .args([
            "recommend",
            FIXTURE,
            "--profile-file",
            file.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml").and(predicate::str::contains("speed")));
    ringside()
        .args(["recommend", FIXTURE, "--profile", "blog"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown profile `blog`"));
}

#[test]
fn recommend_defaults_to_the_newest_results() {
    let dir = tempfile::tempdir().unwrap();
    for (run, delay) in [("old", false), ("new", true)] {
        let d = dir.path().join("ringside-results").join(run);
        std::fs::create_dir_all(&d).unwrap();
        if delay {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let mut r = ringside::report::read_results(std::path::Path::new(FIXTURE)).unwrap();
        r.machine.hostname = format!("{run}-box");
        std::fs::write(d.join("results.json"), serde_json::to_string(&r).unwrap()).unwrap();
    }
    let bin = assert_cmd::cargo::cargo_bin("ringside");
    let out = std::process::Command::new(bin)
        .args(["recommend", "--profile", "crud"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("measured on new-box"));
    let empty = tempfile::tempdir().unwrap();
    std::process::Command::new(assert_cmd::cargo::cargo_bin("ringside"))
        .args(["recommend"])
        .current_dir(empty.path())
        .output()
        .map(|o| assert_eq!(o.status.code(), Some(2)))
        .unwrap();
}

/// The fixture, changed the way a second run might differ.
fn after_fixture(dir: &std::path::Path) -> String {
    let mut r = ringside::report::read_results(std::path::Path::new(FIXTURE)).unwrap();
    r.stacks
        .retain(|s| s.name != "python-flask" && s.name != "node-express");
    r.points
        .retain(|p| p.stack != "python-flask" && p.stack != "node-express");
    r.capacity
        .retain(|c| c.stack != "python-flask" && c.stack != "node-express");
    for p in &mut r.points {
        if let Some(l) = p.load.as_mut() {
            let f = match (p.stack.as_str(), p.scenario) {
                // A real speed-up beyond the spread, and a small change inside it.
                ("python-fastapi", ringside::scenario::Scenario::Json) => 1.25,
                ("node-http", ringside::scenario::Scenario::Json) => 1.01,
                ("rust-axum", _) => 0.8,
                _ => 1.0,
            };
            // Throughput is completed requests over the window.
            l.throughput_rps *= f;
            l.requests = (l.requests as f64 * f) as u64;
        }
    }
    let path = dir.join("after.json");
    std::fs::write(&path, serde_json::to_string(&r).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn compare_terminal_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let after = after_fixture(dir.path());
    let text = stdout(&["compare", FIXTURE, &after]);
    assert!(
        text.contains("tie")
            && text.contains("better")
            && text.contains("worse")
            && text.contains("gone"),
        "{text}"
    );
    insta::assert_snapshot!("compare_terminal", text);
    let md = stdout(&["compare", FIXTURE, &after, "--markdown"]);
    assert!(md.starts_with("| stack"));
    insta::assert_snapshot!("compare_markdown", md);
}

#[test]
fn report_writes_beside_the_results_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("results.json");
    std::fs::copy(FIXTURE, &copy).unwrap();
    ringside()
        .args(["report", copy.to_str().unwrap()])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("report.html").and(predicate::str::contains("summary.md")),
        );
    assert!(dir.path().join("report.html").is_file());
    let out = dir.path().join("out");
    ringside()
        .args([
            "report",
            copy.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert!(out.join("summary.md").is_file());
}

#[test]
fn bad_results_files_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let not_json = dir.path().join("notjson.json");
    std::fs::write(&not_json, "hello").unwrap();
    let wrong_schema = dir.path().join("load.json");
    std::fs::write(&wrong_schema, r#"{"schema": "ringside.load/1"}"#).unwrap();
    let no_schema = dir.path().join("other.json");
    std::fs::write(&no_schema, r#"{"a": 1}"#).unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"schema": "ringside.results/2", "stacks": 3}"#).unwrap();
    for (file, what) in [
        (&missing, "cannot read results file"),
        (&not_json, "is not JSON"),
        (&wrong_schema, "has schema `ringside.load/1`"),
        (&no_schema, "is not a ringside results file"),
        (&broken, "does not match ringside.results/2"),
    ] {
        let f = file.to_str().unwrap();
        for args in [
            vec!["report", f],
            vec!["recommend", f],
            vec!["compare", FIXTURE, f],
        ] {
            ringside()
                .args(&args)
                .assert()
                .code(2)
                .stderr(predicate::str::contains(f).and(predicate::str::contains(what)));
        }
    }
}

/// The terminal tables, summary.md and report.html read one reduction of the
/// results: the same cell prints the same figure in all three.
#[test]
fn terminal_markdown_and_html_print_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("results.json");
    std::fs::copy(FIXTURE, &copy).unwrap();
    let terminal = stdout(&["report", copy.to_str().unwrap(), "--print"]);
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let r = ringside::report::read_results(std::path::Path::new(FIXTURE)).unwrap();
    let fig = ringside::verdict::figures::Figures::from_results(&r);
    let cell = fig
        .scenario(ringside::scenario::Scenario::Json)
        .iter()
        .find(|f| f.stack == "node-http")
        .unwrap();
    let rps = ringside::verdict::format::fmt_int(cell.throughput_rps.unwrap().median);
    for (name, text) in [("terminal", &terminal), ("markdown", &md), ("html", &html)] {
        assert!(
            text.contains(&rps),
            "{name} lacks node-http json {rps} req/s"
        );
    }
    // Each claim's verdict is the same word everywhere.
    for c in ringside::verdict::claims::ledger(&fig) {
        let word = c.verdict.label();
        for (name, text) in [("terminal", &terminal), ("markdown", &md), ("html", &html)] {
            // A line of the terminal and Markdown ledgers, a row of the HTML one.
            let mut rows: Box<dyn Iterator<Item = &str>> = if name == "html" {
                Box::new(text.split("<tr"))
            } else {
                Box::new(text.lines())
            };
            assert!(
                rows.any(|l| l.contains(&format!("{}<", c.id)) && l.contains(word)
                    || l.contains(&format!("{} ", c.id)) && l.contains(word)),
                "{name}: {} is not `{word}`",
                c.id
            );
        }
    }
}

#[test]
fn compare_of_a_run_with_itself_reports_no_change_and_exits_0() {
    let out = ringside()
        .args(["compare", FIXTURE, FIXTURE, "--fail-on-regression", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let summary = text
        .lines()
        .find(|l| l.contains("figures compared;"))
        .unwrap_or_else(|| panic!("{text}"));
    let n: Vec<&str> = summary.split_whitespace().collect();
    assert_eq!(n[0], n[3], "every figure a tie: {summary}");
    assert!(text.contains("no figure got worse"), "{text}");
}

#[test]
fn fail_on_regression_exits_1_naming_the_slowed_stack() {
    let dir = tempfile::tempdir().unwrap();
    let after = after_fixture(dir.path());
    let out = ringside()
        .args(["compare", FIXTURE, &after, "--fail-on-regression", "10"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let tail: String = text.lines().rev().take(12).collect::<Vec<_>>().join("\n");
    assert!(tail.contains("rust-axum"), "{tail}");
    // A threshold above the change: exit 0.
    let out = ringside()
        .args(["compare", FIXTURE, &after, "--fail-on-regression", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// A profile whose main scenario was not measured ranks nothing and says
/// what to run.
#[test]
fn recommend_without_the_profiles_main_scenario_ranks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = ringside::report::read_results(std::path::Path::new(FIXTURE)).unwrap();
    r.points
        .retain(|p| p.scenario != ringside::scenario::Scenario::WsChat);
    r.capacity
        .retain(|c| c.scenario != ringside::scenario::Scenario::WsChat);
    let path = dir.path().join("no-ws.json");
    std::fs::write(&path, serde_json::to_string(&r).unwrap()).unwrap();
    let text = stdout(&["recommend", path.to_str().unwrap(), "--profile", "chat"]);
    assert!(text.contains("nothing is ranked"), "{text}");
    assert!(text.contains("ringside run --scenarios ws-chat"), "{text}");
}
