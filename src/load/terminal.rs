//! The terminal summary of a load run: what was asked, what came back
//! (throughput, latency percentiles — corrected and, in open loop,
//! uncorrected — statuses, errors, bytes, per-second spread, the generator's
//! own cost) and the warnings, last, where they are seen.

use std::io::{self, Write};

use comfy_table::{CellAlignment, Table, presets::NOTHING};

use super::config::{LoadConfig, Stop};
use super::report::{AgentInfo, LatencyStats, LoadReport, RunInfo};
use super::summary::describe_errors;

/// Writes the human summary of `report` (run with `cfg`) to `w`.
pub fn write_summary(w: &mut impl Write, cfg: &LoadConfig, report: &LoadReport) -> io::Result<()> {
    w.write_all(render(cfg, report).as_bytes())
}

/// What the summary's first line names: the requests and how many were asked for.
struct Heading<'a> {
    method: &'a str,
    urls: Vec<&'a str>,
    /// `-n` of this report's part of the run (None: timed).
    requests: Option<u64>,
}

/// The summary as text (no colour, fixed layout; snapshot-tested).
pub fn render(cfg: &LoadConfig, report: &LoadReport) -> String {
    let requests = match cfg.stop {
        Stop::Duration(_) => None,
        Stop::Requests(n) => Some(cfg.agent.share(n)),
    };
    let heading = Heading {
        method: &cfg.method,
        urls: cfg.urls.iter().map(url::Url::as_str).collect(),
        requests,
    };
    render_with(&heading, report)
}

/// The summary of a report that names its own run (`ringside merge`'s); None without one.
pub fn render_report(report: &LoadReport) -> Option<String> {
    let run = report.run.as_ref()?;
    let heading = Heading {
        method: &run.method,
        urls: run.urls.iter().map(String::as_str).collect(),
        requests: run.requests_planned,
    };
    Some(render_with(&heading, report))
}

