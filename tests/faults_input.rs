//! The fault suite's hostile input and hostile servers (issue 24): a server
//! sending an endless body, files too large or full of NUL bytes, headers
//! that would inject a header line, a shell-breaking namespace, and a server
//! that stalls inside every measuring window. Each asserts the exit code, a
//! sentence naming the thing, and that output and memory stay bounded.

mod suite_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use suite_support::*;

/// What a finished child left: exit code, stdout, stderr, peak RSS in KiB.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
    max_rss_kib: i64,
}

/// Runs `cmd` to its end and reads its peak memory from `wait4`.
// The child is reaped by `wait4` below, which also gives its rusage.
#[allow(clippy::zombie_processes)]
fn run_measured(mut cmd: Command) -> Ran {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).unwrap();
        s
    });
    let mut stderr = Vec::new();
    err.read_to_end(&mut stderr).unwrap();
    let stdout = reader.join().unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 on our child");
    Ran {
        code: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        max_rss_kib: usage.ru_maxrss,
    }
}

fn ringside(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringside"));
    cmd.args(args);
    cmd
}

/// A sparse file of `len` zero bytes: no disk used.
fn zero_file(path: &Path, len: u64) {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

const GIB: u64 = 1 << 30;

/// A bad file is refused with a short sentence, exit 2, and a small process.
fn assert_refused_small(ran: &Ran, what: &str, needle: &str) {
    assert_eq!(ran.code, 2, "{what}: {}", ran.stderr);
    assert!(
        ran.stderr.len() < 10 * 1024,
        "{what}: {} bytes of stderr",
        ran.stderr.len()
    );
    assert!(ran.stderr.contains(needle), "{what}: {}", ran.stderr);
    assert!(
        !ran.stderr.contains('\0'),
        "{what}: a raw NUL reached stderr"
    );
    assert!(
        ran.max_rss_kib < 100 * 1024,
        "{what}: peak RSS {} KiB",
        ran.max_rss_kib
    );
}

#[test]
fn one_gib_zero_files_are_refused_before_they_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("zeros");
    zero_file(&big, GIB);
    let big_s = big.to_str().unwrap();
    let full = root().join("tests/fixtures/results/full.json");
    let resume = dir.path().join("run");
    std::fs::create_dir(&resume).unwrap();
    zero_file(&resume.join("results.json"), GIB);
    let cases: [(&str, Vec<&str>, &str); 5] = [
        (
            "report",
            vec!["report", big_s, "--print"],
            "a results file is at most 64 MiB",
        ),
        (
            "recommend --profile-file",
            vec!["recommend", full.to_str().unwrap(), "--profile-file", big_s],
            "a profile is at most 1 MiB",
        ),
        ("merge", vec!["merge", big_s], "a report is at most 64 MiB"),
        (
            "verify --stack",
            vec!["verify", "--stack", big_s],
            "a stack manifest is at most 1 MiB",
        ),
        (
            "run --resume",
            vec!["run", "--resume", resume.to_str().unwrap()],
            "a results file is at most 64 MiB",
        ),
    ];
    for (what, args, needle) in cases {
        let mut cmd = ringside(&args);
        cmd.env("RINGSIDE_RUN_DIR", dir.path().join("runs"));
        let ran = run_measured(cmd);
        assert_refused_small(&ran, what, needle);
        assert!(ran.stderr.contains("it is 1 GiB"), "{what}: {}", ran.stderr);
    }
}

