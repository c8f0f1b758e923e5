//! End-to-end tests of the load engine against in-process servers on
//! 127.0.0.1: coordinated-omission correction, exact request counts, known
//! latency distributions, rotation, response checks, framing, deadlines.

mod load_support;

use std::time::{Duration, Instant};

use load_support::{Reply, query_ms, spawn};
use ringside::load::config::{RateSchedule, ResponseCheck, Schedule, Stop};
use ringside::load::{LoadConfig, execute};

fn url(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A server that freezes for the second half of every second (a 500 ms stall
/// once a second, like a GC pause): requests arriving then wait until it ends.
/// At 200 req/s over one connection, corrected latency must show the stall in
/// p99 (hundreds of planned sends wait) while uncorrected latency hides it
/// (only the one request in flight per stall sees it).
#[test]
fn stall_shows_in_corrected_p99_but_not_uncorrected() {
    let server = spawn(|_, started| {
        let phase = started.elapsed().as_micros() % 1_000_000;
        let delay = if phase >= 500_000 {
            Duration::from_micros((1_000_000 - phase) as u64)
        } else {
            Duration::ZERO
        };
        Reply {
            delay,
            ..Reply::ok("ok")
        }
    });
    let cfg = LoadConfig::open(url(&server.url("/")), 1, 200.0, Duration::from_secs(3));
    let report = rt().block_on(execute(&cfg)).unwrap();
    let unc = report.latency_uncorrected.clone().unwrap();
    eprintln!(
        "corrected p99 {} µs, uncorrected p99 {} µs, max {} µs, late {}",
        report.latency.p99_us, unc.p99_us, unc.max_us, report.late_sends
    );
    assert_eq!(report.mode, "open");
    assert!(report.latency.p99_us >= 300_000, "{:?}", report.latency);
    assert!(report.latency.p90_us >= 100_000, "{:?}", report.latency);
    assert!(
        report.requests >= 590,
        "every planned send is made: {}",
        report.requests
    );
    assert!(unc.p99_us < 50_000, "{unc:?}");
    assert!(
        unc.max_us >= 200_000,
        "the stall itself is seen once: {unc:?}"
    );
    assert!(report.late_sends > 100, "{}", report.late_sends);
    assert!(report.max_send_lag_us >= 300_000);
    assert!((report.target_rps.unwrap() - 200.0).abs() < 1e-6);
}

#[test]
fn closed_loop_request_count_is_exact() {
    let server = spawn(|_, _| Reply::ok("hello"));
    let mut cfg = LoadConfig::closed(url(&server.url("/x")), 7, Duration::from_secs(5));
    cfg.stop = Stop::Requests(1001);
    cfg.threads = 2;
    let report = rt().block_on(execute(&cfg)).unwrap();
    assert_eq!(report.requests, 1001);
    assert_eq!(server.hits(), 1001);
    assert_eq!(report.status_counts.get(&200), Some(&1001));
    assert_eq!(report.errors.total(), 0);
    assert_eq!(report.latency.count, 1001);
    assert_eq!(report.mode, "closed");
    assert!(report.duration_s > 0.0 && report.throughput_rps > 0.0);
    assert!(report.generator.cpu_s > 0.0);
    assert_eq!(report.generator.threads, 2);
}

/// Ten URLs in rotation on one connection: nine answer after 20 ms, one after
/// 150 ms, so p50 and p90 sit at 20 ms and p99 and max at 150 ms (give or
/// take a loaded machine's scheduling delay).
#[test]
fn percentiles_follow_known_delays() {
    let server = spawn(|target, _| Reply {
        delay: Duration::from_millis(query_ms(target)),
        ..Reply::ok("d")
    });
    let mut cfg = LoadConfig::closed(url(&server.url("/d?ms=150")), 1, Duration::from_secs(5));
    cfg.urls
        .extend((0..9).map(|_| url(&server.url("/d?ms=20"))));
    cfg.stop = Stop::Requests(40);
    let report = rt().block_on(execute(&cfg)).unwrap();
    let l = &report.latency;
    eprintln!("{l:?}");
    assert_eq!(l.count, 40);
    // Loose upper bounds: a shared, loaded machine delays some responses.
    let within = |v: u64, ms: u64| v >= ms * 1000 && v <= ms * 1000 + 50_000;
    assert!(within(l.min_us, 20), "min {l:?}");
    assert!(within(l.p50_us, 20), "p50 {l:?}");
    assert!(l.p90_us >= 20_000 && l.p90_us < 150_000, "p90 {l:?}");
    assert!(within(l.p99_us, 150), "p99 {l:?}");
    assert!(within(l.max_us, 150), "max {l:?}");
    let mean_ms = (4.0 * 150.0 + 36.0 * 20.0) / 40.0;
    assert!(l.mean_us >= mean_ms * 1000.0 && l.mean_us <= mean_ms * 1000.0 + 50_000.0);
    let paths = server.paths.lock().unwrap().clone();
    assert_eq!(paths.get("/d?ms=150"), Some(&4));
    assert_eq!(paths.get("/d?ms=20"), Some(&36));
}

#[test]
fn open_loop_reaches_its_rate() {
    let server = spawn(|_, _| Reply::ok("fast"));
    let mut cfg = LoadConfig::open(url(&server.url("/")), 4, 400.0, Duration::from_secs(1));
    cfg.warmup = Duration::from_millis(200);
    let report = rt().block_on(execute(&cfg)).unwrap();
    let achieved = report.achieved_rps.unwrap();
    assert!((achieved - 400.0).abs() < 20.0, "achieved {achieved}");
    assert!(
        report.requests >= 380 && report.requests <= 401,
        "{}",
        report.requests
    );
    assert!(
        server.hits() >= 460,
        "warm-up requests were sent too: {}",
        server.hits()
    );
    assert!(
        !report.warnings.iter().any(|w| w.contains("target rate")),
        "{:?}",
        report.warnings
    );
    let unc = report.latency_uncorrected.unwrap();
    assert!(report.latency.p50_us <= unc.p50_us + 1_500);
}

#[test]
fn ramp_and_steps_plan_the_right_number_of_sends() {
    let server = spawn(|_, _| Reply::ok("fast"));
    let mut cfg = LoadConfig::open(url(&server.url("/")), 4, 1.0, Duration::from_secs(1));
    cfg.schedule = Schedule::Open(RateSchedule::Ramp {
        from_rps: 100.0,
        to_rps: 300.0,
        over: Duration::from_secs(1),
    });
    let report = rt().block_on(execute(&cfg)).unwrap();
    assert!((report.target_rps.unwrap() - 200.0).abs() < 1e-6);
    assert!(report.requests.abs_diff(200) <= 2, "{}", report.requests);

    cfg.schedule = Schedule::Open(RateSchedule::Steps {
        steps: vec![
            (100.0, Duration::from_millis(500)),
            (300.0, Duration::from_millis(500)),
        ],
    });
    cfg.threads = 2;
    let report = rt().block_on(execute(&cfg)).unwrap();
    assert!(report.requests.abs_diff(200) <= 2, "{}", report.requests);
}

#[test]
fn failed_checks_are_counted_as_errors() {
    let server = spawn(|target, _| {
        if target == "/bad" {
            Reply {
                status: 500,
                ..Reply::ok("oops")
            }
        } else {
            Reply::ok("Hello, World!")
        }
    });
    let mut cfg = LoadConfig::closed(url(&server.url("/good")), 2, Duration::from_secs(5));
    cfg.urls.push(url(&server.url("/bad")));
    cfg.stop = Stop::Requests(100);
    cfg.check = Some(ResponseCheck {
        status: Some(200),
        body_contains: Some("World".into()),
    });
    let report = rt().block_on(execute(&cfg)).unwrap();
    assert_eq!(report.requests, 100);
    assert_eq!(report.errors.check, 50);
    assert_eq!(report.status_counts.get(&500), Some(&50));
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("50 of 100 requests failed"))
    );

    cfg.check = Some(ResponseCheck {
        status: None,
        body_contains: Some("Goodbye".into()),
    });
    let report = rt().block_on(execute(&cfg)).unwrap();
    assert_eq!(report.errors.check, 100);
}

