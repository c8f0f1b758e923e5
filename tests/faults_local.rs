//! Fault cases of issue 24 through the real binary (the rest of the fault
//! suite is `tests/faults.rs`): a run registry and run locks planted by
//! another local user never make ringside signal a process that is not its
//! own, and the user is told what was ignored; exit codes a script can trust
//! (`load --ws` that delivered nothing, `--resume` of a finished run, a
//! stack that failed to start beside measured ones); a damaged install is
//! seen and repaired; limits named up front (open files, `load -d`).
//!
//! Cases needing a second local user run as `nobody` through `runuser` when
//! the tests run as root, and skip saying so otherwise.

mod suite_support;

use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use suite_support::*;

fn ringside() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringside"));
    cmd.stdin(Stdio::null());
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Why `nobody` cannot be played here, or `None`.
fn cannot_be_nobody() -> Option<&'static str> {
    if !nix::unistd::geteuid().is_root() {
        return Some("not root: cannot act as another user");
    }
    if nix::unistd::User::from_name("nobody")
        .ok()
        .flatten()
        .is_none()
    {
        return Some("no `nobody` user");
    }
    None
}

fn as_nobody(args: &[&str], stdin: Option<&str>) {
    let mut child = Command::new("runuser")
        .args(["-u", "nobody", "--"])
        .args(args)
        .current_dir("/")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success(), "as nobody: {args:?}");
}

