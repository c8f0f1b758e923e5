//! Fault injection through the real binary: servers that crash after N
//! requests, never answer, or answer garbage; SIGTERM and SIGKILL of
//! ringside mid-run; hostile input (a finished run as `--out`, flags beside
//! `--resume`, an edited results file). Each asserts the exit code, what is
//! on disk, that `--resume` completes, and that no process of the run lives.

mod suite_support;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use suite_support::*;

/// A short suite: one scenario, short points, no capacity search.
const QUICK: [&str; 10] = [
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
];

/// `ringside run` on fixture stacks, tagged, with its own run registry.
fn ringside_run(out: &Path, tag: &str, args: &[&str]) -> Command {
    let mut cmd = run_cmd(out, tag, args);
    cmd.env("RINGSIDE_RUN_DIR", out.parent().unwrap().join("runs"));
    cmd
}

fn run_fixture(out: &Path, tag: &str, stack: &str, scenarios: &str) -> Command {
    let manifest = fixture(stack);
    let mut args = vec![
        "--stack",
        manifest.to_str().unwrap(),
        "--scenarios",
        scenarios,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(&QUICK);
    ringside_run(out, tag, &args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Waits up to `limit` for no tagged process to be alive.
fn none_left(tag: &str, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while !tagged_processes(tag).is_empty() {
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// Spawns the run and waits for its first measured point.
fn start_and_wait_for_a_point(mut cmd: Command, out: &Path) -> Child {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "no point measured within 60 s");
        if let Ok(text) = std::fs::read_to_string(out.join("results.json"))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && v["points"].as_array().is_some_and(|p| !p.is_empty())
        {
            return child;
        }
        assert!(child.try_wait().unwrap().is_none(), "ringside exited early");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn resume_completes(out: &Path, tag: &str) -> String {
    let o = ringside_run(out, tag, &["--resume", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (doc, done) = read_results(out);
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    assert!(done.finished_at.is_some());
    assert!(
        none_left(tag, Duration::from_secs(5)),
        "nothing left after --resume"
    );
    stderr(&o)
}

/// Runs a faulty fixture on `plaintext`: exit 1, results on disk, and no
/// process of the run left. Returns the stderr and the results.
fn fails_with_1(stack: &str) -> (String, ringside::results::Results) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let tag = tag();
    let o = run_fixture(&out, &tag, stack, "plaintext")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let (doc, r) = read_results(&out);
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    assert!(none_left(&tag, Duration::from_secs(5)));
    (stderr(&o), r)
}

#[test]
fn a_server_that_crashes_after_n_requests_exits_1_and_records_its_exit_status() {
    let (err, r) = fails_with_1("faulty-crash");
    assert!(err.contains("nothing valid was measured"), "{err}");
    assert!(
        r.points.iter().all(|p| !p.valid),
        "no valid point from a crashing server"
    );
    let rec = &r.stacks[0];
    assert!(
        rec.failures
            .iter()
            .any(|f| f.message.contains("exit status 3")),
        "{:#?}",
        rec.failures
    );
}

#[test]
fn a_server_that_never_answers_ends_the_run_on_time_with_exit_1() {
    let t0 = Instant::now();
    let (err, r) = fails_with_1("faulty-hang");
    assert!(t0.elapsed() < Duration::from_secs(60), "{:?}", t0.elapsed());
    assert!(err.contains("plaintext failed verification"), "{err}");
    assert!(r.stacks[0].verify_failures.contains_key("plaintext"));
    assert!(r.points.is_empty());
}

#[test]
fn a_server_that_answers_garbage_fails_verification_with_exit_1() {
    let (err, r) = fails_with_1("faulty-garbage");
    assert!(err.contains("plaintext failed verification"), "{err}");
    assert!(r.stacks[0].verify_failures.contains_key("plaintext"));
}

#[test]
fn sigterm_mid_run_exits_143_keeps_the_results_and_resume_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let tag = tag();
    let child =
        start_and_wait_for_a_point(run_fixture(&out, &tag, "suite-py", "plaintext,json"), &out);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = child.wait_with_output().unwrap().status;
    assert_eq!(status.code(), Some(143));
    assert!(none_left(&tag, Duration::from_secs(5)));
    let (doc, partial) = read_results(&out);
    assert!(schema_errors(&doc).is_empty());
    assert!(partial.finished_at.is_none());
    assert!(!partial.points.is_empty());
    assert!(
        partial.stacks[0].failures.is_empty(),
        "the interrupt is not a crash"
    );
    resume_completes(&out, &tag);
}

#[test]
fn sigkill_mid_run_leaves_no_process_and_resume_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let tag = tag();
    let mut child =
        start_and_wait_for_a_point(run_fixture(&out, &tag, "suite-py", "plaintext,json"), &out);
    assert!(!tagged_processes(&tag).is_empty(), "the stack runs mid-run");
    child.kill().unwrap();
    child.wait().unwrap();
    // No cleanup of ringside ran: the kernel's parent-death signal did it.
    assert!(
        none_left(&tag, Duration::from_secs(5)),
        "stack processes outlived ringside's SIGKILL: {:?}",
        tagged_processes(&tag)
    );
    let (doc, partial) = read_results(&out);
    assert!(schema_errors(&doc).is_empty());
    assert!(!partial.points.is_empty());
    resume_completes(&out, &tag);
}

#[test]
fn sigkill_leaves_a_grandchild_that_the_next_run_stops_before_it_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let tag = tag();
    let mut child = start_and_wait_for_a_point(
        run_fixture(&out, &tag, "faulty-forking", "plaintext,json"),
        &out,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let left = tagged_processes(&tag);
    assert!(
        !left.is_empty(),
        "the forked server escapes the parent-death signal"
    );
    let said = resume_completes(&out, &tag);
    assert!(said.contains("stopped what an earlier ringside"), "{said}");
}

/// Pid of the run's postmaster: from the data folder under the results
/// folder, else from one the run lock names.
fn postmaster_of_run(out: &Path, registry: &Path) -> Option<i32> {
    let read = |pidfile: &Path| -> Option<i32> {
        std::fs::read_to_string(pidfile)
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    };
    if let Some(pid) = read(&out.join("db/postgres/data/postmaster.pid")) {
        return Some(pid);
    }
    for e in std::fs::read_dir(registry).ok()?.flatten() {
        let lock: serde_json::Value =
            serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok()?;
        for data in lock["postgres"].as_array().into_iter().flatten() {
            let pidfile = Path::new(data.as_str()?).join("postmaster.pid");
            if let Some(pid) = std::fs::read_to_string(pidfile)
                .ok()
                .and_then(|t| t.lines().next()?.trim().parse().ok())
            {
                return Some(pid);
            }
        }
    }
    None
}

#[test]
fn sigkill_with_postgres_leaves_no_postmaster_and_resume_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let tag = tag();
    let mut cmd = run_fixture(&out, &tag, "faulty-pg", "plaintext,json");
    cmd.args(["--db", "postgres"]);
    let mut child = start_and_wait_for_a_point(cmd, &out);
    let postmaster = postmaster_of_run(&out, &tmp.path().join("runs"))
        .expect("PostgreSQL runs (apt-get install postgresql; scripts/test.sh does)");
    assert!(alive(postmaster));
    child.kill().unwrap();
    child.wait().unwrap();
    let until = Instant::now() + Duration::from_secs(5);
    while alive(postmaster) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !alive(postmaster),
        "the postmaster outlived ringside's SIGKILL by 5 s"
    );
    let cmdlines = |pids: Vec<u32>| -> Vec<String> {
        pids.iter()
            .map(|p| {
                String::from_utf8_lossy(
                    &std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default(),
                )
                .replace('\0', " ")
            })
            .collect()
    };
    assert!(
        none_left(&tag, Duration::from_secs(2)),
        "{:?}",
        cmdlines(tagged_processes(&tag))
    );
    resume_completes(&out, &tag);
}

#[test]
fn out_onto_a_finished_run_is_refused_and_its_results_stay_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let old = std::fs::read(root().join("tests/fixtures/results/full.json")).unwrap();
    std::fs::write(out.join("results.json"), &old).unwrap();
    let tag = tag();
    let o = run_fixture(&out, &tag, "suite-py", "plaintext")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let msg = stderr(&o);
    assert!(msg.contains("--resume") && msg.contains("--force"), "{msg}");
    assert_eq!(std::fs::read(out.join("results.json")).unwrap(), old);
    assert!(tagged_processes(&tag).is_empty());
}

#[test]
fn flags_beside_resume_are_refused_not_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let o = ringside_run(
        &out,
        &tag(),
        &["--resume", out.to_str().unwrap(), "--trials", "3"],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--trials"), "{}", stderr(&o));
}

#[test]
fn an_unknown_stack_leaves_no_results_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = ringside_run(
        &out,
        &tag(),
        &["--stacks", "nope", "--out", out.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown stack `nope`"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "no empty results folder");
}

#[test]
fn an_edited_results_file_with_a_negative_figure_is_refused_naming_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("tests/fixtures/results/full.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let i = doc["points"]
        .as_array()
        .unwrap()
        .iter()
        .position(|p| p["valid"] == true && p["load"].is_object())
        .unwrap();
    doc["points"][i]["load"]["throughput_rps"] = serde_json::json!(-0.43);
    let file = tmp.path().join("results.json");
    std::fs::write(&file, serde_json::to_string(&doc).unwrap()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(["report", file.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("report"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let msg = stderr(&o);
    assert!(
        msg.contains(&format!("points[{i}].load.throughput_rps")),
        "{msg}"
    );
}

#[test]
fn verify_takes_stacks_like_run() {
    let o = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(["verify", "--stacks", "nope"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown stack `nope`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_url_at_a_server_that_fails_verification_exits_1_saying_why() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = root().join("tests/fixtures/stacks/faulty-hang/server.py");
    let mut child = Command::new("python3")
        .arg(&server)
        .args(["--port", &port.to_string(), "--mode", "garbage"])
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "the fixture server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut args = vec![
        "--url",
        url.as_str(),
        "--scenarios",
        "plaintext",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(&QUICK);
    let o = ringside_run(&out, &tag(), &args).output().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(msg.contains("plaintext failed verification"), "{msg}");
}

#[test]
fn a_stack_manifest_named_like_a_built_in_replaces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let server = root().join("tests/fixtures/stacks/suite-py/server.py");
    let manifest = |framework: &str| {
        format!(
            "name = \"suite-py\"\nlanguage = \"python\"\nframework = \"{framework}\"\n\
             description = \"test\"\nscenarios = [\"plaintext\"]\n\n[start]\n\
             command = [\"python3\", \"-u\", {server:?}, \"--port\", \"{{port}}\"]\nmax_workers = 1\n",
            server = server.display().to_string()
        )
    };
    let builtin = tmp.path().join("builtin/suite-py");
    std::fs::create_dir_all(&builtin).unwrap();
    std::fs::write(builtin.join("stack.toml"), manifest("built-in")).unwrap();
    let mine = tmp.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("stack.toml"), manifest("mine")).unwrap();
    let stack = mine.join("stack.toml");
    let mut args = vec![
        "--stack",
        stack.to_str().unwrap(),
        "--scenarios",
        "plaintext",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(&QUICK);
    let o = ringside_run(&out, &tag(), &args)
        .env("RINGSIDE_STACKS_DIR", tmp.path().join("builtin"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("replaces the built-in"),
        "{}",
        stderr(&o)
    );
    let (_, r) = read_results(&out);
    assert_eq!(r.stacks.len(), 1);
    assert_eq!(
        r.stacks[0].framework, "mine",
        "the --stack manifest is measured"
    );
}