#[test]
fn chunked_and_connection_close_responses_are_read() {
    let server = spawn(|target, _| Reply {
        chunked: target.contains("chunked"),
        close: target.contains("close"),
        ..Reply::ok("a chunked hello, world")
    });
    let mut cfg = LoadConfig::closed(url(&server.url("/chunked")), 3, Duration::from_secs(5));
    cfg.urls.push(url(&server.url("/close")));
    cfg.stop = Stop::Requests(300);
    cfg.check = Some(ResponseCheck {
        status: Some(200),
        body_contains: Some("hello, world".into()),
    });
    let report = rt().block_on(execute(&cfg)).unwrap();
    assert_eq!(report.errors.total(), 0, "{:?}", report.errors);
    assert_eq!(report.requests, 300);
    assert_eq!(server.hits(), 300);
}

#[test]
fn hung_server_ends_at_the_hard_deadline() {
    let server = spawn(|_, _| Reply {
        hang: true,
        ..Reply::ok("")
    });
    let mut cfg = LoadConfig::closed(url(&server.url("/")), 4, Duration::from_millis(500));
    cfg.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let report = rt().block_on(execute(&cfg)).unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(report.requests, 0);
    assert!(report.errors.timeout >= 4, "{:?}", report.errors);
    assert!(report.warnings.iter().any(|w| w.contains("no response")));
}

