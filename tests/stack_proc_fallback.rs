//! Sampling without a cgroup (`RINGSIDE_NO_CGROUP=1`): CPU from `/proc`,
//! and stop still leaves no orphan. Its own test binary, so the variable
//! does not leak into the other tests.

use std::path::PathBuf;

use ringside::scenario::Scenario;
use ringside::stack::{self, LaunchOpts};

#[tokio::test]
async fn proc_sampling_and_stop() {
    // SAFETY: the only test of this binary; set before any thread reads the environment.
    unsafe { std::env::set_var("RINGSIDE_NO_CGROUP", "1") };
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks/py-basic/stack.toml");
    let st = stack::load_manifest(&path).unwrap();
    let opts = LaunchOpts {
        scenario: Some(Scenario::Json),
        ..Default::default()
    };
    let running = stack::launch(&st, &opts).await.unwrap();
    assert_eq!(running.cpu_source(), "proc");
    let s = running.sample();
    assert!(s.cpu_us > 0, "{s:?}");
    assert!(s.rss_bytes > 0, "{s:?}");
    assert_eq!(s.processes, 3, "{s:?}");
    let pids = running.pids();
    running.stop().await.unwrap();
    for p in pids {
        let gone = std::fs::read_to_string(format!("/proc/{p}/stat"))
            .map(|t| t[t.rfind(')').unwrap() + 1..].trim_start().starts_with('Z'))
            .unwrap_or(true);
        assert!(gone, "pid {p} survived stop");
    }
}
