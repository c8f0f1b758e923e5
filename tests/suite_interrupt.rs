//! Ctrl-C: SIGINT the real binary after its first measured point; no stack
//! process survives, results.json is valid, and `--resume` completes the run
//! without measuring again what was already there.

mod suite_support;

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use ringside::scenario::Scenario;
use suite_support::*;

#[test]
fn sigint_then_resume_completes_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let tag = tag();
    let py = fixture("suite-py");
    let node = fixture("suite-node");
    let args = [
        "--stack",
        py.to_str().unwrap(),
        "--stack",
        node.to_str().unwrap(),
        "--scenarios",
        "plaintext,json",
        "--duration",
        "1s",
        "--warmup",
        "100ms",
        "--concurrency",
        "8",
        "--rates",
        "50",
        "--capacity-steps",
        "1",
        "--out",
        out.to_str().unwrap(),
    ];
    let mut child = run_cmd(&out, &tag, &args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let first_point = loop {
        assert!(Instant::now() < deadline, "no point measured within 60 s");
        if let Ok(text) = std::fs::read_to_string(out.join("results.json"))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && v["points"].as_array().is_some_and(|p| !p.is_empty())
        {
            break v["points"][0].clone();
        }
        assert!(child.try_wait().unwrap().is_none(), "ringside exited early");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        !tagged_processes(&tag).is_empty(),
        "a stack is running mid-run"
    );
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    // Killed with SIGKILL by the guard; give the kernel a moment to reap.
    let gone = Instant::now() + Duration::from_secs(5);
    while !tagged_processes(&tag).is_empty() && Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        tagged_processes(&tag).is_empty(),
        "no stack process survives SIGINT"
    );

    let (doc, partial) = read_results(&out);
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    assert!(partial.finished_at.is_none());
    let before = partial.points.len();
    assert!(before >= 1);

    let o = run_cmd(&out, &tag, &["--resume", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (doc, done) = read_results(&out);
    assert!(schema_errors(&doc).is_empty());
    assert!(done.finished_at.is_some());
    // Per trial (round): 2 stacks × 2 scenarios × (the peak's slices + one
    // rate) points, none measured twice by the resume.
    let per_cell = done.settings.plan.slices as usize + 1;
    assert_eq!(
        done.points.len(),
        done.settings.trials as usize * 2 * 2 * per_cell,
        "{:#?}",
        done.points
            .iter()
            .map(|p| (&p.stack, p.scenario, &p.kind))
            .collect::<Vec<_>>()
    );
    let searched = done
        .settings
        .plan
        .capacity_scenarios
        .iter()
        .filter(|s| matches!(s, Scenario::Plaintext | Scenario::Json))
        .count();
    assert_eq!(
        done.capacity.len(),
        done.settings.trials as usize * 2 * searched,
        "{:?}",
        done.settings.plan
    );
    assert_eq!(
        serde_json::to_value(&done.points[0]).unwrap(),
        first_point,
        "points already measured are kept, not redone"
    );
    assert_eq!(done.started_at, partial.started_at);
    assert!(tagged_processes(&tag).is_empty());
}