#[test]
fn refused_connection_is_a_prompt_clear_error() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cfg = LoadConfig::closed(url(&format!("http://{addr}/")), 4, Duration::from_secs(5));
    let started = Instant::now();
    let err = rt().block_on(execute(&cfg)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        err.to_string(),
        format!("nothing is listening on {addr} — is the server running?")
    );
}

#[test]
fn histogram_is_kept_on_request_and_round_trips() {
    let server = spawn(|_, _| Reply::ok("x"));
    let mut cfg = LoadConfig::closed(url(&server.url("/")), 2, Duration::from_secs(5));
    cfg.stop = Stop::Requests(50);
    cfg.keep_histogram = true;
    let report = rt().block_on(execute(&cfg)).unwrap();
    let hist =
        ringside::load::record::from_base64(report.histogram_b64.as_deref().unwrap()).unwrap();
    assert_eq!(hist.len(), 50);
    assert_eq!(ringside::load::record::stats(&hist), report.latency);
}

#[test]
fn engine_can_run_many_times_in_one_runtime() {
    let server = spawn(|_, _| Reply::ok("x"));
    let rt = rt();
    for _ in 0..3 {
        let mut cfg = LoadConfig::closed(url(&server.url("/")), 2, Duration::from_secs(5));
        cfg.stop = Stop::Requests(20);
        let report = rt.block_on(execute(&cfg)).unwrap();
        assert_eq!(report.requests, 20);
    }
    assert_eq!(server.hits(), 60);
}

/// The per-connection timeout timer is re-armed lazily: it fires at the
/// previous request's deadline, which is early for the next request; that
/// must not time the request out.
#[test]
fn timeout_timer_firing_early_does_not_fail_a_request() {
    let server = spawn(|_, _| Reply {
        delay: Duration::from_millis(200),
        ..Reply::ok("slow")
    });
    let mut cfg = LoadConfig::closed(url(&server.url("/")), 1, Duration::from_secs(5));
    cfg.timeout = Duration::from_millis(300);
    cfg.stop = Stop::Requests(4);
    let report = rt().block_on(execute(&cfg)).unwrap();
    assert_eq!(report.errors.total(), 0, "{:?}", report.errors);
    assert_eq!(report.requests, 4);
}

#[test]
fn open_loop_request_count_is_exact_after_warmup() {
    let server = spawn(|_, _| Reply::ok("x"));
    let mut cfg = LoadConfig::open(url(&server.url("/")), 4, 500.0, Duration::from_secs(60));
    cfg.stop = Stop::Requests(100);
    cfg.warmup = Duration::from_millis(100);
    cfg.threads = 2;
    let report = rt().block_on(execute(&cfg)).unwrap();
    assert_eq!(report.requests, 100);
    assert_eq!(server.hits(), 150);
    assert!((report.target_rps.unwrap() - 500.0).abs() < 1.0);
    assert!(
        (report.duration_s - 0.2).abs() < 0.01,
        "{}",
        report.duration_s
    );
}
