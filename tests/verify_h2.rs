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

const HTTP: [Scenario; 9] = verify_support::HTTP_SCENARIOS;

fn h2c() -> VerifyOptions {
    VerifyOptions {
        protocol: Protocol::H2c,
        ..VerifyOptions::default()
    }
}

fn failures(report: &ringside::verify::VerifyReport) -> String {
    report
        .failed()
        .map(|c| format!("{} / {}: {}", c.scenario, c.check, c.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2c_server_passes_the_contract_over_http2() {
    let server = serve(Quirk::H2c).await;
    let report = verify_url_with(&server.url, &HTTP, None, &h2c()).await;
    assert!(report.all_passed(), "{}", failures(&report));
    for sc in HTTP {
        let checks: Vec<&str> = report
            .checks
            .iter()
            .filter(|c| c.scenario == sc)
            .map(|c| c.check.as_str())
            .collect();
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
