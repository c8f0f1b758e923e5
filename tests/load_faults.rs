//! `ringside load` against what a machine cannot carry and servers that
//! fail: a rate no connection count can carry and more connections than the
//! open-files limit are refused before any request (exit 2, naming the
//! limit); a run where every request failed exits 1; Ctrl-C prints what was
//! measured, marked interrupted, and exits 130.

mod load_support;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use load_support::{Reply, spawn};

fn ringside() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringside"));
    cmd.env("RINGSIDE_MACHINE_LOCK", private_lock());
    cmd
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_rate_the_connections_cannot_carry_is_refused_at_once() {
    let server = spawn(|_, _| Reply::ok("ok"));
    let t0 = Instant::now();
    let o = ringside()
        .args(["load", &server.url("/"), "--rate", "1e12", "-d", "1s"])
        .output()
        .unwrap();
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("--rate"), "{}", text(&o.stderr));
    assert_eq!(server.hits(), 0, "refused before the first request");
}

#[test]
fn more_connections_than_the_open_files_limit_are_refused_naming_it() {
    let server = spawn(|_, _| Reply::ok("ok"));
    let mut cmd = ringside();
    cmd.args(["load", &server.url("/"), "-c", "100000", "-d", "1s"]);
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 1024,
                rlim_max: 1024,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("100000") && err.contains("1024"), "{err}");
    assert_eq!(server.hits(), 0);
}

#[test]
fn a_run_where_no_request_succeeded_exits_1() {
    let server = spawn(|_, _| Reply {
        status: 500,
        ..Reply::ok("broken")
    });
    let o = ringside()
        .args(["load", &server.url("/"), "-c", "2", "-d", "500ms"])
        .output()
        .unwrap();
    assert!(server.hits() > 0);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
}

#[test]
fn nothing_answered_shows_no_latency_figures() {
    let server = spawn(|_, _| Reply {
        hang: true,
        ..Reply::ok("")
    });
    let o = ringside()
        .args([
            "load",
            &server.url("/"),
            "-c",
            "2",
            "-d",
            "300ms",
            "--timeout",
            "200ms",
        ])
        .output()
        .unwrap();
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("nothing answered"), "{out}");
    assert!(!out.contains("Per second"), "{out}");
}

#[test]
fn ctrl_c_prints_what_was_measured_marked_interrupted() {
    let server = spawn(|_, _| Reply::ok("ok"));
    let child = ringside()
        .args(["load", &server.url("/"), "-c", "4", "-d", "30s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while server.hits() < 100 {
        assert!(t0.elapsed() < Duration::from_secs(10), "no load arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(10), "it stopped at once");
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("interrupted (signal 2)"), "{out}");
    assert!(out.contains("Throughput"), "{out}");
    assert!(!text(&o.stderr).contains("on disk"), "{}", text(&o.stderr));
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
