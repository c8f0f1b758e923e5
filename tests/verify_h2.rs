//! `verify` over HTTP/2 (a stack with `protocol = "h2c"`): the contract's
//! checks pass against a conforming h2c-only server, each scenario records
//! that HTTP/2 was really negotiated, and an HTTP/1.1-only server verified
//! as h2c fails every scenario with a sentence saying it does not speak
//! HTTP/2 (no fallback to HTTP/1.1).

mod verify_support;

use ringside::scenario::Scenario;
use ringside::stack::Protocol;
use ringside::verify::{NEGOTIATION_CHECK, VerifyOptions, verify_url_with};
use verify_support::{Quirk, serve};

fn h2c() -> VerifyOptions {
    VerifyOptions {
        protocol: Protocol::H2c,
        ..VerifyOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2c_server_passes_the_contract_over_http2() {
    let server = serve(Quirk::H2c).await;
    let report =
        verify_url_with(&server.url, &verify_support::http_scenarios(), None, &h2c()).await;
    assert!(report.all_passed(), "{}", verify_support::failures(&report));
    for sc in verify_support::http_scenarios() {
        let checks = verify_support::checks_of(&report, sc);
        assert!(checks.contains(&NEGOTIATION_CHECK), "{sc}: {checks:?}");
        assert!(
            checks.iter().any(|c| c.contains("Server and Date")),
            "{sc}: the header rule is checked over h2 too: {checks:?}"
        );
        assert!(checks.len() > 2, "{sc}: {checks:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http1_server_verified_as_h2c_fails_saying_why() {
    let server = serve(Quirk::None).await;
    let report = verify_url_with(&server.url, &[Scenario::Json, Scenario::Db], None, &h2c()).await;
    assert!(!report.all_passed());
    assert_eq!(report.checks.len(), 2, "{:?}", report.checks);
    for c in &report.checks {
        assert_eq!(c.check, NEGOTIATION_CHECK);
        assert!(!c.passed);
        assert!(
            c.detail.contains("HTTP/1.1") && c.detail.contains("HTTP/2"),
            "{}",
            c.detail
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2c_server_verified_as_http1_fails() {
    let server = serve(Quirk::H2c).await;
    let report = verify_url_with(
        &server.url,
        &[Scenario::Json],
        None,
        &VerifyOptions::default(),
    )
    .await;
    assert!(!report.all_passed());
    assert!(
        report.checks.iter().all(|c| c.check != NEGOTIATION_CHECK),
        "{:?}",
        report.checks
    );
}