/// `Agents` line of a split run: one agent's shard, host and window, or the
/// merged agents and how far apart their windows started. None for a whole run.
pub fn agents_line(run: &RunInfo) -> Option<String> {
    let host = |a: &AgentInfo| a.pod.clone().unwrap_or_else(|| a.hostname.clone());
    match run.agents.as_slice() {
        [] => None,
        [a] => {
            let shard = a.shard?;
            Some(format!(
                "shard {shard} on {} · window from {}",
                host(a),
                a.window_start
            ))
        }
        agents => {
            let starts: Vec<_> = agents
                .iter()
                .filter_map(|a| crate::load::shard::parse_rfc3339(&a.window_start))
                .collect();
            let spread = match (starts.iter().min(), starts.iter().max()) {
                (Some(lo), Some(hi)) => hi.duration_since(*lo).unwrap_or_default(),
                _ => std::time::Duration::ZERO,
            };
            let names = agents
                .iter()
                .map(|a| {
                    format!(
                        "{} {}",
                        a.shard.map_or("-".into(), |s| s.to_string()),
                        host(a)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            Some(format!(
                "{} merged ({names}) · windows started within {:.1} ms",
                agents.len(),
                spread.as_secs_f64() * 1e3
            ))
        }
    }
}

fn render_with(heading: &Heading, report: &LoadReport) -> String {
    let mut out = String::new();
    let stop = match heading.requests {
        None => format!("{:.1} s", report.duration_s),
        Some(n) => format!("{} requests", count(n)),
    };
    let pace = match report.target_rps {
        Some(rps) => format!("open loop at {} req/s", count(rps.round() as u64)),
        None => "closed loop".into(),
    };
    let connections = match report.connections_open {
        Some(open) if open != report.connections => {
            format!("{open} of {} connections open", report.connections)
        }
        _ => format!("{} connections", report.connections),
    };
    out += &format!(
        "{} {} · {pace} · {connections} · {stop} · {} thread(s)\n",
        heading.method,
        heading.urls.first().copied().unwrap_or_default(),
        report.generator.threads
    );
    for url in heading.urls.iter().skip(1) {
        out += &format!("    {url}\n");
    }
    out += "\n";

    let mut lines: Vec<(&str, String)> = Vec::new();
    if let Some(agents) = report.run.as_ref().and_then(agents_line) {
        lines.push(("Agents", agents));
    }
    lines.push((
        "Throughput",
        format!(
            "{} req/s   ({} responses in {:.2} s)",
            count(report.throughput_rps.round() as u64),
            count(report.requests),
            report.duration_s
        ),
    ));
    if let (Some(target), Some(achieved)) = (report.target_rps, report.achieved_rps) {
        let unsent = if report.unsent > 0 {
            format!(" · {} expired unsent", count(report.unsent))
        } else {
            String::new()
        };
        lines.push((
            "Offered",
            format!(
                "target {} req/s · sent {} req/s · {} late sends (worst {}){unsent}",
                count(target.round() as u64),
                count(achieved.round() as u64),
                count(report.late_sends),
                duration_us(report.max_send_lag_us)
            ),
        ));
    }
    let statuses = report
        .status_counts
        .iter()
        .map(|(code, n)| format!("{code} × {}", count(*n)))
        .collect::<Vec<_>>()
        .join(", ");
    lines.push((
        "Status",
        if statuses.is_empty() {
            "no responses".into()
        } else {
            statuses
        },
    ));
    let errors = if report.errors.total() == 0 {
        "none".into()
    } else {
        format!(
            "{} ({})",
            count(report.errors.total()),
            describe_errors(&report.errors)
        )
    };
    lines.push(("Errors", errors));
    let per_s = |b: u64| bytes((b as f64 / report.duration_s.max(1e-9)) as u64);
    lines.push((
        "Transfer",
        format!(
            "in {} ({}/s) · out {} ({}/s)",
            bytes(report.bytes_in),
            per_s(report.bytes_in),
            bytes(report.bytes_out),
            per_s(report.bytes_out)
        ),
    ));
    if report.requests > 0 && !report.per_second.is_empty() {
        let mut sorted = report.per_second.clone();
        sorted.sort_unstable();
        lines.push((
            "Per second",
            format!(
                "min {} · median {} · max {} req/s over {} s",
                count(sorted[0]),
                count(sorted[sorted.len() / 2]),
                count(sorted[sorted.len() - 1]),
                sorted.len()
            ),
        ));
    }
    let g = &report.generator;
    let per_req = if report.requests > 0 {
        format!(
            ", {:.2} µs CPU/response",
            g.cpu_s * 1e6 / report.requests as f64
        )
    } else {
        String::new()
    };
    lines.push((
        "Generator",
        format!(
            "{:.2} CPU-s on {} thread(s), {:.0}% busy{per_req}",
            g.cpu_s,
            g.threads,
            g.utilization * 100.0
        ),
    ));
    for (label, text) in lines {
        out += &format!("  {label:<11} {text}\n");
    }

    out += "\n";
    if report.requests > 0 {
        out += &latency_table(report);
    } else {
        out += "  Latency     none: nothing answered\n";
    }
    out += "\n";
    for w in &report.warnings {
        out += &format!("warning: {w}\n");
    }
    out
}

fn latency_table(report: &LoadReport) -> String {
    let mut table = Table::new();
    table.load_style(NOTHING);
    table.set_header(vec![
        "  Latency",
        "min",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "p99.99",
        "max",
        "mean",
        "stdev",
    ]);
    let row = |label: &str, s: &LatencyStats| {
        let mut cells = vec![label.to_string()];
        cells.extend(
            [
                s.min_us, s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.p9999_us, s.max_us,
            ]
            .map(duration_us),
        );
        cells.push(duration_us(s.mean_us.round() as u64));
        cells.push(duration_us(s.stdev_us.round() as u64));
        cells
    };
    match &report.latency_uncorrected {
        Some(unc) => {
            table.add_row(row("  corrected", &report.latency));
            table.add_row(row("  uncorrected", unc));
        }
        None => {
            table.add_row(row("  ", &report.latency));
        }
    }
    for i in 1..10 {
        if let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut text = table.to_string();
    text.push('\n');
    if report.latency_uncorrected.is_some() {
        text.push_str(
            "  (corrected: a request that waited for a busy connection is timed from its \
             planned send, so a stall cannot hide)\n",
        );
    }
    text
}

/// `850µs`, `12.3ms`, `1.23s`.
pub fn duration_us(us: u64) -> String {
    match us {
        0..1_000 => format!("{us}µs"),
        1_000..10_000 => format!("{:.2}ms", us as f64 / 1e3),
        10_000..1_000_000 => format!("{:.1}ms", us as f64 / 1e3),
        _ => format!("{:.2}s", us as f64 / 1e6),
    }
}

/// `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `512 B`, `1.5 KiB`, `98.1 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::config::{RateSchedule, Schedule};
    use crate::load::report::{ErrorCounts, GeneratorUsage, LOAD_SCHEMA};
    use std::time::Duration;

    #[test]
    fn units() {
        assert_eq!(duration_us(850), "850µs");
        assert_eq!(duration_us(1_234), "1.23ms");
        assert_eq!(duration_us(12_345), "12.3ms");
        assert_eq!(duration_us(2_500_000), "2.50s");
        assert_eq!(count(0), "0");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(100), "100");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 << 20), "5.0 MiB");
    }

    fn stats(base: u64) -> LatencyStats {
        LatencyStats {
            count: 1000,
            min_us: base / 4,
            mean_us: base as f64 * 1.2,
            stdev_us: base as f64 / 3.0,
            max_us: base * 40,
            p50_us: base,
            p90_us: base * 2,
            p99_us: base * 5,
            p999_us: base * 10,
            p9999_us: base * 30,
        }
    }

    #[test]
    fn open_loop_summary_snapshot() {
        let url = url::Url::parse("http://127.0.0.1:8080/plaintext").unwrap();
        let mut cfg = LoadConfig::open(url, 16, 2000.0, Duration::from_secs(3));
        cfg.schedule = Schedule::Open(RateSchedule::Constant { rps: 2000.0 });
        let report = LoadReport {
            schema: LOAD_SCHEMA.into(),
            mode: "open".into(),
            connections: 16,
            connections_open: None,
            duration_s: 3.0,
            requests: 5_990,
            throughput_rps: 1996.7,
            target_rps: Some(2000.0),
            achieved_rps: Some(1998.0),
            late_sends: 12,
            unsent: 0,
            max_send_lag_us: 4_200,
            latency: stats(900),
            latency_uncorrected: Some(stats(300)),
            status_counts: [(200, 5_980), (503, 10)].into_iter().collect(),
            errors: ErrorCounts {
                timeout: 2,
                ..Default::default()
            },
            bytes_in: 5_990 * 130,
            bytes_out: 5_992 * 60,
            per_second: vec![1990, 2001, 1999],
            per_100ms: Vec::new(),
            generator: GeneratorUsage {
                cpu_s: 0.42,
                threads: 1,
                utilization: 0.14,
                saturated: false,
            },
            warnings: vec!["2 of 5992 requests failed (timeout 2)".into()],
            histogram_b64: None,
            histogram_uncorrected_b64: None,
            run: None,
        };
        insta::assert_snapshot!(render(&cfg, &report));
    }
}
