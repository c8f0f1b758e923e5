//! The deliberately broken stack (`tests/fixtures/stacks/broken`, Python
//! stdlib) fails verification, scenario by scenario, with the right reasons.
//! The server runs directly as a subprocess on a free port, in its own
//! process group, killed when the test ends.

mod verify_support;

use ringside::scenario::Scenario;
use ringside::verify::{CheckResult, VerifyReport, verify_url};

fn failed(report: &VerifyReport, scenario: Scenario) -> Vec<&CheckResult> {
    report.failed().filter(|c| c.scenario == scenario).collect()
}

fn has(report: &VerifyReport, scenario: Scenario, check: &str, detail: &str) {
    let hits = failed(report, scenario);
    assert!(
        hits.iter()
            .any(|c| c.check == check && c.detail.contains(detail)),
        "no failed check `{check}` with `{detail}` in {scenario}; its failures: {hits:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broken_stack_fails_with_the_right_reasons() {
    let server = verify_support::broken::start(&[]).await;
    let report = verify_url(&server.url, &verify_support::http_scenarios(), None).await;

    for right in [Scenario::Plaintext, Scenario::Db] {
        assert!(
            report.passed(right),
            "{right}: {:#?}",
            failed(&report, right)
        );
    }
    // Without the database at hand, `/updates` persistence cannot be seen.
    assert!(report.passed(Scenario::Updates));

    has(
        &report,
        Scenario::Json,
        "/json content-type",
        "expected Content-Type application/json, got \"text/plain\"",
    );
    has(
        &report,
        Scenario::Queries,
        "/queries?q=0 → 1 row",
        "expected 1 row, got 0",
    );
    has(
        &report,
        Scenario::Queries,
        "/queries?q=501 → 500 rows",
        "expected 500 rows, got 501",
    );
    has(
        &report,
        Scenario::Queries,
        "/queries?q=20 not cached",
        "got the same body twice",
    );
    has(
        &report,
        Scenario::Fortunes,
        "/fortunes markup escaped",
        "raw <script>",
    );
    has(
        &report,
        Scenario::Fortunes,
        "/fortunes sorted by message",
        "expected rows sorted by message, ids 11, 4,",
    );
    has(
        &report,
        Scenario::Io,
        "/io?ms=50 waits",
        "expected to wait at least 50 ms",
    );
    has(
        &report,
        Scenario::Cpu,
        "/cpu?n=10 body",
        r#"expected {"n":10,"primes":4}, got {"n":10,"primes":5}"#,
    );
    has(
        &report,
        Scenario::Numeric,
        "/numeric?n=10 body",
        "`std`: expected",
    );
    // n=0 clamps to 1, where the sample and population deviations agree.
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.check == "/numeric?n=0 body" && c.passed)
    );

    let summary = report.failures();
    assert_eq!(
        summary.keys().copied().collect::<Vec<_>>(),
        [
            Scenario::Json,
            Scenario::Queries,
            Scenario::Fortunes,
            Scenario::Io,
            Scenario::Cpu,
            Scenario::Numeric
        ]
    );
}
