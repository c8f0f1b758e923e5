//! The Ctrl-C path: the signal handler runs every registered cleanup
//! (`guard::run_all`), which must kill a launched stack's whole tree and
//! remove its cgroup. Its own test binary: `run_all` cleans up everything.

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
async fn run_all_kills_the_tree() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks/py-basic/stack.toml");
    let st = stack::load_manifest(&path).unwrap();
    let opts = LaunchOpts {
        scenario: Some(Scenario::Json),
        ..Default::default()
    };
    let running = stack::launch(&st, &opts).await.unwrap();
    let pids = running.pids();
    assert_eq!(pids.len(), 3);
    assert!(guard::pending().iter().any(|n| n.contains("py-basic")));
    assert!(guard::run_all() >= 1);
    let deadline = Instant::now() + Duration::from_secs(3);
    while pids.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for p in &pids {
        assert!(!alive(*p), "pid {p} survived the interrupt cleanup");
    }
    drop(running);
    let leftover = std::fs::read_dir("/sys/fs/cgroup/cpuacct")
        .map(|d| {
            d.filter_map(|e| e.ok()).any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("ringside-{}-", std::process::id()))
            })
        })
        .unwrap_or(false);
    assert!(!leftover, "cgroup not removed");
}
