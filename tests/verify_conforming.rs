//! The checks pass against a conforming server: an in-process hyper server on
//! port 0 implementing the contract (world and fortunes held in memory), and
//! fail, with the reason, against servers that hang, close, answer garbage or
//! break the ws-chat rules.

mod verify_support;

use std::time::{Duration, Instant};

use ringside::scenario::Scenario;
use ringside::verify::{VerifyOptions, verify_url, verify_url_with};
use verify_support::{Quirk, endpoints, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conforming_server_passes_every_scenario() {
    let server = serve(Quirk::None).await;
    let report = verify_url(&server.url, &endpoints(), None).await;
    assert!(
        report.all_passed(),
        "unexpected failures:\n{}",
        verify_support::failures(&report)
    );
    for sc in endpoints() {
        assert!(report.passed(sc), "{sc} ran no check");
    }
    assert!(
        report.checks.len() > 60,
        "only {} checks ran",
        report.checks.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_chat_without_echo_to_the_sender_fails() {
    let server = serve(Quirk::WsNoEcho).await;
    let report = verify_url(&server.url, &[Scenario::WsChat], None).await;
    let why = report.failures()[&Scenario::WsChat].clone();
    assert!(why.contains("echo to the sender (A1)"), "{why}");
    assert!(why.contains("got nothing"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_chat_leaking_across_rooms_fails() {
    let server = serve(Quirk::WsOneRoom).await;
    let report = verify_url(&server.url, &[Scenario::WsChat], None).await;
    let failed = verify_support::failures(&report);
    assert!(!report.passed(Scenario::WsChat));
    assert!(failed.contains("B1: expected"), "{failed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_chat_rewriting_messages_fails_byte_for_byte() {
    let server = serve(Quirk::WsReserialize).await;
    let report = verify_url(&server.url, &[Scenario::WsChat], None).await;
    let why = report.failures()[&Scenario::WsChat].clone();
    assert!(why.contains("expected \"{ \\\"id\\\""), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_hangs_fails_within_the_timeout() {
    let server = verify_support::raw_server(verify_support::Raw::Hang).await;
    let opts = VerifyOptions {
        timeout: Duration::from_millis(300),
        ws_timeout: Duration::from_millis(300),
        ..VerifyOptions::default()
    };
    let start = Instant::now();
    let report = verify_url_with(&server.url, &endpoints(), None, &opts).await;
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
    for sc in endpoints() {
        assert_eq!(
            report.failures()[&sc],
            "GET /health: no complete response within 300 ms"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_closes_or_answers_garbage_fails_with_the_reason() {
    let closing = verify_support::raw_server(verify_support::Raw::Close).await;
    let report = verify_url(&closing.url, &[Scenario::Json], None).await;
    let why = &report.failures()[&Scenario::Json];
    assert!(why.starts_with("GET /health: "), "{why}");
    assert!(why.contains("closed"), "{why}");

    let garbage = verify_support::raw_server(verify_support::Raw::Garbage).await;
    let report = verify_url(&garbage.url, &[Scenario::Json], None).await;
    let why = &report.failures()[&Scenario::Json];
    assert!(why.starts_with("GET /health: request failed"), "{why}");
    assert!(why.contains("invalid") || why.contains("parse"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_a_connection_failure() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let report = verify_url(&format!("http://127.0.0.1:{port}"), &[Scenario::Cpu], None).await;
    let why = &report.failures()[&Scenario::Cpu];
    assert!(why.starts_with("GET /health: cannot connect"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_after_each_response_passes_only_when_announced() {
    let announced = serve(Quirk::NoKeepAlive).await;
    // Allowed only where the stack's manifest says `keep_alive = false`.
    let lenient = VerifyOptions {
        require_keep_alive: false,
        ..VerifyOptions::default()
    };
    let report = verify_url_with(&announced.url, &[Scenario::Plaintext], None, &lenient).await;
    assert!(report.all_passed(), "{}", verify_support::failures(&report));
    // The policy's default: keep-alive honoured, so announcing close fails.
    let report = verify_url(&announced.url, &[Scenario::Plaintext], None).await;
    let failed: Vec<&str> = report.failed().map(|c| c.check.as_str()).collect();
    assert_eq!(
        failed,
        ["keep-alive honoured (policy)"],
        "{}",
        verify_support::failures(&report)
    );

    let silent = verify_support::raw_server(verify_support::Raw::OneShot).await;
    let report = verify_url(&silent.url, &[Scenario::Plaintext], None).await;
    let why = &report.failures()[&Scenario::Plaintext];
    assert!(
        why.starts_with("keep-alive (or Connection: close): expected a second request"),
        "{why}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_larger_room_passes_and_catches_a_silent_member() {
    let opts = VerifyOptions {
        ws_room_members: 5,
        ..VerifyOptions::default()
    };
    let server = serve(Quirk::None).await;
    let report = verify_url_with(&server.url, &[Scenario::WsChat], None, &opts).await;
    assert!(report.all_passed(), "{}", verify_support::failures(&report));
    // One server process: members are added looking for a second one.
    let names: Vec<&str> = report.checks.iter().map(|c| c.check.as_str()).collect();
    assert!(
        names.contains(&"broadcast byte-for-byte (A1 → A2..A25)"),
        "{names:#?}"
    );
    assert!(
        names.iter().any(|n| n.contains("over 1 server process;")),
        "{names:#?}"
    );

    let server = serve(Quirk::WsNoEcho).await;
    let report = verify_url_with(&server.url, &[Scenario::WsChat], None, &opts).await;
    assert!(!report.passed(Scenario::WsChat));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_without_a_server_header_fails_the_policy() {
    let server = serve(Quirk::NoServerOnJson).await;
    let report = verify_url(&server.url, &[Scenario::Plaintext, Scenario::Json], None).await;
    assert!(
        report.passed(Scenario::Plaintext),
        "{}",
        verify_support::failures(&report)
    );
    let failed: Vec<(&str, &str)> = report
        .failed()
        .map(|c| (c.check.as_str(), c.detail.as_str()))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "Server and Date headers on every response");
    assert!(
        failed[0].1.starts_with(
            "1 of 1 responses broke the rule; first: GET /json: expected a `Server` header"
        ),
        "{failed:?}"
    );
}