#[test]
fn nul_filled_files_under_the_bound_are_quoted_escaped_and_short() {
    let dir = tempfile::tempdir().unwrap();
    // 512 KiB of NUL bytes on one line: under every bound, so it is parsed.
    let nul = dir.path().join("nul.toml");
    std::fs::write(&nul, vec![0u8; 512 << 10]).unwrap();
    let nul_s = nul.to_str().unwrap();
    let full = root().join("tests/fixtures/results/full.json");
    let cases: [(&str, Vec<&str>); 4] = [
        ("report", vec!["report", nul_s, "--print"]),
        (
            "recommend --profile-file",
            vec!["recommend", full.to_str().unwrap(), "--profile-file", nul_s],
        ),
        ("merge", vec!["merge", nul_s]),
        ("verify --stack", vec!["verify", "--stack", nul_s]),
    ];
    for (what, args) in cases {
        let mut cmd = ringside(&args);
        cmd.env("RINGSIDE_RUN_DIR", dir.path().join("runs"));
        let ran = run_measured(cmd);
        assert_refused_small(&ran, what, "nul.toml");
        assert!(ran.stdout.is_empty(), "{what}: {}", ran.stdout);
    }
    // The TOML readers quote where, and an escaped excerpt.
    let ran = run_measured(ringside(&["verify", "--stack", nul_s]));
    assert!(
        ran.stderr.contains("line 1, column ") && ran.stderr.contains("\\0\\0"),
        "{}",
        ran.stderr
    );
}

/// A server whose `/health` is fine and whose `/plaintext` body never ends;
/// it counts the body bytes it got onto the wire.
fn endless_body_server() -> (u16, Arc<AtomicU64>, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let (s, d) = (sent.clone(), done.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (s, d) = (s.clone(), d.clone());
            std::thread::spawn(move || serve_endless(stream, &s, &d));
        }
    });
    (port, sent, done)
}

