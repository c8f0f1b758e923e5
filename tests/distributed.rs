//! One load split over agents: three real `ringside load --shard i/3`
//! processes against an in-process server, merged by `ringside merge`, must
//! give exactly the union of their histograms and the planned count, match
//! a single process running the same plan (within a stated tolerance), and
//! keep a stall that only one agent saw. Also the agent flags' and merge's
//! refusals (exit 2, naming the file and the field).

mod load_support;

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;
use load_support::{Reply, spawn, spawn_with};
use ringside::load::record;
use serde_json::Value;

/// The timed tests run one at a time, so they do not load the machine for each other.
static TIMED: Mutex<()> = Mutex::new(());

/// The server's fixed delay: latency is this plus loopback and scheduling.
const DELAY: Duration = Duration::from_millis(20);
/// The plan: 300 requests at 300 req/s over 24 connections (8 per agent).
const PLAN: [&str; 6] = ["--rate", "300", "-n", "300", "-c", "24"];
/// How far p50 and p99 may lie above the fixed delay (the generator is a
/// debug build, and the test machine is shared): the stated tolerance of the
/// single-process comparison. HdrHistogram itself is exact to 0.1 %.
const SLACK: Duration = Duration::from_millis(15);

/// Children in their own process groups, killed (group and all) when dropped.
struct Agents(Vec<Child>);

impl Drop for Agents {
    fn drop(&mut self) {
        for child in &mut self.0 {
            if matches!(child.try_wait(), Ok(None)) {
                let pid = nix::unistd::Pid::from_raw(child.id() as i32);
                let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
            }
            let _ = child.wait();
        }
    }
}

fn ringside() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ringside"));
    cmd.process_group(0)
        .env("RINGSIDE_MACHINE_LOCK", private_lock())
        .env_remove("RINGSIDE_SHARDS")
        .env_remove("JOB_COMPLETION_INDEX");
    cmd
}

/// Runs `ringside ARGS` to completion (bounded), returning (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let child = ringside()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut agents = Agents(vec![child]);
    wait_output(&mut agents.0[0], Duration::from_secs(30))
}

fn wait_output(child: &mut Child, limit: Duration) -> (i32, String, String) {
    use std::io::Read as _;
    let started = Instant::now();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < limit,
            "ringside ran longer than {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.code().unwrap_or(-1),
        reader.join().unwrap(),
        err_reader.join().unwrap(),
    )
}

