//! The Ctrl-C race: the signal handler sweeps the cleanups while other
//! threads keep running, so `verify` could launch its next server (e.g. the
//! ws-chat override round) after the sweep and leave it behind when ringside
//! exits. After `guard::shut_down`, a launched stack is killed at once.
//! Its own test binary: `shut_down` affects every guard of the process.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ringside::proc::guard;
use ringside::scenario::Scenario;
use ringside::stack::{self, LaunchOpts};

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s[s.rfind(')').unwrap() + 1..].trim_start().starts_with('Z'))
        .unwrap_or(false)
}

#[tokio::test]
async fn a_stack_launched_after_the_sweep_does_not_survive() {
    guard::shut_down();
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks/py-basic/stack.toml");
    let st = stack::load_manifest(&path).unwrap();
    let opts = LaunchOpts {
        scenario: Some(Scenario::Json),
        ..Default::default()
    };
    // The group is killed as soon as the launch registers it: the server
    // dies before /health and the launch fails.
    let started = Instant::now();
    let launched = stack::launch(&st, &opts).await;
    assert!(
        launched.is_err(),
        "a launch after shut_down must not succeed"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "killed at once, not at the ready timeout"
    );
    assert!(
        !guard::pending().iter().any(|n| n.contains("py-basic")),
        "cleanup left pending after shut_down"
    );
    // Nothing runs in the fixture's folder any more (fork children included).
    let dir = path.parent().unwrap().canonicalize().unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut left = in_dir(&dir);
    while !left.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        left = in_dir(&dir);
    }
    assert!(
        left.is_empty(),
        "processes {left:?} launched after the interrupt survived"
    );
}

fn in_dir(dir: &std::path::Path) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| alive(*pid))
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|c| c == dir))
        .collect()
}
