//! End-to-end tests of `ringside load --http2` against in-process HTTP/2
//! servers (the `h2` crate's): exact `-n`, streams really concurrent on one
//! connection, coordinated-omission correction per stream, RST_STREAM and
//! GOAWAY counted as errors, TLS with ALPN, and an HTTP/1.1-only server
//! refused with a clear message. The in-process tests run against both
//! HTTP/2 clients (`lean`, the default, and `h2-crate`).

mod h2_support;
mod load_support;

use std::time::{Duration, Instant};

use h2_support::{Action, spawn, tls_config};
use ringside::load::config::{H2Client, Protocol, Stop};
use ringside::load::{LoadConfig, LoadReport, execute};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn h2(client: H2Client, url: &str, connections: usize, streams: usize) -> LoadConfig {
    let mut cfg = LoadConfig::closed(url.parse().unwrap(), connections, Duration::from_secs(5));
    cfg.protocol = Protocol::Http2;
    cfg.streams = streams;
    cfg.h2_client = client;
    cfg
}

/// Runs each named test (a `fn(H2Client)`) once per HTTP/2 client.
macro_rules! with_both_clients {
    ($($name:ident),* $(,)?) => {
        mod lean {
            $( #[test] fn $name() { super::$name(super::H2Client::Lean) } )*
        }
        mod h2_crate {
            $( #[test] fn $name() { super::$name(super::H2Client::H2Crate) } )*
        }
    };
}

with_both_clients!(
    request_count_is_exact_over_connections_and_streams,
    streams_are_concurrent_on_one_connection,
    stall_shows_in_corrected_percentiles_but_not_uncorrected,
    rst_stream_is_counted_as_an_error,
    goaway_is_counted_as_an_error_and_the_run_reconnects,
    tls_with_alpn_h2,
    request_bodies_respect_the_servers_windows,
    large_responses_are_read_and_checked,
    the_servers_stream_limit_is_respected,
);

fn run(cfg: &LoadConfig) -> LoadReport {
    rt().block_on(execute(cfg)).unwrap()
}

fn request_count_is_exact_over_connections_and_streams(client: H2Client) {
    let server = spawn(None, |_, _, _| Action::ok("hello"));
    let mut cfg = h2(client, &server.url("/x"), 3, 4);
    cfg.stop = Stop::Requests(1001);
    cfg.threads = 2;
    let report = run(&cfg);
    eprintln!("{} req/s, {:?}", report.throughput_rps, report.latency);
    assert_eq!(report.requests, 1001);
    assert_eq!(server.hits(), 1001);
    assert_eq!(report.status_counts.get(&200), Some(&1001));
    assert_eq!(report.errors.total(), 0, "{:?}", report.errors);
    assert_eq!(report.connections_open, Some(3));
    let run = report.run.as_ref().unwrap();
    assert_eq!(run.protocol.as_deref(), Some("h2c"));
    assert_eq!(run.streams_per_connection, Some(4));
    assert!(report.bytes_in > 1001 * 5, "{}", report.bytes_in);
    assert!(report.bytes_out > 1001 * 5, "{}", report.bytes_out);
    assert!(report.generator.cpu_s > 0.0);
}

fn streams_are_concurrent_on_one_connection(client: H2Client) {
    let server = spawn(None, |_, _, _| Action::Ok {
        delay: Duration::from_millis(50),
        body: "slow",
    });
    let mut cfg = h2(client, &server.url("/"), 1, 8);
    cfg.stop = Stop::Requests(80);
    let started = Instant::now();
    let report = run(&cfg);
    let took = started.elapsed();
    assert_eq!(report.requests, 80);
    assert_eq!(
        server.max_streams_per_conn(),
        8,
        "8 streams in flight on the one connection"
    );
    // 80 requests of 50 ms, 8 at a time: about 0.5 s, not the 4 s of one at a time.
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The probe's connection and the one load connection.
    assert!(server.connections.load(std::sync::atomic::Ordering::SeqCst) <= 2);
}

/// The server freezes for the last 500 ms of every 2 s. At 200 req/s over one
/// connection of 2 streams, the planned sends that wait for a free stream
/// (a quarter of them) show the stall in the corrected percentiles; the
/// uncorrected ones see it only on the 2 requests in flight when it began.
fn stall_shows_in_corrected_percentiles_but_not_uncorrected(client: H2Client) {
    let server = spawn(None, |_, _, started| {
        let phase = started.elapsed().as_micros() % 2_000_000;
        let delay = if phase >= 1_500_000 {
            Duration::from_micros((2_000_000 - phase) as u64)
        } else {
            Duration::ZERO
        };
        Action::Ok { delay, body: "ok" }
    });
    let mut cfg = h2(client, &server.url("/"), 1, 2);
    cfg.schedule =
        ringside::load::config::Schedule::Open(ringside::load::config::RateSchedule::Constant {
            rps: 200.0,
        });
    cfg.stop = Stop::Duration(Duration::from_secs(4));
    let report = run(&cfg);
    let unc = report.latency_uncorrected.clone().unwrap();
    eprintln!(
        "corrected p90 {} p99 {} µs, uncorrected p99 {} max {} µs",
        report.latency.p90_us, report.latency.p99_us, unc.p99_us, unc.max_us
    );
    assert_eq!(report.mode, "open");
    assert!(report.requests >= 790, "{}", report.requests);
    assert!(report.latency.p99_us >= 300_000, "{:?}", report.latency);
    assert!(report.latency.p90_us >= 100_000, "{:?}", report.latency);
    assert!(unc.p99_us < 50_000, "{unc:?}");
    assert!(unc.max_us >= 200_000, "the stall itself is seen: {unc:?}");
}

fn rst_stream_is_counted_as_an_error(client: H2Client) {
    let server = spawn(None, |hit, _, _| {
        if hit % 5 == 0 {
            Action::Reset
        } else {
            Action::ok("ok")
        }
    });
    let mut cfg = h2(client, &server.url("/"), 2, 3);
    cfg.stop = Stop::Requests(100);
    let report = run(&cfg);
    assert_eq!(server.hits(), 100);
    assert_eq!(report.errors.reset, 20, "{:?}", report.errors);
    assert_eq!(report.errors.total(), 20, "{:?}", report.errors);
    assert_eq!(report.requests, 80);
    assert!(
        report.warnings.iter().any(|w| w.contains("RST_STREAM 20")),
        "{:?}",
        report.warnings
    );
}

fn goaway_is_counted_as_an_error_and_the_run_reconnects(client: H2Client) {
    // The 5th request on every connection gets GOAWAY (and the connection closes).
    let server = spawn(None, |_, on_conn, _| {
        if on_conn == 5 {
            Action::GoAway
        } else {
            Action::ok("ok")
        }
    });
    let mut cfg = h2(client, &server.url("/"), 1, 4);
    cfg.stop = Stop::Requests(60);
    let report = run(&cfg);
    let e = &report.errors;
    assert!(e.goaway >= 1, "{e:?}");
    assert_eq!(e.total(), e.goaway, "every failure is the GOAWAY's: {e:?}");
    assert_eq!(report.requests + e.goaway, 60);
    // Each connection answers 4, then its in-flight streams are lost.
    assert!(report.requests >= 15, "it reconnected: {}", report.requests);
    assert!(
        server.connections.load(std::sync::atomic::Ordering::SeqCst) >= 3,
        "reconnected after each GOAWAY"
    );
}

fn tls_with_alpn_h2(client: H2Client) {
    let server = spawn(Some(tls_config(&[b"h2"])), |_, _, _| Action::ok("secure"));
    let mut cfg = h2(client, &server.url("/tls"), 2, 2);
    cfg.stop = Stop::Requests(100);
    cfg.insecure = true;
    cfg.check = Some(ringside::load::config::ResponseCheck {
        status: Some(200),
        body_contains: Some("secure".into()),
    });
    let report = run(&cfg);
    assert_eq!(report.requests, 100);
    assert_eq!(report.errors.total(), 0, "{:?}", report.errors);
    assert_eq!(report.run.as_ref().unwrap().protocol.as_deref(), Some("h2"));

    // Without --insecure the self-signed certificate is refused, naming the fix.
    cfg.insecure = false;
    let err = rt().block_on(execute(&cfg)).unwrap_err();
    assert!(format!("{err:#}").contains("--insecure"), "{err:#}");
}

/// Regression: the `h2`-crate path opened its first streams before the
/// server's SETTINGS arrived, so a server limit below `--streams` reset the
/// excess (REFUSED_STREAM, counted as errors); both clients now wait for them.
fn the_servers_stream_limit_is_respected(client: H2Client) {
    // The server allows 2 streams at a time; the run asks for 8 on one connection.
    let server = h2_support::spawn_with(None, Some(2), |_, _, _| Action::Ok {
        delay: Duration::from_millis(2),
        body: "ok",
    });
    let mut cfg = h2(client, &server.url("/"), 1, 8);
    cfg.stop = Stop::Requests(200);
    let report = run(&cfg);
    assert_eq!(report.requests, 200);
    assert_eq!(report.errors.total(), 0, "{:?}", report.errors);
    assert_eq!(server.max_streams_per_conn(), 2);
}

fn request_bodies_respect_the_servers_windows(client: H2Client) {
    // 150 kB bodies: more than the server's 64 kB initial windows, so the
    // client must wait for its WINDOW_UPDATEs, in several DATA frames.
    let server = spawn(None, |_, _, _| Action::ok("got"));
    let mut cfg = h2(client, &server.url("/upload"), 2, 3);
    cfg.method = "POST".into();
    cfg.body = Some(vec![b'x'; 150_000]);
    cfg.stop = Stop::Requests(30);
    let report = run(&cfg);
    assert_eq!(report.requests, 30);
    assert_eq!(report.errors.total(), 0, "{:?}", report.errors);
    assert_eq!(
        server.body_bytes.load(std::sync::atomic::Ordering::SeqCst),
        30 * 150_000
    );
    assert!(report.bytes_out >= 30 * 150_000, "{}", report.bytes_out);
}

fn large_responses_are_read_and_checked(client: H2Client) {
    // 100 kB bodies span several DATA frames; the check finds their last bytes.
    let body: &'static str = Box::leak(format!("{}THE-END", "y".repeat(100_000)).into_boxed_str());
    let server = spawn(None, move |_, _, _| Action::ok(body));
    let mut cfg = h2(client, &server.url("/big"), 2, 4);
    cfg.stop = Stop::Requests(50);
    cfg.check = Some(ringside::load::config::ResponseCheck {
        status: Some(200),
        body_contains: Some("THE-END".into()),
    });
    let report = run(&cfg);
    assert_eq!(report.requests, 50);
    assert_eq!(report.errors.total(), 0, "{:?}", report.errors);
    assert!(report.bytes_in >= 50 * 100_000, "{}", report.bytes_in);
}

fn ringside_load(args: &[String]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("ringside")
        .unwrap()
        .arg("load")
        .args(args)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap()
}

#[test]
fn an_http1_only_server_is_refused_with_exit_1() {
    // hyper's HTTP/1.1 server closes on the preface; Node's answers 400.
    let hyper = h2_support::spawn_http1_hyper();
    let answers_400 = h2_support::spawn_http1_400();
    // A TLS server offering http/1.1 by ALPN alerts; one with no ALPN picks nothing.
    let tls = spawn(Some(tls_config(&[b"http/1.1"])), |_, _, _| Action::ok("x"));
    let tls_no_alpn = spawn(Some(tls_config(&[])), |_, _, _| Action::ok("x"));
    for (url, needle) in [
        (
            format!("http://{hyper}/"),
            "closed the connection on the HTTP/2 preface",
        ),
        (format!("http://{answers_400}/"), "speaks only HTTP/1.1"),
        (tls.url("/"), "does not speak HTTP/2 over TLS"),
        (tls_no_alpn.url("/"), "the server picked no protocol"),
    ] {
        let out = ringside_load(&[
            "--http2".into(),
            "--insecure".into(),
            url.clone(),
            "-n".into(),
            "10".into(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{url}: {stderr}");
        assert!(stderr.contains(needle), "{url}: {stderr}");
        assert!(stderr.contains("without --http2"), "{url}: {stderr}");
    }
}

#[test]
fn json_report_records_the_protocol_and_validates() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/load-report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let server = spawn(None, |hit, _, _| {
        if hit % 10 == 0 {
            Action::Reset
        } else {
            Action::ok("ok")
        }
    });
    let out = ringside_load(&[
        "--http2".into(),
        server.url("/j"),
        "-c".into(),
        "2".into(),
        "--streams".into(),
        "8".into(),
        "--rate".into(),
        "400".into(),
        "-d".into(),
        "1s".into(),
        "--json".into(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{report:#}");
    assert_eq!(report["run"]["protocol"], "h2c");
    assert_eq!(report["run"]["streams_per_connection"], 8);
    assert!(
        report["errors"]["reset"].as_u64().unwrap() >= 30,
        "{report:#}"
    );
    assert_eq!(report["errors"]["goaway"], 0);
}

#[test]
fn streams_without_http2_is_bad_input() {
    let out = ringside_load(&["http://127.0.0.1:1/".into(), "--streams".into(), "4".into()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--streams `4`"));
    let out = ringside_load(&["https://127.0.0.1:1/".into()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --http2"));
}
