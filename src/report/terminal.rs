//! The end-of-run terminal tables of `ringside run`: one table per scenario
//! (stacks as rows: peak throughput, latency at a fixed rate, capacity at SLO,
//! CPU per request, peak RSS), the fastest marked and ratios to the best
//! Node.js and best Python stack; then workers scaling and per-stack figures.
//! Medians over trials of valid points only; invalid points are counted.

use std::collections::BTreeSet;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};

use crate::scenario::Scenario;
use crate::stats::basic::{self as stats, Summary};
use crate::suite::results::{Point, PointKind, Results, StackRecord, StackStatus};

/// Medians closer than this fraction are a tie even with one trial.
const TIE_FLOOR: f64 = 0.03;

fn table(header: Vec<String>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty()
        .set_header(header);
    t
}

fn right_align(t: &mut Table, from: usize) {
    let n = t.column_count();
    for i in from..n {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn thousands(x: f64) -> String {
    let n = x.round() as i64;
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn ms(us: f64) -> String {
    if us >= 100_000.0 {
        format!("{:.0}", us / 1000.0)
    } else {
        format!("{:.2}", us / 1000.0)
    }
}

fn mib(bytes: f64) -> String {
    format!("{:.1}", bytes / (1024.0 * 1024.0))
}

fn with_spread(s: &Summary, fmt: impl Fn(f64) -> String) -> String {
    if s.n > 1 {
        format!("{} ±{:.0}%", fmt(s.median), s.spread * 50.0)
    } else {
        fmt(s.median)
    }
}

fn opt(s: Option<String>) -> String {
    s.unwrap_or_else(|| "–".into())
}

/// Summary over trials of one figure per trial (`per_trial` picks it from a trial's points).
fn per_trial(
    points: &[&Point],
    trials: &BTreeSet<u32>,
    pick: impl Fn(&[&Point]) -> Option<f64>,
) -> Option<Summary> {
    let xs: Vec<f64> = trials
        .iter()
        .filter_map(|t| {
            let of_trial: Vec<&Point> = points.iter().copied().filter(|p| p.trial == *t).collect();
            pick(&of_trial)
        })
        .collect();
    stats::summarize(&xs)
}

fn peak_rps(ps: &[&Point]) -> Option<f64> {
    ps.iter()
        .filter(|p| p.valid && matches!(p.kind, PointKind::Peak { .. } | PointKind::Io { .. }))
        .filter_map(|p| p.load.as_ref().map(|l| l.throughput_rps))
        .reduce(f64::max)
}

fn at_rate(rate: f64) -> impl Fn(&Point) -> bool {
    move |p: &Point| p.valid && matches!(p.kind, PointKind::FixedRate { rps } if rps == rate)
}

/// The offered rate latency is compared at: the middle of the scenario's rates.
fn compare_rate(results: &Results, sc: Scenario) -> Option<f64> {
    let mut rates: Vec<f64> = results
        .points
        .iter()
        .filter(|p| p.scenario == sc)
        .filter_map(|p| match p.kind {
            PointKind::FixedRate { rps } => Some(rps),
            _ => None,
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates.dedup();
    rates.get(rates.len() / 2).copied()
}

fn best_of(rows: &[(String, String, Option<Summary>)], language: &str) -> Option<f64> {
    rows.iter()
        .filter(|(_, lang, _)| lang == language)
        .filter_map(|(_, _, s)| s.map(|s| s.median))
        .reduce(f64::max)
}

fn language_of<'a>(results: &'a Results, stack: &str) -> &'a str {
    results
        .stacks
        .iter()
        .find(|r| r.name == stack)
        .map_or("other", |r| r.language.as_str())
}

/// One scenario's table.
fn scenario_table(results: &Results, sc: Scenario) -> Option<String> {
    let points: Vec<&Point> = results
        .points
        .iter()
        .filter(|p| p.scenario == sc && p.workers == 1)
        .collect();
    if points.is_empty() {
        return None;
    }
    let stacks: Vec<&str> = results
        .stacks
        .iter()
        .map(|r| r.name.as_str())
        .filter(|n| points.iter().any(|p| p.stack == *n))
        .collect();
    let rate = compare_rate(results, sc);
    let rows: Vec<(String, String, Option<Summary>)> = stacks
        .iter()
        .map(|s| {
            let ps: Vec<&Point> = points.iter().copied().filter(|p| p.stack == *s).collect();
            let trials: BTreeSet<u32> = ps.iter().map(|p| p.trial).collect();
            (
                s.to_string(),
                language_of(results, s).to_string(),
                per_trial(&ps, &trials, peak_rps),
            )
        })
        .collect();
    let best = rows
        .iter()
        .filter_map(|(n, _, s)| s.map(|s| (n.clone(), s)))
        .max_by(|a, b| a.1.median.total_cmp(&b.1.median));
    let best_node = best_of(&rows, "javascript");
    let best_py = best_of(&rows, "python");
    let rate_label = rate.map_or(String::new(), |r| format!(" @ {} rps", thousands(r)));
    let mut header = vec![
        "stack".to_string(),
        "req/s (peak)".into(),
        "× best Node".into(),
        "× best Python".into(),
        format!("p50 ms{rate_label}"),
        format!("p99 ms{rate_label}"),
        format!("capacity rps (p99<{} ms)", results.settings.slo_ms),
        "CPU µs/req @ peak".into(),
        "RSS peak MiB".into(),
    ];
    if sc == Scenario::Io {
        header.push("in flight".into());
    }
    header.push("notes".into());
    let mut t = table(header);
    for (name, _, peak) in &rows {
        let ps: Vec<&Point> = points
            .iter()
            .copied()
            .filter(|p| p.stack == *name)
            .collect();
        let trials: BTreeSet<u32> = ps.iter().map(|p| p.trial).collect();
        let mark = match (&best, peak) {
            (Some((bn, _)), _) if bn == name => " ★",
            (Some((_, bs)), Some(s)) if stats::is_tie(bs, s, TIE_FLOOR) => " ≈★",
            _ => "",
        };
        let ratio = |b: Option<f64>| {
            opt(peak
                .and_then(|s| b.and_then(|b| stats::ratio(s.median, b)))
                .map(|r| format!("{r:.2}")))
        };
        let lat = |f: fn(&crate::load::report::LatencyStats) -> u64| {
            opt(rate.and_then(|r| {
                per_trial(&ps, &trials, |tp| {
                    tp.iter()
                        .copied()
                        .find(|p| at_rate(r)(p))
                        .and_then(|p| p.load.as_ref())
                        .map(|l| f(&l.latency) as f64)
                })
                .map(|s| with_spread(&s, ms))
            }))
        };
        let searches: Vec<_> = results
            .capacity
            .iter()
            .filter(|c| c.stack == *name && c.scenario == sc && c.workers == 1)
            .collect();
        let cap_xs: Vec<f64> = searches.iter().map(|c| c.capacity.unwrap_or(0.0)).collect();
        let cap = if !searches.is_empty() && searches.iter().all(|c| c.capacity.is_none()) {
            let lowest = searches
                .iter()
                .flat_map(|c| &c.steps)
                .map(|s| s.offered)
                .reduce(f64::min);
            Some(lowest.map_or("none".into(), |l| format!("< {}", thousands(l))))
        } else {
            stats::summarize(&cap_xs).map(|s| with_spread(&s, thousands))
        };
        // CPU cost under load (the busiest valid closed-loop point), as the
        // HTML report and the recommendation use it: at a low fixed rate the
        // per-request wake-ups dominate and the figure says little about cost
        // at scale.
        let cpu = per_trial(&ps, &trials, |tp| {
            let busiest = tp
                .iter()
                .copied()
                .filter(|p| {
                    p.valid && matches!(p.kind, PointKind::Peak { .. } | PointKind::Io { .. })
                })
                .max_by(|a, b| {
                    let rps = |p: &Point| p.load.as_ref().map_or(0.0, |l| l.throughput_rps);
                    rps(a).total_cmp(&rps(b))
                });
            let fixed = rate.and_then(|r| tp.iter().copied().find(|p| at_rate(r)(p)));
            busiest
                .or(fixed)
                .or_else(|| tp.iter().copied().find(|p| p.valid))
                .and_then(|p| p.server.cpu_us_per_req)
        })
        .map(|s| with_spread(&s, |x| format!("{x:.0}")));
        let rss = per_trial(&ps, &trials, |tp| {
            tp.iter()
                .filter(|p| p.valid && p.server.rss_peak_bytes > 0)
                .map(|p| p.server.rss_peak_bytes as f64)
                .reduce(f64::max)
        })
        .map(|s| mib(s.median));
        let mut row = vec![
            format!("{name}{mark}"),
            opt(peak.map(|s| with_spread(&s, thousands))),
            ratio(best_node),
            ratio(best_py),
            lat(|l| l.p50_us),
            lat(|l| l.p99_us),
            opt(cap),
            opt(cpu),
            opt(rss),
        ];
        if sc == Scenario::Io {
            let inflight = per_trial(&ps, &trials, |tp| {
                tp.iter()
                    .copied()
                    .find(|p| p.valid && matches!(p.kind, PointKind::Io { .. }))
                    .and_then(|p| p.server.concurrency_achieved)
            });
            row.push(opt(inflight.map(|s| {
                format!("{:.0}/{}", s.median, results.settings.io_connections)
            })));
        }
        let invalid = ps.iter().filter(|p| !p.valid).count();
        let flagged = ps.iter().filter(|p| p.valid && !p.flags.is_empty()).count();
        let mut notes = Vec::new();
        if invalid > 0 {
            notes.push(format!("{invalid} invalid"));
        }
        if flagged > 0 {
            notes.push(format!("{flagged} flagged"));
        }
        row.push(notes.join(", "));
        t.add_row(row);
    }
    right_align(&mut t, 1);
    let last = t.column_count() - 1;
    if let Some(c) = t.column_mut(last) {
        c.set_cell_alignment(CellAlignment::Left);
    }
    Some(format!("{sc}\n{t}\n"))
}

/// ws-chat: delivery latency at the middle message rate, capacity in clients.
fn ws_table(results: &Results) -> Option<String> {
    let points: Vec<&Point> = results
        .points
        .iter()
        .filter(|p| p.scenario == Scenario::WsChat)
        .collect();
    if points.is_empty() {
        return None;
    }
    let mut rates: Vec<f64> = points
        .iter()
        .filter_map(|p| match p.kind {
            PointKind::Ws {
                msg_rate_per_client,
                ..
            } => Some(msg_rate_per_client),
            _ => None,
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates.dedup();
    let rate = rates[rates.len() / 2];
    let clients = points
        .iter()
        .find_map(|p| match p.kind {
            PointKind::Ws { clients, rooms, .. } => {
                Some(format!("{clients} clients in {rooms} rooms"))
            }
            _ => None,
        })
        .unwrap_or_default();
    let mut t = table(vec![
        "stack".into(),
        "deliveries/s".into(),
        "p50 ms".into(),
        "p99 ms".into(),
        format!("capacity clients (p99<{} ms)", results.settings.slo_ms),
        "CPU µs/delivery".into(),
        "RSS peak MiB".into(),
        "notes".into(),
    ]);
    let stacks: Vec<&str> = results
        .stacks
        .iter()
        .map(|r| r.name.as_str())
        .filter(|n| points.iter().any(|p| p.stack == *n))
        .collect();
    for name in stacks {
        let at: Vec<&Point> = points
            .iter()
            .copied()
            .filter(|p| p.stack == name && matches!(p.kind, PointKind::Ws { msg_rate_per_client, .. } if msg_rate_per_client == rate))
            .collect();
        let valid: Vec<&Point> = at.iter().copied().filter(|p| p.valid).collect();
        let med = |f: &dyn Fn(&Point) -> Option<f64>| {
            stats::median(&valid.iter().filter_map(|p| f(p)).collect::<Vec<_>>())
        };
        let caps: Vec<f64> = results
            .capacity
            .iter()
            .filter(|c| c.stack == name && c.scenario == Scenario::WsChat)
            .filter_map(|c| c.capacity)
            .collect();
        let invalid = points
            .iter()
            .filter(|p| p.stack == name && !p.valid)
            .count();
        t.add_row(vec![
            name.to_string(),
            opt(med(&|p| p.ws.as_ref().map(|w| w.delivered_per_s)).map(thousands)),
            opt(med(&|p| p.ws.as_ref().map(|w| w.latency.p50_us as f64)).map(ms)),
            opt(med(&|p| p.ws.as_ref().map(|w| w.latency.p99_us as f64)).map(ms)),
            opt(stats::median(&caps).map(thousands)),
            opt(med(&|p| p.server.cpu_us_per_req).map(|x| format!("{x:.0}"))),
            opt(med(&|p| Some(p.server.rss_peak_bytes as f64).filter(|b| *b > 0.0)).map(mib)),
            if invalid > 0 {
                format!("{invalid} invalid")
            } else {
                String::new()
            },
        ]);
    }
    right_align(&mut t, 1);
    if let Some(c) = t.column_mut(7) {
        c.set_cell_alignment(CellAlignment::Left);
    }
    Some(format!("ws-chat ({clients}, {rate} msg/s each)\n{t}\n"))
}

fn workers_table(results: &Results) -> Option<String> {
    let points: Vec<&Point> = results
        .points
        .iter()
        .filter(|p| p.scenario == Scenario::Workers)
        .collect();
    if points.is_empty() {
        return None;
    }
    let n = results.settings.workers_n;
    let mut t = table(vec![
        "stack".into(),
        "endpoint".into(),
        "req/s, 1 worker".into(),
        format!("req/s, {n} workers"),
        "speed-up".into(),
        "efficiency".into(),
    ]);
    let mut keys: Vec<(String, String)> = points
        .iter()
        .map(|p| (p.stack.clone(), p.target.clone()))
        .collect();
    keys.dedup();
    let keys: Vec<(String, String)> = keys
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for (stack, target) in keys {
        let median_at = |w: u32| {
            let xs: Vec<f64> = points
                .iter()
                .filter(|p| p.stack == stack && p.target == target && p.workers == w && p.valid)
                .filter_map(|p| p.load.as_ref().map(|l| l.throughput_rps))
                .collect();
            stats::median(&xs)
        };
        let (one, many) = (median_at(1), median_at(n));
        let speedup = one.zip(many).and_then(|(a, b)| stats::ratio(b, a));
        t.add_row(vec![
            stack.clone(),
            target.clone(),
            opt(one.map(thousands)),
            opt(many.map(thousands)),
            opt(speedup.map(|s| format!("{s:.2}×"))),
            opt(speedup.map(|s| format!("{:.0}%", 100.0 * s / n.max(1) as f64))),
        ]);
    }
    right_align(&mut t, 2);
    Some(format!("workers (1 vs {n})\n{t}\n"))
}

fn status_text(r: &StackRecord) -> String {
    match &r.status {
        StackStatus::Measured => "measured".into(),
        StackStatus::Skipped { reason } => format!("skipped: {reason}"),
        StackStatus::Failed { stage, reason, .. } => {
            let first = reason.lines().next().unwrap_or("");
            format!("failed ({stage}): {first}")
        }
    }
}

fn stacks_table(results: &Results) -> String {
    let mut t = table(vec![
        "stack".into(),
        "language".into(),
        "runtime".into(),
        "startup ms".into(),
        "idle KiB/conn".into(),
        "idle KiB/ws".into(),
        "deps".into(),
        "install MiB".into(),
        "source lines".into(),
        "status".into(),
    ]);
    for r in &results.stacks {
        let startup =
            stats::summarize(&r.startup_ms).map(|s| with_spread(&s, |x| format!("{x:.0}")));
        let idle = |kind: &str| {
            let xs: Vec<f64> = r
                .idle
                .iter()
                .filter(|i| i.kind == kind && i.connections_open > 0)
                .map(|i| i.bytes_per_connection / 1024.0)
                .collect();
            opt(stats::median(&xs).map(|x| format!("{x:.1}")))
        };
        let fp = r.footprint.as_ref();
        let mut status = status_text(r);
        if !r.verify_failures.is_empty() {
            let names: Vec<&str> = r.verify_failures.keys().map(String::as_str).collect();
            status.push_str(&format!("; failed verify: {}", names.join(", ")));
        }
        if !r.failures.is_empty() {
            status.push_str(&format!("; {} failure(s)", r.failures.len()));
        }
        t.add_row(vec![
            r.name.clone(),
            r.language.clone(),
            opt(r.runtime_version.clone()),
            opt(startup),
            idle("http"),
            idle("ws"),
            opt(fp.map(|f| f.dependencies.to_string())),
            opt(fp.map(|f| mib(f.install_bytes as f64))),
            opt(fp.map(|f| f.source_lines.to_string())),
            status,
        ]);
    }
    right_align(&mut t, 3);
    if let Some(c) = t.column_mut(9) {
        c.set_cell_alignment(CellAlignment::Left);
    }
    format!("stacks\n{t}\n")
}

/// Renders every table of a run, as plain text (no colours).
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    for sc in Scenario::ALL
        .into_iter()
        .filter(|s| s.is_endpoint() && *s != Scenario::WsChat)
    {
        if let Some(t) = scenario_table(results, sc) {
            out.push('\n');
            out.push_str(&t);
        }
    }
    if let Some(t) = ws_table(results) {
        out.push('\n');
        out.push_str(&t);
    }
    if let Some(t) = workers_table(results) {
        out.push('\n');
        out.push_str(&t);
    }
    out.push('\n');
    out.push_str(&stacks_table(results));
    out.push_str(&format!(
        "\n★ fastest peak throughput; ≈★ a tie with it (within the trials' spread or {:.0}%). Latency from the intended send time (open loop). Medians of valid points; ± is half the range over trials.\n",
        TIE_FLOOR * 100.0
    ));
    for w in &results.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}
