//! A run that knows when it is not alone, and never loses a trial in
//! silence (issue 22), through the real binary: two runs started together
//! (the second waits, or exits 2 with `--no-wait`), `--shared-machine`
//! flags every figure, a busy loop on the measured cores flags the points,
//! a server that dies at each phase boundary leaves a record and "n of m"
//! trials, a silent server under `load -d 1s` ends within the grace, and a
//! run under a file-size limit ends with a sentence and a valid file.

mod suite_support;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ringside::proc::machine_lock;
use ringside::results::{Flag, Results};
use ringside::scenario::Scenario;
use suite_support::*;

/// Short points, no capacity search, the default warm-up (seconds of load:
/// the gap a fragile server dies in while the other stack is warmed).
const SHORT: [&str; 8] = [
    "--duration",
    "1s",
    "--concurrency",
    "4",
    "--rates",
    "20",
    "--capacity-steps",
    "0",
];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `ringside run` of `stacks` (fixture names) on `scenarios`, its machine
/// lock at `lock`.
fn run(out: &Path, tag: &str, lock: &Path, stacks: &[&str], scenarios: &str) -> Command {
    let manifests: Vec<String> = stacks
        .iter()
        .map(|s| fixture(s).to_str().unwrap().to_string())
        .collect();
    let mut args: Vec<&str> = Vec::new();
    for m in &manifests {
        args.extend(["--stack", m.as_str()]);
    }
    args.extend(["--scenarios", scenarios, "--out", out.to_str().unwrap()]);
    args.extend_from_slice(&SHORT);
    let mut cmd = run_cmd(out, tag, &args);
    cmd.env("RINGSIDE_MACHINE_LOCK", lock)
        .env("RINGSIDE_RUN_DIR", out.parent().unwrap().join("runs"));
    cmd
}

/// Waits until some process holds the machine lock at `lock`.
fn wait_until_held(lock: &Path, child: &mut Child) {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < until, "the lock was never taken");
        assert!(child.try_wait().unwrap().is_none(), "the first run ended");
        if lock.exists() && machine_lock::try_lock(lock).unwrap().is_none() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn finished(child: Child) -> Output {
    child.wait_with_output().unwrap()
}

