//! "What HTTP/2 does to each stack": when a run measured an HTTP/2
//! deployment (`protocol = "h2c"`, recorded in `settings.extra["http2"]`)
//! beside an HTTP/1.1 deployment of the same stack, each scenario's
//! throughput, p99 and CPU per request over HTTP/2 ÷ over HTTP/1.1, each
//! with its interval and a verdict by the same rules as every other figure
//! (the ratio's interval and the run's noise floor).
//!
//! The HTTP/1.1 partner is the measured deployment of the same base stack
//! and the same framework (the same server: `python-fastapi@granian` for
//! `python-fastapi@h2`), else the base's default deployment; the table names
//! both, so a change of server is never read as the protocol's doing.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::results::{Results, StackRecord};
use crate::stats::{Comparison, Estimate};
use crate::verdict::figures::{Evidence, Family, Figures, bounded_compare, bounded_ratio};
use crate::verdict::format::{fmt_int, fmt_ratio_ci, fmt_us};

/// Key of `settings.extra` written by the harness (`suite::h2::HTTP2_KEY`).
const HTTP2_KEY: &str = "http2";

/// One HTTP/2 deployment against its HTTP/1.1 partner in one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtocolRow {
    pub scenario: String,
    /// The HTTP/1.1 deployment: `node-http`, `python-fastapi@granian`.
    pub http1: String,
    /// The HTTP/2 deployment: `node-http@h2`.
    pub http2: String,
    /// `h2c, 1 stream` / `h2c, 16 streams`.
    pub wire: String,
    /// `61,234 → 48,100`, requests/s at peak.
    pub throughput: String,
    /// HTTP/2 ÷ HTTP/1.1 with its interval, and `faster`/`slower`/`tie`.
    pub throughput_ratio: String,
    pub throughput_verdict: String,
    /// p99 at the fixed offered rate (the same for both): `1.2 ms → 0.9 ms`.
    pub p99: String,
    pub p99_ratio: String,
    /// `lower` (better), `higher`, `tie`.
    pub p99_verdict: String,
    /// Server CPU per request at the fixed offered rate (at peak where the
    /// run measured no fixed rate): `12.0 µs → 10.4 µs`.
    pub cpu: String,
    pub cpu_ratio: String,
    pub cpu_verdict: String,
}

/// The HTTP/2 deployments of a run: name -> (protocol, streams a connection).
pub fn http2_stacks(results: &Results) -> BTreeMap<String, (String, u64)> {
    let Some(map) = results
        .settings
        .extra
        .get(HTTP2_KEY)
        .and_then(|v| v.as_object())
    else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(name, v)| {
            let protocol = v
                .get("protocol")
                .and_then(|p| p.as_str())
                .unwrap_or("h2c")
                .to_string();
            let streams = v.get("streams").and_then(|s| s.as_u64()).unwrap_or(1);
            (name.clone(), (protocol, streams))
        })
        .collect()
}

fn base_of(rec: &StackRecord) -> &str {
    rec.base
        .as_deref()
        .unwrap_or_else(|| rec.name.split('@').next().unwrap_or(&rec.name))
}

/// The HTTP/1.1 deployment `h2` is compared with (see the module doc).
fn partner<'a>(
    results: &'a Results,
    h2: &StackRecord,
    http2: &BTreeMap<String, (String, u64)>,
) -> Option<&'a StackRecord> {
    let candidates: Vec<&StackRecord> = results
        .stacks
        .iter()
        .filter(|r| !http2.contains_key(&r.name) && base_of(r) == base_of(h2))
        .collect();
    candidates
        .iter()
        .find(|r| r.framework == h2.framework)
        .or_else(|| candidates.iter().find(|r| r.variant.is_none()))
        .copied()
}

/// `a → b` and `b ÷ a` with its interval and verdict (`better` names the
/// verdict when `b` is higher).
fn cell(
    a: Option<(Estimate, Evidence)>,
    b: Option<(Estimate, Evidence)>,
    floor: f64,
    fmt: fn(f64) -> String,
    words: [&str; 3],
) -> (String, String, String) {
    let (Some((a, ea)), Some((b, eb))) = (a, b) else {
        let side = |x: Option<(Estimate, Evidence)>| x.map_or("—".into(), |(e, _)| fmt(e.median));
        return (format!("{} → {}", side(a), side(b)), "—".into(), "—".into());
    };
    let ratio = bounded_ratio(&b, eb, &a, ea);
    let verdict = match bounded_compare(&b, eb, &a, ea, floor) {
        Comparison::Higher => words[0],
        Comparison::Lower => words[1],
        Comparison::Tie => words[2],
    };
    (
        format!("{} → {}", fmt(a.median), fmt(b.median)),
        fmt_ratio_ci(&ratio),
        verdict.into(),
    )
}