/// Starts the three agents of PLAN (plus `extra[i]` for agent i) on one
/// `--start-at`, and returns their JSON reports, written to `dir`.
fn three_agents(url: &str, dir: &Path, extra: [&[&str]; 3]) -> Vec<PathBuf> {
    let start_at = ringside::load::shard::rfc3339(SystemTime::now() + Duration::from_millis(1500));
    let mut agents = Agents(Vec::new());
    for (i, more) in extra.iter().enumerate() {
        let shard = format!("{i}/3");
        let mut args = vec![
            "load",
            url,
            "--json",
            "--shard",
            &shard,
            "--start-at",
            &start_at,
        ];
        args.extend_from_slice(&PLAN);
        args.extend_from_slice(more);
        agents.0.push(
            ringside()
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    let mut files = Vec::new();
    for (i, child) in agents.0.iter_mut().enumerate() {
        let (code, stdout, stderr) = wait_output(child, Duration::from_secs(30));
        assert_eq!(code, 0, "agent {i}: {stderr}");
        let path = dir.join(format!("agent-{i}.json"));
        std::fs::write(&path, stdout).unwrap();
        files.push(path);
    }
    files
}

fn merge_json(files: &[PathBuf]) -> Value {
    let mut args = vec!["merge", "--json"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hist(report: &Value) -> Histogram<u64> {
    record::from_base64(report["histogram_b64"].as_str().expect("raw histogram")).unwrap()
}

fn us(v: &Value) -> Duration {
    Duration::from_micros(v.as_u64().unwrap())
}

fn validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("../schema/load-report.schema.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, report: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn three_agents_merge_exactly_into_the_single_run() {
    let _one_at_a_time = TIMED.lock().unwrap_or_else(|e| e.into_inner());
    let server = spawn(|_, _| Reply {
        delay: DELAY,
        ..Reply::ok("Hello, World!")
    });
    let url = server.url("/fixed");
    let dir = tempfile::tempdir().unwrap();
    let files = three_agents(&url, dir.path(), [&[], &[], &[]]);
    let merged = merge_json(&files);
    let validator = validator();
    assert_valid(&validator, &merged);

    // Every planned request, once: each agent did its third.
    assert_eq!(merged["requests"], 300, "{merged:#}");
    assert_eq!(merged["status_counts"]["200"], 300);
    assert_eq!(server.hits(), 300);
    let agents: Vec<Value> = files.iter().map(|f| read(f)).collect();
    for (i, a) in agents.iter().enumerate() {
        assert_valid(&validator, a);
        assert_eq!(a["requests"], 100, "agent {i}");
        assert_eq!(a["run"]["shard"]["index"], i);
        assert!(
            a["histogram_uncorrected_b64"].is_string(),
            "agent {i} keeps both histograms"
        );
    }
    assert_eq!(merged["run"]["agents"].as_array().unwrap().len(), 3);
    assert_eq!(merged["connections"], 24);

    // The merged histogram is exactly the union of the agents' histograms.
    let mut union = record::new_histogram();
    for a in &agents {
        union.add(hist(a)).unwrap();
    }
    assert_eq!(hist(&merged), union);
    let exact = record::stats(&union);
    assert_eq!(
        us(&merged["latency"]["p50_us"]),
        Duration::from_micros(exact.p50_us)
    );
    assert_eq!(
        us(&merged["latency"]["p99_us"]),
        Duration::from_micros(exact.p99_us)
    );
    assert_eq!(merged["latency"]["count"], 300);

    // A single process running the same plan: same count, and p50/p99 both
    // within [DELAY, DELAY + SLACK] like the merge's.
    let mut args = vec!["load", url.as_str(), "--json", "--histogram"];
    args.extend_from_slice(&PLAN);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    let single: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(single["requests"], merged["requests"]);
    for q in ["p50_us", "p99_us"] {
        for (who, report) in [("merged", &merged), ("single", &single)] {
            let v = us(&report["latency"][q]);
            assert!(
                v >= DELAY && v <= DELAY + SLACK,
                "{who} {q} = {v:?}, outside {DELAY:?} + {SLACK:?}"
            );
        }
    }

    // The terminal summary of the merge is the load summary, with the agents named.
    let mut args = vec!["merge"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let (code, text, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        text.contains("open loop at 300 req/s · 24 connections · 300 requests"),
        "{text}"
    );
    assert!(text.contains("Agents      3 merged (0/3 "), "{text}");
    assert!(text.contains("Status      200 × 300"), "{text}");
}

#[test]
fn a_stall_seen_by_one_agent_is_in_the_merge() {
    let _one_at_a_time = TIMED.lock().unwrap_or_else(|e| e.into_inner());
    const STALL: Duration = Duration::from_millis(250);
    // The server stalls every request of the agent that says it is agent 1.
    let server = spawn_with(|req, _| Reply {
        delay: if req.header("x-agent") == Some("1") {
            STALL
        } else {
            Duration::from_millis(2)
        },
        ..Reply::ok("ok")
    });
    let dir = tempfile::tempdir().unwrap();
    let files = three_agents(
        &server.url("/"),
        dir.path(),
        [&[], &["-H", "X-Agent: 1"], &[]],
    );
    let merged = merge_json(&files);
    let agents: Vec<Value> = files.iter().map(|f| read(f)).collect();
    assert!(
        us(&agents[1]["latency"]["p50_us"]) >= STALL,
        "{:#}",
        agents[1]["latency"]
    );
    for i in [0, 2] {
        assert!(
            us(&agents[i]["latency"]["p99_us"]) < STALL / 2,
            "agent {i}: {:#}",
            agents[i]["latency"]
        );
    }
    // A third of all requests stalled: the merged p90 and p99 show it, and
    // the worst latency is agent 1's.
    assert!(
        us(&merged["latency"]["p90_us"]) >= STALL,
        "{:#}",
        merged["latency"]
    );
    assert!(us(&merged["latency"]["p99_us"]) >= STALL);
    assert_eq!(merged["latency"]["max_us"], agents[1]["latency"]["max_us"]);
    // Agent 1's sends queued behind its stalled connections: late, and summed.
    let late: Vec<u64> = agents
        .iter()
        .map(|a| a["late_sends"].as_u64().unwrap())
        .collect();
    assert!(late[1] > 50, "{late:?}");
    assert_eq!(
        merged["late_sends"].as_u64().unwrap(),
        late.iter().sum::<u64>()
    );
}

#[test]
fn agent_flags_refuse_bad_input_with_exit_2() {
    let url = "http://127.0.0.1:1/";
    let past = ringside::load::shard::rfc3339(SystemTime::now() - Duration::from_secs(30));
    let cases: &[(&[&str], &str)] = &[
        (&[url, "--shard", "3/3"], "--shard `3/3`"),
        (&[url, "--shard", "one"], "INDEX/COUNT"),
        (&[url, "--shards", "3"], "JOB_COMPLETION_INDEX"),
        (
            &[url, "--shard", "0/3", "-c", "2"],
            "--connections 2 cannot be split over 3 agents",
        ),
        (
            &[url, "--shard", "0/3", "-n", "2"],
            "--requests 2 cannot be split",
        ),
        (&[url, "--start-at", &past], "in the past"),
        (&[url, "--start-at", "+3h"], "bound"),
        (&[url, "--start-at", "noon"], "RFC 3339"),
        (
            &[
                "--ws",
                "ws://127.0.0.1:1/ws/chat",
                "--shard",
                "0/3",
                "--rooms",
                "2",
                "--clients",
                "10",
            ],
            "--rooms 2 cannot be split",
        ),
    ];
    for (args, needle) in cases {
        let mut full = vec!["load"];
        full.extend_from_slice(args);
        let (code, _, stderr) = run(&full);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn a_kubernetes_index_picks_the_shard() {
    let server = spawn(|_, _| Reply::ok("ok"));
    let child = ringside()
        .args([
            "load",
            &server.url("/"),
            "-n",
            "9",
            "-c",
            "3",
            "--shards",
            "3",
            "--json",
        ])
        .env("JOB_COMPLETION_INDEX", "2")
        .env("POD_NAME", "ringside-load-2-abcde")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut agents = Agents(vec![child]);
    let (code, stdout, stderr) = wait_output(&mut agents.0[0], Duration::from_secs(30));
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["run"]["shard"],
        serde_json::json!({"index": 2, "count": 3})
    );
    assert_eq!(report["run"]["agents"][0]["pod"], "ringside-load-2-abcde");
    assert_eq!(report["requests"], 3, "a third of -n 9");
    assert_eq!(report["connections"], 1, "a third of -c 3");
    assert!(
        report["histogram_b64"].is_string(),
        "an agent always keeps its histogram"
    );
}

#[test]
fn merge_refuses_reports_that_do_not_belong_together() {
    let server = spawn(|_, _| Reply::ok("ok"));
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(&[
        "load",
        &server.url("/a"),
        "--rate",
        "200",
        "-n",
        "10",
        "-c",
        "2",
        "--shard",
        "0/2",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let agent0: Value = serde_json::from_str(&stdout).unwrap();
    let write = |name: &str, value: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, value.to_string()).unwrap();
        path.to_str().unwrap().to_string()
    };
    let a0 = write("a0.json", &agent0);
    let mut agent1 = agent0.clone();
    agent1["run"]["shard"]["index"] = 1.into();
    agent1["run"]["agents"][0]["shard"]["index"] = 1.into();
    let a1 = write("a1.json", &agent1);

    let variant = |name: &str, change: &dyn Fn(&mut Value)| {
        let mut v = agent1.clone();
        change(&mut v);
        write(name, &v)
    };
    let schema2 = variant("schema2.json", &|v| v["schema"] = "ringside.load/2".into());
    let other_url = variant("url.json", &|v| {
        v["run"]["urls"][0] = "http://127.0.0.1:9/b".into()
    });
    let closed = variant("closed.json", &|v| v["mode"] = "closed".into());
    let three = variant("three.json", &|v| {
        v["run"]["agents"][0]["shard"]["count"] = 3.into()
    });
    let no_hist = variant("nohist.json", &|v| v["histogram_b64"] = Value::Null);
    let whole = variant("whole.json", &|v| {
        v["run"]["agents"][0]["shard"] = Value::Null
    });
    let results = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/results/full.json"
    );
    let text = dir.path().join("error.json");
    std::fs::write(&text, "error: --start-at `x` is in the past\n").unwrap();
    let text = text.to_str().unwrap();

    let cases: [(&[&str], String); 8] = [
        (
            &[&a0, &schema2],
            format!("{schema2}: field `schema` is `ringside.load/2`"),
        ),
        (&[&a0, &other_url], format!("{other_url}: field `run.urls`")),
        (
            &[&a0, &closed],
            format!("{closed}: field `mode` is `closed`"),
        ),
        (
            &[&a0, &a0],
            format!("{a0}: field `run.shard` 0/2 duplicates the agent in {a0}"),
        ),
        (&[&a0, &three], format!("{three}: field `run.shard` is 1/3")),
        (
            &[&a0, &no_hist],
            format!("{no_hist}: field `histogram_b64` is missing"),
        ),
        (
            &[&a0, &whole],
            format!("{whole}: field `run.shard` is null"),
        ),
        (
            &[&a0, results],
            format!(
                "field `schema` is `ringside.results/2`, but {a0} is `ringside.load/1`: results files merge only with results files"
            ),
        ),
    ];
    for (inputs, needle) in &cases {
        let mut args = vec!["merge"];
        args.extend_from_slice(inputs);
        let (code, _, stderr) = run(&args);
        assert_eq!(code, 2, "{inputs:?}: {stderr}");
        assert!(
            stderr.contains(needle.as_str()),
            "{inputs:?}:\n{stderr}\nwanted: {needle}"
        );
    }
    let (code, _, stderr) = run(&["merge", &a0, text]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("starts with `error: --start-at"),
        "{stderr}"
    );

    // `kubectl logs` of an agent shows its stderr warnings around the JSON:
    // accepted, also on standard input; a folder is read whole.
    let mut child = ringside()
        .args(["merge", "--json", &a0, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(
            stdin,
            "{agent1:#}\nwarning: the target rate was not reached"
        )
        .unwrap();
    }
    let mut agents = Agents(vec![child]);
    let (code, stdout, stderr) = wait_output(&mut agents.0[0], Duration::from_secs(30));
    assert_eq!(code, 0, "{stderr}");
    let merged: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(merged["requests"], 2 * agent0["requests"].as_u64().unwrap());
    let only = tempfile::tempdir().unwrap();
    std::fs::copy(&a0, only.path().join("a0.json")).unwrap();
    std::fs::copy(&a1, only.path().join("a1.json")).unwrap();
    let (code, stdout, stderr) = run(&["merge", "--json", only.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let from_folder: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(from_folder["latency"], merged["latency"]);
    assert!(
        !from_folder["warnings"].to_string().contains("missing"),
        "both shards present: {}",
        from_folder["warnings"]
    );
    let (code, stdout, _) = run(&["merge", "--json", &a0]);
    assert_eq!(code, 0);
    assert!(stdout.contains("shard(s) 1/2 missing"), "{stdout}");
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