#[test]
fn a_second_run_waits_for_the_first_or_exits_2_with_no_wait() {
    let tmp = tempfile::tempdir().unwrap();
    let lock = tmp.path().join("machine.lock");
    let tag = tag();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let mut first = run(&a, &tag, &lock, &["suite-py"], "json")
        .args(["--trials", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_held(&lock, &mut first);
    let pid = first.id().to_string();

    let o = run(&b, &tag, &lock, &["suite-py"], "json")
        .args(["--trials", "1", "--no-wait"])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    // The holder by pid, user, start time and command; how to skip the wait.
    let holder = format!("pid {pid} (user ");
    assert!(
        err.contains("another ringside is measuring on this machine")
            && err.contains(&holder)
            && err.contains(", started ")
            && err.contains(" run --plain --stack ")
            && err.contains("pass --shared-machine to measure anyway"),
        "{err}"
    );
    assert!(
        !b.join("results.json").exists(),
        "nothing measured: {}",
        b.display()
    );

    let second = run(&c, &tag, &lock, &["suite-py"], "json")
        .args(["--trials", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let one = finished(first);
    let first_done = Instant::now();
    let two = finished(second);
    assert!(one.status.success(), "{}", text(&one.stderr));
    let err = text(&two.stderr);
    assert!(two.status.success(), "{err}");
    assert!(
        err.contains("waiting for the machine: another ringside is measuring on it")
            && err.contains(&holder)
            && err.contains(", started ")
            && err.contains(" run --plain --stack ")
            && err.contains("--no-wait exits at once; --shared-machine measures anyway"),
        "{err}"
    );
    assert!(err.contains("the machine is free"), "{err}");
    // The second measured only after the first had finished.
    let (_, r1) = read_results(&a);
    let (_, r2) = read_results(&c);
    assert!(r2.started_at >= r1.finished_at.unwrap(), "{first_done:?}");
    for r in [&r1, &r2] {
        assert!(
            r.points
                .iter()
                .all(|p| !p.flags.contains(&Flag::SharedMachine))
        );
    }
}

#[test]
fn shared_machine_measures_beside_a_held_lock_and_flags_every_figure() {
    let tmp = tempfile::tempdir().unwrap();
    let lock = tmp.path().join("machine.lock");
    let _held = machine_lock::try_lock(&lock).unwrap().expect("free");
    let tag = tag();
    // Two at once beside the held lock: neither waits, both flag everything.
    let outs = [tmp.path().join("a"), tmp.path().join("b")];
    let runs: Vec<Child> = outs
        .iter()
        .map(|out| {
            run(out, &tag, &lock, &["suite-py"], "json")
                .args(["--trials", "1", "--shared-machine"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (o, out) in runs.into_iter().map(finished).zip(&outs) {
        let err = text(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(!err.contains("waiting for the machine"), "{err}");
        let (doc, r) = read_results(out);
        assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
        assert!(!r.points.is_empty());
        assert!(
            r.points
                .iter()
                .all(|p| p.flags.contains(&Flag::SharedMachine)),
            "every point flagged"
        );
        let table = text(&o.stdout);
        assert!(table.contains("not evidence"), "{table}");
    }
}

#[test]
fn a_busy_loop_on_the_measured_cores_flags_the_points() {
    let tmp = tempfile::tempdir().unwrap();
    let lock = tmp.path().join("machine.lock");
    let out = tmp.path().join("out");
    let tag = tag();
    // A competitor on every core the run measures (server core 0, generator core 1).
    let mut hogs: Vec<Child> = (0..2)
        .map(|core| {
            Command::new("python3")
                .args([
                    "-c",
                    &format!(
                        "import os,time\nos.sched_setaffinity(0,{{{core}}})\nend=time.time()+120\nwhile time.time()<end: pass"
                    ),
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    let o = run(&out, &tag, &lock, &["suite-py"], "json")
        .args(["--trials", "1"])
        .output()
        .unwrap();
    for h in &mut hogs {
        let _ = h.kill();
        let _ = h.wait();
    }
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (doc, r) = read_results(&out);
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    assert!(!r.points.is_empty());
    for p in &r.points {
        let f = p.foreign_cpu.as_ref().expect("foreign CPU recorded");
        assert!(f.share > 0.2, "two busy loops: {f:?}");
        assert!(
            p.flags
                .iter()
                .any(|f| matches!(f, Flag::ForeignCpu { share } if *share > 0.2)),
            "{:?}",
            p.flags
        );
    }
    let err = text(&o.stderr);
    assert!(err.contains("busy with other processes"), "{err}");
    assert!(err.contains("other processes used"), "{err}");
    assert!(text(&o.stdout).contains("not evidence"));
}

/// Runs suite-fragile beside suite-killer (a run given its scenarios: one
/// round a trial, every scenario in each, the stacks' order rotated a round), which
/// kills it with SIGKILL when the killer reaches `kill_at` ("launch",
/// "load:N") in round `round`; with `refuse`, the fragile server cannot be
/// relaunched until the next round. Returns the output and results.
fn killed_run(
    kill_at: &str,
    round: u32,
    refuse: bool,
    scenarios: &str,
    extra: &[&str],
) -> (Output, Results) {
    let tmp = tempfile::tempdir().unwrap();
    let lock = tmp.path().join("machine.lock");
    let out = tmp.path().join("out");
    let tag = tag();
    let mut cmd = run(
        &out,
        &tag,
        &lock,
        &["suite-fragile", "suite-killer"],
        scenarios,
    );
    cmd.args(extra)
        .env("KILL_AT", kill_at)
        .env("KILL_START", round.to_string())
        .env("KILL_DONE", tmp.path().join("killed"))
        .env("FRAGILE_PID", tmp.path().join("fragile.pid"));
    if refuse {
        cmd.env("FRAGILE_REFUSE", tmp.path().join("refuse"));
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(tmp.path().join("killed").exists(), "the killer never fired");
    let (doc, r) = read_results(&out);
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    assert!(tagged_processes(&tag).is_empty(), "no process left");
    (o, r)
}

/// Every planned (trial, scenario) of suite-fragile has a valid point or a
/// failure record of that trial; returns the fragile stack's failures.
fn nothing_lost_in_silence(r: &Results, scenarios: &[Scenario]) -> Vec<String> {
    let rec = r.stacks.iter().find(|s| s.name == "suite-fragile").unwrap();
    for round in &r.rounds {
        let planned = |sc: &Scenario| {
            round.scenarios.contains(sc) && round.stacks.iter().any(|s| s == "suite-fragile")
        };
        for &sc in scenarios.iter().filter(|sc| planned(sc)) {
            let measured = r.points.iter().any(|p| {
                p.stack == "suite-fragile" && p.scenario == sc && p.trial == round.number && p.valid
            });
            let recorded = rec.failures.iter().any(|f| {
                f.trial == Some(round.number) && (f.scenario == Some(sc) || f.scenario.is_none())
            });
            assert!(
                measured || recorded,
                "trial {} of {sc} lost in silence: {:#?}",
                round.number,
                rec.failures
            );
        }
    }
    rec.failures.iter().map(|f| f.message.clone()).collect()
}

/// The terminal's row of suite-fragile in the table of `scenario`.
fn fragile_row(o: &Output, scenario: &str) -> String {
    let table = text(&o.stdout);
    let from = table
        .find(&format!("\n{scenario}\n"))
        .unwrap_or_else(|| panic!("no {scenario} table: {table}"));
    table[from..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .find(|l| l.contains("suite-fragile"))
        .unwrap_or_else(|| panic!("{table}"))
        .to_string()
}

/// The record of the death, on disk and on the terminal.
fn death_recorded(o: &Output, failures: &[String], before: &str) {
    let m = failures
        .iter()
        .find(|m| m.starts_with(&format!("server exited before the {before}")))
        .unwrap_or_else(|| panic!("no 'before the {before}' record: {failures:#?}"));
    assert!(m.contains("(signal 9)") || m.contains("signal: 9"), "{m}");
    assert!(
        text(&o.stderr).contains(&format!("suite-fragile: server exited before the {before}")),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_server_killed_after_launch_loses_its_trial_on_record_1_of_2() {
    // Killed while the killer is launched: after its own launch and
    // verification, before its warm-up; relaunch refused for the round.
    let (o, r) = killed_run(
        "launch",
        1,
        true,
        "json",
        &["--trials", "2", "--slices", "2"],
    );
    let failures = nothing_lost_in_silence(&r, &[Scenario::Json]);
    death_recorded(&o, &failures, "warm-up of json trial 1");
    assert!(
        failures
            .iter()
            .any(|m| m
                == "json trial 1: not measured from the warm-up on: the server is not running"),
        "{failures:#?}"
    );
    let row = fragile_row(&o, "json");
    assert!(row.contains("1 of 2") && row.contains("lost"), "{row}");
}

#[test]
fn a_server_killed_after_its_warm_up_loses_its_trial_on_record_1_of_2() {
    // Killed during the killer's warm-up (its first load): after its own
    // warm-up, before its first slice.
    let (o, r) = killed_run(
        "load:1",
        1,
        true,
        "json",
        &["--trials", "2", "--slices", "2"],
    );
    let failures = nothing_lost_in_silence(&r, &[Scenario::Json]);
    death_recorded(&o, &failures, "slice 1 of peak c=4 of json trial 1");
    assert!(
        failures
            .iter()
            .any(|m| m.starts_with("json trial 1: not measured from the slice 1 of peak c=4 on")),
        "{failures:#?}"
    );
    let row = fragile_row(&o, "json");
    assert!(row.contains("1 of 2") && row.contains("lost"), "{row}");
}

#[test]
fn a_server_killed_between_slices_is_recorded_relaunched_and_its_slice_measured() {
    // Three slices, in the order killer|fragile, fragile|killer,
    // killer|fragile: the killer's second slice (its third load) falls
    // between the fragile server's second and third.
    let (o, r) = killed_run(
        "load:3",
        1,
        false,
        "json",
        &["--trials", "1", "--slices", "3"],
    );
    let failures = nothing_lost_in_silence(&r, &[Scenario::Json]);
    death_recorded(&o, &failures, "slice 3 of peak c=4 of json trial 1");
    let mut slices: Vec<u32> = r
        .points
        .iter()
        .filter(|p| p.stack == "suite-fragile" && p.valid)
        .filter(|p| matches!(p.kind, ringside::results::PointKind::Peak { .. }))
        .map(|p| p.slice)
        .collect();
    slices.sort_unstable();
    assert_eq!(
        slices,
        vec![0, 1, 2],
        "the third slice measured after the relaunch"
    );
    // A fresh server is warmed again before its slice.
    let warmups = r
        .warmups
        .iter()
        .filter(|w| w.stack == "suite-fragile")
        .count();
    assert_eq!(warmups, 2);
    let row = fragile_row(&o, "json");
    assert!(!row.contains(" of ") && !row.contains("lost"), "{row}");
}

#[test]
fn a_server_killed_between_scenarios_loses_the_next_ones_trial_on_record_1_of_2() {
    // Round 2 (killer first): json's warm-ups, two slices (killer|fragile,
    // fragile|killer: the killer's third load) and the fixed rates
    // (killer|fragile, too short to count), then plaintext's warm-up, the
    // killer's fourth load, before the fragile server's.
    let (o, r) = killed_run(
        "load:4",
        2,
        true,
        "json,plaintext",
        &["--trials", "2", "--slices", "2"],
    );
    let failures = nothing_lost_in_silence(&r, &[Scenario::Json, Scenario::Plaintext]);
    death_recorded(&o, &failures, "warm-up of plaintext trial 2");
    let json = fragile_row(&o, "json");
    assert!(!json.contains(" of "), "json was measured whole: {json}");
    let plaintext = fragile_row(&o, "plaintext");
    assert!(
        plaintext.contains("1 of 2") && plaintext.contains("lost"),
        "{plaintext}"
    );
}

#[test]
fn load_against_a_silent_server_ends_within_the_grace() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s); // accepted, never answered
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .env("RINGSIDE_MACHINE_LOCK", tmp.path().join("m.lock"))
        .args(["load", "-c", "4", "-d", "1s"])
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .unwrap();
    let took = started.elapsed();
    // 1 s window + 1 s grace (+ start-up and the backstop).
    assert!(took < Duration::from_millis(3500), "took {took:?}");
    assert_eq!(o.status.code(), Some(1));
    let said = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(
        said.contains(
            "4 requests were still unanswered at the deadline (the 1s window + 1s grace)"
        ),
        "{said}"
    );
}

#[test]
fn a_file_size_limit_ends_the_run_with_a_sentence_and_a_valid_file() {
    let tmp = tempfile::tempdir().unwrap();
    let lock = tmp.path().join("machine.lock");
    let out = tmp.path().join("out");
    let tag = tag();
    let cmd = run(&out, &tag, &lock, &["suite-py"], "json,plaintext");
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("ulimit -f 16; exec \"$0\" \"$@\"")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .args(["--trials", "2"]);
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            sh.env(k, v);
        }
    }
    let o = sh.output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let file = out.join("results.json");
    assert!(
        err.contains(&format!(
            "cannot write results.json: the file-size limit (ulimit -f) is reached; results so far are in {}",
            file.display()
        )),
        "{err}"
    );
    let (doc, r) = read_results(&out);
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    assert!(r.finished_at.is_none());
    assert!(tagged_processes(&tag).is_empty(), "no process left");
}

#[test]
fn ws_load_against_a_silent_server_ends_within_the_drain_and_the_grace() {
    // Accepts connections and never answers a handshake.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .env("RINGSIDE_MACHINE_LOCK", tmp.path().join("m.lock"))
        .args(["load", "--ws", "--clients", "100", "--rooms", "10"])
        .args(["-d", "1s", "--drain", "1s"])
        .arg(format!("ws://127.0.0.1:{port}/ws/chat"))
        .output()
        .unwrap();
    let took = started.elapsed();
    // 1 s window + 1 s drain + 1 s grace (+ start-up); without the deadline
    // the handshakes waited 5 s each, two batches of 64: 10 s.
    assert!(took < Duration::from_millis(4500), "took {took:?}");
    assert!(took >= Duration::from_millis(2900), "took {took:?}");
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no WebSocket client could connect (100 attempts failed; first: handshake unanswered at the run's deadline)"),
        "{err}"
    );
}