/// An innocent process carrying `run_id` in its environment (the strongest
/// plant: it looks like a child of that run).
fn innocent(run_id: &str) -> Child {
    let child = Command::new("sleep")
        .arg("60")
        .env("RINGSIDE_RUN", run_id)
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let marker = format!("RINGSIDE_RUN={run_id}");
    while t0.elapsed() < Duration::from_secs(2) {
        let env = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap_or_default();
        if env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

/// A lock of a ringside that is gone (a pid above any pid_max).
fn lock_json(run_id: &str, started: u64, postgres: &[&Path]) -> String {
    serde_json::json!({
        "pid": 2_000_000_000,
        "started": started,
        "run_id": run_id,
        "command": "run",
        "postgres": postgres,
    })
    .to_string()
}

/// A command that reaps stale runs, then fails fast (an unknown stack).
fn reaping_command(registry: &Path) -> Output {
    let empty = registry.parent().unwrap().join("no-stacks");
    std::fs::create_dir_all(&empty).unwrap();
    ringside()
        .args(["setup", "no-such-stack"])
        .env("RINGSIDE_RUN_DIR", registry)
        .env("RINGSIDE_STACKS_DIR", &empty)
        .output()
        .unwrap()
}

fn survives(child: &mut Child) -> bool {
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    alive
}

#[test]
fn a_registry_folder_planted_by_another_user_is_refused_and_nothing_is_signalled() {
    if let Some(why) = cannot_be_nobody() {
        eprintln!("skipped: {why}");
        return;
    }
    // A folder like /tmp: sticky and open to everyone.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let registry = tmp.path().join("runs");
    let run_id = format!("planted-{}", std::process::id());
    let mut victim = innocent(&run_id);
    as_nobody(&["mkdir", "-m", "0755", registry.to_str().unwrap()], None);
    let lock = registry.join("2000000000.json");
    as_nobody(
        &["sh", "-c", "cat > \"$1\"", "sh", lock.to_str().unwrap()],
        Some(&lock_json(&run_id, 0, &[])),
    );
    let o = reaping_command(&registry);
    let said = stderr(&o);
    assert!(
        survives(&mut victim),
        "the planted lock's process was killed: {said}"
    );
    assert!(
        said.contains("belongs to uid 65534") && said.contains("not used"),
        "the user is told why the registry is refused: {said}"
    );
    assert!(lock.exists(), "another user's file is not touched");
}

#[test]
fn a_lock_file_of_another_user_in_the_registry_is_ignored_and_named() {
    if let Some(why) = cannot_be_nobody() {
        eprintln!("skipped: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("runs");
    std::fs::create_dir(&registry).unwrap();
    std::fs::set_permissions(&registry, std::fs::Permissions::from_mode(0o700)).unwrap();
    let run_id = format!("planted-file-{}", std::process::id());
    let mut victim = innocent(&run_id);
    let lock = registry.join("2000000000.json");
    std::fs::write(&lock, lock_json(&run_id, 0, &[])).unwrap();
    nix::unistd::chown(&lock, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
    let o = reaping_command(&registry);
    let said = stderr(&o);
    assert!(
        survives(&mut victim),
        "killed on another user's lock: {said}"
    );
    assert!(
        said.contains("ignored run lock") && said.contains("owned by uid 65534"),
        "{said}"
    );
}

#[test]
fn a_lock_of_ours_never_kills_a_process_that_started_before_its_run() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("runs");
    std::fs::create_dir(&registry).unwrap();
    std::fs::set_permissions(&registry, std::fs::Permissions::from_mode(0o700)).unwrap();
    let run_id = format!("older-{}", std::process::id());
    let mut victim = innocent(&run_id);
    let started = ringside::proc::tree::start_time(victim.id() as i32).unwrap() + 100;
    std::fs::write(
        registry.join("2000000000.json"),
        lock_json(&run_id, started, &[]),
    )
    .unwrap();
    let o = reaping_command(&registry);
    let said = stderr(&o);
    assert!(survives(&mut victim), "{said}");
    assert!(
        said.contains(&format!("left process {}", victim.id())) && said.contains("started before"),
        "{said}"
    );
}

#[test]
fn a_registry_open_to_others_is_refused_saying_how_to_fix_it() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("runs");
    std::fs::create_dir(&registry).unwrap();
    std::fs::set_permissions(&registry, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = ringside::proc::lock::check_registry(&registry).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("writable by group or others"), "{msg}");
    assert!(msg.contains("RINGSIDE_RUN_DIR"), "{msg}");
    let fresh = tmp.path().join("new/runs");
    ringside::proc::lock::check_registry(&fresh).unwrap();
    assert_eq!(
        std::fs::metadata(&fresh).unwrap().mode() & 0o777,
        0o700,
        "created private"
    );
}

#[tokio::test]
async fn a_lock_naming_a_postgres_ringside_did_not_start_for_that_run_leaves_it_running() {
    use ringside::proc::reaper;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let Ok(database) =
        ringside::db::provision(ringside::db::DbKind::Postgres, &tmp.path().join("db")).await
    else {
        eprintln!("skipped: PostgreSQL does not start here (apt-get install postgresql)");
        return;
    };
    let data = database.postgres_data_dir().unwrap().to_path_buf();
    let pid = database.postgres_pid().unwrap();
    let registry = tmp.path().join("runs");
    std::fs::create_dir(&registry).unwrap();
    std::fs::set_permissions(&registry, std::fs::Permissions::from_mode(0o700)).unwrap();

    // A lock of another run naming this instance: the mark names this run.
    std::fs::write(
        registry.join("2000000000.json"),
        lock_json("another-run", 0, &[&data]),
    )
    .unwrap();
    let (reaped, _) = reaper::reap_stale_in(&registry);
    assert!(alive(pid), "stopped on a lock of another run");
    let told = reaped[0].ignored.join("\n");
    assert!(
        told.contains("left PostgreSQL") && told.contains("mark names run"),
        "{told}"
    );

    // No mark at all (a cluster ringside did not create): left alone too.
    let mark = data.parent().unwrap().join(reaper::INSTANCE_MARK);
    let saved = std::fs::read(&mark).unwrap();
    std::fs::remove_file(&mark).unwrap();
    let err = reaper::stop_postmaster(&data).unwrap_err();
    assert!(err.contains("no ringside mark"), "{err}");
    // A mark of another user does not vouch for it either.
    std::fs::write(&mark, &saved).unwrap();
    if cannot_be_nobody().is_none() {
        nix::unistd::chown(&mark, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
        let err = reaper::stop_postmaster(&data).unwrap_err();
        assert!(err.contains("not a file of yours"), "{err}");
        std::fs::remove_file(&mark).unwrap();
        std::fs::write(&mark, &saved).unwrap();
    }
    assert!(alive(pid));

    // The genuine case still works: this run's mark, this run's postmaster.
    let run_id = ringside::proc::lock::run_id();
    assert_eq!(
        reaper::stop_postmaster_of(&data, Some(run_id)),
        Ok(Some(pid))
    );
    assert!(!alive(pid));
    drop(database);
}

/// A WebSocket server that completes every upgrade, then drops the client.
fn dropping_ws_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                        drop(ws);
                    }
                });
            }
        });
    });
    port
}

#[test]
fn load_ws_that_delivered_nothing_exits_1_saying_so() {
    let port = dropping_ws_server();
    let o = ringside()
        .args(["load", "--ws", "--clients", "2", "--rooms", "1", "-d", "1s"])
        .arg(format!("ws://127.0.0.1:{port}/ws/chat"))
        .output()
        .unwrap();
    let said = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains("nothing was delivered"), "{said}");
}

#[test]
fn load_durations_beyond_an_hour_are_refused_with_exit_2() {
    for args in [["-d", "10y"], ["--warmup", "10y"]] {
        let o = ringside()
            .args(["load", "http://127.0.0.1:9/"])
            .args(args)
            .output()
            .unwrap();
        let said = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {said}");
        assert!(
            said.contains(args[0].trim_start_matches('-')) && said.contains("1h"),
            "{said}"
        );
    }
}