fn serve_endless(stream: TcpStream, sent: &AtomicU64, done: &AtomicBool) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
        }
        if request_line.starts_with("GET /health ") {
            let _ = out.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
            );
            continue;
        }
        let _ = out.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let chunk = vec![b'x'; 64 << 10];
        let head = format!("{:x}\r\n", chunk.len());
        loop {
            let wrote = out
                .write_all(head.as_bytes())
                .and_then(|()| out.write_all(&chunk))
                .and_then(|()| out.write_all(b"\r\n"));
            if wrote.is_err() {
                done.store(true, Ordering::SeqCst);
                return;
            }
            sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn verify_stops_reading_an_endless_body_at_its_cap() {
    let (port, sent, done) = endless_body_server();
    let mut target =
        ringside::verify::http::Target::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    target.max_body = 1 << 20;
    let started = Instant::now();
    let err = ringside::verify::http::get(&target, "/plaintext", Duration::from_secs(20))
        .await
        .unwrap_err();
    assert!(err.starts_with("response body exceeds 1 MiB"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The connection is dropped at the cap: the server's next writes fail.
    // (An async sleep: the runtime must run to close the aborted connection.)
    let until = Instant::now() + Duration::from_secs(5);
    while !done.load(Ordering::SeqCst) && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(done.load(Ordering::SeqCst), "the server is still writing");
    // What the server got onto the wire: the cap, plus what the two
    // sockets' buffers held (a few MiB on loopback) — not the gigabytes an
    // unbounded read takes in the same time.
    let wrote = sent.load(Ordering::SeqCst);
    assert!(wrote < (1 << 20) + (24 << 20), "{wrote} bytes sent");
}

#[test]
fn verify_url_fails_an_endless_body_with_a_sentence() {
    let (port, _, _) = endless_body_server();
    let url = format!("http://127.0.0.1:{port}");
    let ran = run_measured(ringside(&[
        "verify",
        "--url",
        &url,
        "--scenarios",
        "plaintext",
        "--max-body",
        "2MiB",
    ]));
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains("response body exceeds 2 MiB"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.max_rss_kib < 100 * 1024,
        "peak RSS {} KiB",
        ran.max_rss_kib
    );
    let bad = run_measured(ringside(&["verify", "--url", &url, "--max-body", "lots"]));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--max-body"), "{}", bad.stderr);
}

#[test]
fn header_injection_is_refused_naming_the_header() {
    // Port 1: nothing may be sent, the flags are refused first.
    for args in [
        vec![
            "load",
            "http://127.0.0.1:1/",
            "-d",
            "1s",
            "-H",
            "X-Ok: 1",
            "-H",
            "X: a\r\nInjected: 1",
        ],
        vec![
            "k8s",
            "load",
            "http://127.0.0.1:1/",
            "--agents",
            "2",
            "--image",
            "r:1",
            "-d",
            "5s",
            "-H",
            "X: a\nInjected: 1",
        ],
    ] {
        let ran = run_measured(ringside(&args));
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
        assert!(
            ran.stderr.contains("--header `X: a\\")
                && ran.stderr.contains("the value of `X` holds CR, LF"),
            "{args:?}: {}",
            ran.stderr
        );
        assert!(!ran.stderr.contains('\r'), "{}", ran.stderr);
        assert!(ran.stdout.is_empty(), "{}", ran.stdout);
    }
    let ran = run_measured(ringside(&["load", "http://127.0.0.1:1/", "-H", "X Y: 1"]));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
}

#[test]
fn a_namespace_that_is_not_a_dns_label_is_refused() {
    for sub in ["load", "run"] {
        let mut args = vec!["k8s", sub];
        if sub == "load" {
            args.extend(["http://127.0.0.1:1/", "--agents", "2", "-d", "5s"]);
        }
        args.extend(["--image", "r:1", "--namespace", "x;y"]);
        let ran = run_measured(ringside(&args));
        assert_eq!(ran.code, 2, "{sub}: {}", ran.stderr);
        assert!(
            ran.stderr
                .contains("--namespace `x;y`: a namespace is a DNS-1123 label"),
            "{sub}: {}",
            ran.stderr
        );
        assert!(
            ran.stdout.is_empty(),
            "{sub}: no manifest written: {}",
            ran.stdout
        );
    }
}

#[test]
fn a_server_that_stalls_in_every_window_is_flagged_measured_again_and_never_judged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let manifest = fixture("faulty-stall");
    let mut cmd = run_cmd(
        &out,
        "stall-fixture",
        &[
            "--stack",
            manifest.to_str().unwrap(),
            "--scenarios",
            "plaintext",
            "--out",
            out.to_str().unwrap(),
            // A 3 s window holds one whole 0.8 s pause of a 2 s period.
            "--duration",
            "3s",
            "--slices",
            "1",
            "--trials",
            "1",
            "--warmup",
            "100ms",
            "--concurrency",
            "4",
            "--rates",
            "20",
            "--capacity-steps",
            "0",
        ],
    );
    cmd.env("RINGSIDE_RUN_DIR", dir.path().join("runs"));
    let ran = run_measured(cmd);
    let (doc, results) = read_results(&out);
    assert!(schema_errors(&doc).is_empty(), "{:?}", schema_errors(&doc));
    let peaks: Vec<_> = results
        .points
        .iter()
        .filter(|p| matches!(p.kind, ringside::results::PointKind::Peak { .. }))
        .collect();
    assert_eq!(
        peaks.len(),
        2,
        "the stalled point and its re-measurement: {peaks:#?}"
    );
    let stall = |p: &ringside::results::Point| {
        p.flags.iter().find_map(|f| match f {
            ringside::results::Flag::Stalled {
                longest_s,
                recurred,
                ..
            } => Some((*longest_s, *recurred)),
            _ => None,
        })
    };
    let (first, again) = (stall(peaks[0]).unwrap(), stall(peaks[1]).unwrap());
    assert!(
        !first.1 && !peaks[0].valid,
        "set aside: {:?}",
        peaks[0].flags
    );
    assert!(again.1, "recurred: {:?}", peaks[1].flags);
    for (longest, _) in [first, again] {
        assert!(
            (0.5..=1.2).contains(&longest),
            "a 0.8 s pause read as {longest} s"
        );
    }
    let text = format!("{}{}", ran.stdout, ran.stderr);
    assert!(text.contains("the server stalled for"), "{text}");
    assert!(text.contains("stalled again"), "{text}");
    assert!(
        text.contains("stalls ≤"),
        "the table names the stalls: {text}"
    );
    assert!(
        text.contains("not evidence"),
        "no verdict rests on it: {text}"
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("server stalled for"), "{summary}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("server stalled for"));
}
