//! The deliberately broken stack (`tests/fixtures/stacks/broken`, Python
//! stdlib) fails verification, scenario by scenario, with the right reasons.
//! The server runs directly as a subprocess on a free port, in its own
//! process group, killed when the test ends.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ringside::scenario::Scenario;
use ringside::verify::{CheckResult, VerifyReport, verify_url};

/// The broken server; its process group is killed on drop.
struct Broken {
    child: Child,
    url: String,
}

impl Drop for Broken {
    fn drop(&mut self) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = self.child.wait();
    }
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks/broken")
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts `server.py` with `env` and waits for `/health` (10 s at most).
async fn start(env: &[(String, String)]) -> Broken {
    let port = free_port();
    let child = Command::new("python3")
        .args(["-u", "server.py", "--port", &port.to_string()])
        .current_dir(fixture_dir())
        .envs(env.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .expect("python3 is needed by this test");
    let broken = Broken {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let target = ringside::verify::http::Target::parse(&broken.url).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ringside::verify::http::get(&target, "/health", Duration::from_millis(500))
            .await
            .is_ok()
        {
            return broken;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the broken stack did not answer /health within 10 s");
}

const CLAIMED: [Scenario; 9] = [
    Scenario::Plaintext,
    Scenario::Json,
    Scenario::Db,
    Scenario::Queries,
    Scenario::Fortunes,
    Scenario::Updates,
    Scenario::Io,
    Scenario::Cpu,
    Scenario::Numeric,
];

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
    let server = start(&[]).await;
    let report = verify_url(&server.url, &CLAIMED, None).await;

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