#[test]
fn resume_of_a_finished_run_changes_nothing_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let old = std::fs::read(root().join("tests/fixtures/results/full.json")).unwrap();
    let finished: serde_json::Value = serde_json::from_slice(&old).unwrap();
    assert!(
        finished["finished_at"].is_string(),
        "the fixture is a finished run"
    );
    std::fs::write(out.join("results.json"), &old).unwrap();
    let o = run_cmd(&out, &tag(), &["--resume", out.to_str().unwrap()])
        .env("RINGSIDE_RUN_DIR", tmp.path().join("runs"))
        .output()
        .unwrap();
    let said = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{said}");
    assert!(
        said.contains("nothing to resume, nothing changed"),
        "{said}"
    );
    assert_eq!(std::fs::read(out.join("results.json")).unwrap(), old);
    let files: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "no report written beside it: {files:?}");
}

#[test]
fn run_under_a_low_open_files_limit_names_it_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let manifest = fixture("suite-py");
    let mut cmd = run_cmd(
        &out,
        &tag(),
        &[
            "--stack",
            manifest.to_str().unwrap(),
            "--scenarios",
            "plaintext",
            "--concurrency",
            "256",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    cmd.env("RINGSIDE_RUN_DIR", tmp.path().join("runs"));
    // SAFETY: setrlimit is async-signal-safe; soft and hard both 64.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    let said = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{said}");
    assert!(
        said.contains("open-files limit is 64") && said.contains("ulimit -n"),
        "{said}"
    );
    assert!(!out.exists(), "no empty results folder left");
}

/// A stack whose server exits at once, beside one that measures.
fn write_dead_stack(dir: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let manifest = dir.join("stack.toml");
    std::fs::write(
        &manifest,
        r#"name = "dead-on-start"
language = "python"
framework = "none"
description = "exits at once"
scenarios = ["plaintext"]

[start]
command = ["python3", "-c", "import sys; sys.exit(3)"]
ready_timeout_s = 5
"#,
    )
    .unwrap();
    manifest
}

#[test]
fn a_stack_that_failed_to_start_beside_measured_ones_is_named_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let dead = write_dead_stack(&tmp.path().join("dead"));
    let good = fixture("suite-py");
    let o = run_cmd(
        &out,
        &tag(),
        &[
            "--stack",
            good.to_str().unwrap(),
            "--stack",
            dead.to_str().unwrap(),
            "--scenarios",
            "plaintext",
            "--duration",
            "300ms",
            "--warmup",
            "100ms",
            "--concurrency",
            "4",
            "--rates",
            "20",
            "--capacity-steps",
            "0",
            "--trials",
            "1",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .env("RINGSIDE_RUN_DIR", tmp.path().join("runs"))
    .output()
    .unwrap();
    let said = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{said}");
    let tail: Vec<&str> = said.lines().rev().take(4).collect();
    let tail = tail.join("\n");
    assert!(
        tail.contains("dead-on-start") && tail.contains("ringside setup --force dead-on-start"),
        "the run's last lines: {tail}"
    );
    // results.json is written like every other output: 0666 less the umask.
    let mode = std::fs::metadata(out.join("results.json")).unwrap().mode() & 0o777;
    let html = std::fs::metadata(out.join("report.html")).unwrap().mode() & 0o777;
    assert_eq!(mode, html, "results.json {mode:o}, report.html {html:o}");
}

#[test]
fn a_damaged_install_is_named_by_stacks_and_repaired_by_setup() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("npmish");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("package-lock.json"),
        r#"{"lockfileVersion":3,"packages":{"":{"dependencies":{"leftpad":"1.0.0"}},"node_modules/leftpad":{"version":"1.0.0"}}}"#,
    )
    .unwrap();
    let manifest = dir.join("stack.toml");
    std::fs::write(
        &manifest,
        r#"name = "npmish"
language = "javascript"
framework = "none"
description = "an install that can be damaged"
scenarios = ["plaintext"]

[install]
lockfiles = ["package-lock.json"]
commands = [["sh", "-c", "mkdir -p node_modules/leftpad && echo '{}' > node_modules/leftpad/package.json"]]

[start]
command = ["python3", "-c", "pass"]
"#,
    )
    .unwrap();
    let empty = tmp.path().join("no-stacks");
    std::fs::create_dir_all(&empty).unwrap();
    let cmd = |args: &[&str]| {
        let o = ringside()
            .args(args)
            .args(["--stack", manifest.to_str().unwrap()])
            .env("RINGSIDE_STACKS_DIR", &empty)
            .env("RINGSIDE_RUN_DIR", tmp.path().join("runs"))
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr(&o),
        )
    };
    let (code, out, err) = cmd(&["setup"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let (_, list, _) = cmd(&["stacks"]);
    assert!(!list.contains("damaged"), "{list}");
    std::fs::remove_dir_all(dir.join("node_modules")).unwrap();
    let (_, list, _) = cmd(&["stacks"]);
    assert!(
        list.contains("damaged") && list.contains("ringside setup --force npmish"),
        "{list}"
    );
    let (code, out, err) = cmd(&["setup"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("npmish: installed"),
        "reinstalled, not `up to date`: {out}{err}"
    );
    assert!(dir.join("node_modules/leftpad/package.json").is_file());
}
