//! The HTML report as a user gets it: written from the fixture, self-contained,
//! escaped, and rendered by headless Chromium with every chart drawn and no
//! console errors. Set RINGSIDE_UPDATE_SCREENSHOT=1 to refresh
//! `docs/report-screenshot.png`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ringside::report::{read_results, write_reports};

const FIXTURE: &str = "tests/fixtures/results/full.json";

fn render_fixture() -> (tempfile::TempDir, PathBuf, String) {
    let results = read_results(Path::new(FIXTURE)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (html, md) = write_reports(&results, dir.path()).unwrap();
    assert_eq!(html.file_name().unwrap(), "report.html");
    assert_eq!(md.file_name().unwrap(), "summary.md");
    assert!(dir.path().join("verdict.json").is_file());
    let text = std::fs::read_to_string(&html).unwrap();
    (dir, html, text)
}

#[test]
fn report_is_self_contained_and_complete() {
    let (_dir, _, html) = render_fixture();
    for needle in ["<script", "<link", "@import", "src=\"http", "url(http"] {
        assert!(
            !html.contains(needle),
            "report must not load anything: found {needle}"
        );
    }
    for needle in [
        "Claims ledger",
        "K1",
        "K9",
        "Recommendation by project profile",
        "id=\"scenario-json\"",
        "id=\"scenario-ws-chat\"",
        "Multi-core scaling",
        "Concurrency achieved",
        "Memory per idle connection",
        "Startup and footprint",
        "python-django",
        "skipped",
        "generator-bound",
        "server crashed",
        "ringside run --suite full --trials 3",
        "AMD Ryzen 7 5700G",
        "CPython 3.12.7",
    ] {
        assert!(html.contains(needle), "report lacks {needle:?}");
    }
    assert!(html.matches("<svg").count() >= 15, "charts as inline SVG");
    assert!(
        html.matches("<polyline").count() >= 30,
        "latency spectra drawn"
    );
}

#[test]
fn names_from_the_results_file_are_escaped() {
    let mut b = common::Builder::new(1);
    b.stack("<script>alert(1)</script>", "javascript", "x & y");
    b.peak(
        "<script>alert(1)</script>",
        ringside::scenario::Scenario::Json,
        64,
        1,
        1000.0,
        0.0,
        10.0,
        1,
        2,
    );
    let dir = tempfile::tempdir().unwrap();
    let (html, md) = write_reports(&b.finish(), dir.path()).unwrap();
    let html = std::fs::read_to_string(html).unwrap();
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;alert(1)"));
    assert!(html.contains("x &amp; y"));
    assert!(
        std::fs::read_to_string(md)
            .unwrap()
            .contains("<script>alert(1)</script>"),
        "Markdown keeps text as is"
    );
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {name}"))
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
}

/// Chromium under `timeout`, so a hung browser fails the test instead of the CI run.
fn chromium_cmd(bin: &Path, profile: &Path) -> Command {
    let mut c = Command::new("timeout");
    c.arg("120").arg(bin);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Measures every SVG after layout and appends the result to the page.
const PROBE: &str = r#"<script>
window.addEventListener('load', () => {
  const svgs = [...document.querySelectorAll('svg')];
  const sizes = svgs.map(s => { const r = s.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; });
  const drawn = [...document.querySelectorAll('svg rect, svg polyline')]
    .filter(e => { const b = e.getBBox(); return b.width > 0 || b.height > 0; }).length;
  const pre = document.createElement('pre');
  pre.id = 'ringside-probe';
  pre.textContent = 'PROBE ' + JSON.stringify({ svgs: svgs.length, empty: sizes.filter(([w, h]) => !(w > 0 && h > 0)).length, drawn, width: document.body.scrollWidth });
  document.body.appendChild(pre);
});
</script>"#;

#[test]
fn chromium_renders_every_chart_without_console_errors() {
    let Some(bin) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is required in CI (apt-get install -y chromium)");
        }
        eprintln!("SKIPPED: chromium not installed (apt-get install -y chromium)");
        return;
    };
    let (dir, html_path, html) = render_fixture();
    let probe_path = dir.path().join("probe.html");
    std::fs::write(
        &probe_path,
        html.replace("</body>", &format!("{PROBE}</body>")),
    )
    .unwrap();

    let profile = tempfile::tempdir().unwrap();
    let out = chromium_cmd(&bin, profile.path())
        .args([
            "--window-size=1280,4000",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", probe_path.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let probe = dom
        .split("<pre id=\"ringside-probe\">PROBE ")
        .nth(1)
        .unwrap_or_else(|| panic!("probe did not run; stderr:\n{stderr}"));
    let probe = probe.split('<').next().unwrap();
    let v: serde_json::Value = serde_json::from_str(probe).unwrap();
    assert!(v["svgs"].as_u64().unwrap() >= 15, "{v}");
    assert_eq!(v["empty"], 0, "every chart has a size: {v}");
    assert!(
        v["drawn"].as_u64().unwrap() >= 100,
        "bars and lines drawn: {v}"
    );
    assert!(
        v["width"].as_u64().unwrap() <= 1280,
        "no horizontal overflow: {v}"
    );

    let shot = dir.path().join("report.png");
    let status = chromium_cmd(&bin, profile.path())
        .args(["--window-size=1280,4000"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html_path.display()))
        .output()
        .unwrap();
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(std::fs::metadata(&shot).unwrap().len() > 50_000);
    if std::env::var_os("RINGSIDE_UPDATE_SCREENSHOT").is_some() {
        std::fs::copy(&shot, "docs/report-screenshot.png").unwrap();
    }
}

#[test]
fn one_io_level_draws_bars_and_several_scaled_endpoints_are_labelled() {
    let mut b = common::Builder::new(2);
    b.stack("node", "javascript", "node:http");
    b.stack("py", "python", "flask");
    b.io("node", 512, 1, 10_000.0, 500.0, 100.0, 80 * common::MB, 0);
    b.io("py", 512, 2, 40.0, 2.0, 100.0, 80 * common::MB, 0);
    b.workers("py", 1, 1_000.0, 100.0, 40 * common::MB);
    b.workers("py", 2, 1_900.0, 100.0, 80 * common::MB);
    let mut r = b.finish();
    let extra: Vec<_> = r
        .points
        .iter()
        .filter(|p| p.scenario == ringside::scenario::Scenario::Workers)
        .cloned()
        .map(|mut p| {
            p.target = "/plaintext".into();
            p
        })
        .collect();
    r.points.extend(extra);
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = write_reports(&r, dir.path()).unwrap();
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains("with 512 connections offered"), "io as bars");
    assert!(html.contains("2.0 of 512"));
    assert!(
        // minijinja escapes `/` in HTML.
        html.contains("py &#x2f;json") && html.contains("py &#x2f;plaintext"),
        "scaled endpoints labelled"
    );
}

#[test]
fn an_interrupted_run_with_nothing_measured_still_renders() {
    let mut b = common::Builder::new(3);
    b.stack("node", "javascript", "node:http").status = ringside::results::StackStatus::Failed {
        stage: "install".into(),
        reason: "npm ci exited with 1".into(),
        stderr_tail: vec!["npm ERR! network".into()],
    };
    let mut r = b.finish();
    r.finished_at = None;
    let dir = tempfile::tempdir().unwrap();
    let (html, md) = write_reports(&r, dir.path()).unwrap();
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains("This run did not finish"));
    assert!(html.contains("failed at install") && html.contains("npm ERR! network"));
    assert_eq!(
        html.matches("v-not_enough_evidence\">not enough evidence</span>")
            .count(),
        9
    );
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("ringside run --scenarios plaintext,json"));
}

#[test]
fn verdict_json_carries_ledger_rankings_and_figures() {
    let (dir, _, _) = render_fixture();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("verdict.json")).unwrap())
            .unwrap();
    assert_eq!(v["schema"], "ringside.verdict/1");
    assert_eq!(v["ledger"].as_array().unwrap().len(), 9);
    assert_eq!(v["ledger"][0]["verdict"], "supported");
    assert_eq!(v["recommendations"].as_array().unwrap().len(), 4);
    let json = v["figures"]["scenarios"]["json"].as_array().unwrap();
    assert!(
        json.iter()
            .any(|f| f["stack"] == "node-http" && f["throughput_rps"]["n"] == 3)
    );
}
