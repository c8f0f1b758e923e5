//! `ringside load --ws` through the real binary: flags that do not apply or
//! a non-WebSocket URL are bad input (exit 2); nothing listening is a clear
//! error (exit 1) that does not hang.

use assert_cmd::Command;
use predicates::str::contains;

fn ringside() -> Command {
    let mut cmd = Command::cargo_bin("ringside").unwrap();
    cmd.env("RINGSIDE_MACHINE_LOCK", private_lock());
    cmd
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn ws_needs_a_ws_url() {
    ringside()
        .args(["load", "--ws", "http://127.0.0.1:9/ws/chat"])
        .assert()
        .code(2)
        .stderr(contains("ws://"));
}

#[test]
fn http_only_flags_are_rejected_with_ws() {
    let url = format!("ws://127.0.0.1:{}/ws/chat", closed_port());
    ringside()
        .args(["load", "--ws", &url, "-n", "5"])
        .assert()
        .code(2)
        .stderr(contains("does not apply to --ws; use -d"));
    ringside()
        .args(["load", "--ws", &url, "--rate", "100"])
        .assert()
        .code(2)
        .stderr(contains("--msg-rate"));
}

#[test]
fn ws_targets_stay_on_loopback() {
    ringside()
        .args(["load", "--ws", "ws://192.0.2.1:80/ws/chat"])
        .assert()
        .code(2)
        .stderr(contains("--allow-remote"));
}

#[test]
fn nothing_listening_is_a_clear_error() {
    let url = format!("ws://127.0.0.1:{}/ws/chat", closed_port());
    ringside()
        .args([
            "load",
            "--ws",
            &url,
            "--clients",
            "3",
            "--rooms",
            "1",
            "-d",
            "1s",
        ])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(1)
        .stderr(contains("no WebSocket client could connect"));
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