/// Every HTTP/2 deployment against its HTTP/1.1 partner, per scenario
/// (empty when the run measured no HTTP/2 deployment beside one).
pub fn rows(results: &Results, figures: &Figures) -> Vec<ProtocolRow> {
    let http2 = http2_stacks(results);
    let mut out = Vec::new();
    for (sc, figs) in &figures.scenarios {
        for h2 in results
            .stacks
            .iter()
            .filter(|r| http2.contains_key(&r.name))
        {
            let Some(h1) = partner(results, h2, &http2) else {
                continue;
            };
            let find = |name: &str| figs.iter().find(|f| f.stack == name);
            let (Some(f1), Some(f2)) = (find(&h1.name), find(&h2.name)) else {
                continue;
            };
            let (protocol, streams) = &http2[&h2.name];
            let tput = |f: &crate::verdict::figures::ScenarioFigures| {
                f.throughput_rps.map(|e| (e, f.throughput_evidence))
            };
            let p99 = |f: &crate::verdict::figures::ScenarioFigures| {
                f.p99_us.map(|e| (e, f.latency_evidence))
            };
            // At the fixed rate when both have it: the cost that noise moves little.
            let fixed = f1.cpu_fixed_us_per_req.is_some() && f2.cpu_fixed_us_per_req.is_some();
            let cpu = |f: &crate::verdict::figures::ScenarioFigures| {
                if fixed {
                    f.cpu_fixed_us_per_req.map(|e| (e, f.fixed_evidence))
                } else {
                    f.cpu_us_per_req.map(|e| (e, f.throughput_evidence))
                }
            };
            let noise = &figures.noise;
            let (throughput, throughput_ratio, throughput_verdict) = cell(
                tput(f1),
                tput(f2),
                noise.floor(Family::Throughput),
                fmt_int,
                ["faster", "slower", "tie"],
            );
            let (p99_text, p99_ratio, p99_verdict) = cell(
                p99(f1),
                p99(f2),
                noise.floor(Family::Latency),
                fmt_us,
                ["higher", "lower", "tie"],
            );
            let (cpu_text, cpu_ratio, cpu_verdict) = cell(
                cpu(f1),
                cpu(f2),
                noise.floor(Family::Cpu),
                fmt_us,
                ["higher", "lower", "tie"],
            );
            out.push(ProtocolRow {
                scenario: sc.name().to_string(),
                http1: h1.name.clone(),
                http2: h2.name.clone(),
                wire: format!(
                    "{protocol}, {streams} stream{}",
                    if *streams == 1 { "" } else { "s" }
                ),
                throughput,
                throughput_ratio,
                throughput_verdict,
                p99: p99_text,
                p99_ratio,
                p99_verdict,
                cpu: if fixed {
                    cpu_text
                } else {
                    format!("{cpu_text} (at peak)")
                },
                cpu_ratio,
                cpu_verdict,
            });
        }
    }
    out
}

/// HTTP/2 deployments beside their HTTP/1.1 partner (`report::protocols`).
pub fn terminal_table(results: &Results, fig: &Figures) -> Option<String> {
    let rows = crate::report::protocols::rows(results, fig);
    if rows.is_empty() {
        return None;
    }
    let mut t = crate::report::terminal::table(vec![
        "scenario".into(),
        "HTTP/1.1 → HTTP/2".into(),
        "wire".into(),
        "req/s".into(),
        "h2 ÷ h1 (95 %)".into(),
        "p99".into(),
        "h2 ÷ h1 (95 %)".into(),
        "CPU/req".into(),
        "h2 ÷ h1 (95 %)".into(),
    ]);
    for r in rows {
        t.add_row(vec![
            r.scenario,
            format!("{} → {}", r.http1, r.http2),
            r.wire,
            r.throughput,
            format!("{} {}", r.throughput_ratio, r.throughput_verdict),
            r.p99,
            format!("{} {}", r.p99_ratio, r.p99_verdict),
            r.cpu,
            format!("{} {}", r.cpu_ratio, r.cpu_verdict),
        ]);
    }
    Some(format!(
        "HTTP/1.1 vs HTTP/2 (same requests in flight)\n{t}\n"
    ))
}
