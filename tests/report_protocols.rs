//! The report's HTTP/1.1-vs-HTTP/2 table: each HTTP/2 deployment (named in
//! `settings.extra["http2"]` by the harness) beside the HTTP/1.1 deployment
//! of the same stack and server, with HTTP/2 ÷ HTTP/1.1 and its interval.

mod common;

use common::{Builder, MB};
use ringside::report::protocols::{rows, terminal_table};
use ringside::scenario::Scenario;
use ringside::verdict::figures::Figures;

fn run() -> ringside::results::Results {
    let mut b = Builder::new(3);
    let stacks = [
        ("node-http", None, "javascript", "node:http", 10_000.0, 40.0),
        (
            "node-http@h2",
            Some("h2"),
            "javascript",
            "node:http",
            6_000.0,
            70.0,
        ),
        (
            "python-fastapi",
            None,
            "python",
            "FastAPI / uvicorn",
            3_000.0,
            300.0,
        ),
        (
            "python-fastapi@granian",
            Some("granian"),
            "python",
            "FastAPI / granian",
            4_000.0,
            200.0,
        ),
        (
            "python-fastapi@h2",
            Some("h2"),
            "python",
            "FastAPI / granian",
            4_020.0,
            199.0,
        ),
    ];
    for (name, variant, lang, fw, rps, cpu) in stacks {
        let rec = b.stack(name, lang, fw);
        rec.base = Some(name.split('@').next().unwrap().into());
        rec.variant = variant.map(Into::into);
        b.peak(
            name,
            Scenario::Json,
            64,
            1,
            rps,
            0.02,
            cpu,
            40 * MB,
            50 * MB,
        );
        b.fixed(
            name,
            Scenario::Json,
            500.0,
            500.0,
            800.0,
            2_000.0,
            cpu * 1.1,
            45 * MB,
        );
    }
    b.r.settings.extra.insert(
        "http2".into(),
        serde_json::json!({
            "node-http@h2": {"protocol": "h2c", "streams": 1},
            "python-fastapi@h2": {"protocol": "h2c", "streams": 16},
        }),
    );
    b.finish()
}

#[test]
fn each_http2_deployment_is_set_beside_its_http1_partner() {
    let results = run();
    let fig = Figures::from_results(&results);
    let rows = rows(&results, &fig);
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let node = rows.iter().find(|r| r.http2 == "node-http@h2").unwrap();
    assert_eq!(node.http1, "node-http");
    assert_eq!(node.scenario, "json");
    assert_eq!(node.wire, "h2c, 1 stream");
    let value: f64 = node
        .throughput_ratio
        .split('×')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (0.5..0.7).contains(&value),
        "6,000 ÷ 10,000 ± noise: {value}"
    );
    assert!(
        node.throughput_ratio.contains('['),
        "an interval: {}",
        node.throughput_ratio
    );
    assert_eq!(node.throughput_verdict, "slower");
    assert_eq!(node.cpu_verdict, "higher");
    assert!(
        !node.cpu.contains("at peak"),
        "fixed-rate CPU: {}",
        node.cpu
    );
    // The same server in both protocols, not uvicorn.
    let py = rows
        .iter()
        .find(|r| r.http2 == "python-fastapi@h2")
        .unwrap();
    assert_eq!(py.http1, "python-fastapi@granian");
    assert_eq!(py.wire, "h2c, 16 streams");
    assert_eq!(py.throughput_verdict, "tie", "{}", py.throughput_ratio);
    let table = terminal_table(&results, &fig).unwrap();
    assert!(table.contains("HTTP/1.1 vs HTTP/2"), "{table}");
    assert!(table.contains("node-http → node-http@h2"), "{table}");
}

#[test]
fn without_http2_deployments_there_is_no_table() {
    let mut results = run();
    results.settings.extra.remove("http2");
    let fig = Figures::from_results(&results);
    assert!(rows(&results, &fig).is_empty());
    assert!(terminal_table(&results, &fig).is_none());
}

#[test]
fn an_http2_deployment_falls_back_to_the_default_deployment() {
    let mut results = run();
    results
        .stacks
        .retain(|s| s.name != "python-fastapi@granian");
    results
        .points
        .retain(|p| p.stack != "python-fastapi@granian");
    let fig = Figures::from_results(&results);
    let rows = rows(&results, &fig);
    let py = rows
        .iter()
        .find(|r| r.http2 == "python-fastapi@h2")
        .unwrap();
    assert_eq!(py.http1, "python-fastapi");
}
