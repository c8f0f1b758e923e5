//! PR_SET_PDEATHSIG fires when the *thread* that forked a child ends, not the
//! process. A stack launched the way `ringside run` launches it (from the
//! runtime's `block_on`, after installs ran on the blocking pool) must
//! survive the blocking pool's threads ending (they do after 10 s idle); a
//! child forked from a blocking thread that ended must die, which shows the
//! signal really is armed.

mod suite_support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ringside::proc::deathsig;
use ringside::stack::{self, LaunchOpts};
use suite_support::alive;

#[test]
fn a_stack_outlives_idle_blocking_threads_and_a_child_of_an_ended_thread_dies() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let manifest =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks/suite-py/stack.toml");
    let stack = stack::load_manifest(&manifest).unwrap();
    rt.block_on(async {
        // As the runner does: an install step on the blocking pool, then the launch.
        let orphan = tokio::task::spawn_blocking(|| {
            let mut cmd = std::process::Command::new("sleep");
            cmd.arg("60");
            deathsig::arm(&mut cmd);
            // Not waited for here on purpose: this thread ends while it runs.
            cmd.spawn().unwrap().id() as i32
        })
        .await
        .unwrap();
        let mut running = stack::launch(
            &stack,
            &LaunchOpts {
                port: None,
                workers: 1,
                cpus: None,
                env: Vec::new(),
                scenario: None,
            },
        )
        .await
        .unwrap();
        let pid = running.pid();
        // The blocking pool's idle threads end after 10 s.
        let until = Instant::now() + Duration::from_secs(12);
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(running.is_alive(), "the stack died with a helper thread");
        }
        assert!(alive(pid));
        stack::health(running.port()).await.unwrap();
        assert!(
            !alive(orphan),
            "a child of an ended thread is killed: the parent-death signal is armed"
        );
        running.stop().await.unwrap();
    });
}
