//! Ctrl-C during `ringside verify`: it exits 130 from the signal handler,
//! stops the server it launched and leaves no work folder behind in
//! `.ringside/work` (with `--db postgres` that folder holds a data directory).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn work_folders(scratch: &Path) -> Vec<String> {
    std::fs::read_dir(scratch.join(".ringside/work"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("verify-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn interrupted_verify_removes_its_work_folder_and_server() {
    let scratch = tempfile::tempdir().unwrap();
    // A server that never becomes ready (404 on /health): verify keeps
    // polling it, so the interrupt lands while the stack is running.
    let stack_dir = scratch.path().join("never-ready");
    std::fs::create_dir_all(&stack_dir).unwrap();
    std::fs::write(
        stack_dir.join("stack.toml"),
        r#"name = "never-ready"
language = "python"
framework = "http.server"
description = "404 on /health"
scenarios = ["plaintext"]
[runtime]
command = ["python3", "--version"]
min_version = "3.6"
[start]
command = ["python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
ready_timeout_s = 30
"#,
    )
    .unwrap();
    let stack_dir = stack_dir.canonicalize().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("ringside"))
        .env("RINGSIDE_MACHINE_LOCK", private_lock())
        .current_dir(scratch.path())
        .args(["verify", "--stack"])
        .arg(stack_dir.join("stack.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the work folder and the server (its cwd is the stack folder).
    let server_up = || {
        std::fs::read_dir("/proc").unwrap().any(|e| {
            e.ok()
                .and_then(|e| std::fs::read_link(e.path().join("cwd")).ok())
                .is_some_and(|cwd| cwd == stack_dir)
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while (work_folders(scratch.path()).is_empty() || !server_up()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !work_folders(scratch.path()).is_empty(),
        "no work folder appeared"
    );
    assert!(server_up(), "the server did not start");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "verify did not exit after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        work_folders(scratch.path()),
        Vec::<String>::new(),
        "work folder left"
    );
    let deadline = Instant::now() + Duration::from_secs(3);
    while server_up() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!server_up(), "the server outlived ringside");
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
