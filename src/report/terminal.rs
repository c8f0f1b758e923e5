//! The end-of-run terminal output of `ringside run`, from the one reduction
//! of the results ([`Figures`]): a table per scenario (rank, peak
//! throughput with its interval, ratios to the best Node.js and Python
//! stacks, latency and cost at the fixed offered rate, capacity, memory,
//! notes), workers, per-stack figures, the run's noise floor, and the claims.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};

use crate::results::{IdleKind, Results, RoundKind, StackRecord, StackStatus};
use crate::scenario::Scenario;
use crate::stats::{Comparison, Estimate};
use crate::verdict::claims::ledger;
use crate::verdict::figures::{
    Evidence, Family, Figures, Lang, ScenarioFigures, bounded_compare, bounded_ratio,
};
use crate::verdict::format::{fmt_int, fmt_pm, fmt_ratio};

pub(crate) fn table(header: Vec<String>) -> Table {
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

/// A too-noisy figure's spread: `×1.8` (never `×2` for 1.5, nor `×1` for
/// 1.4: a cell two-to-one apart is too noisy only against a quiet run), `×13`.
fn fmt_spread(spread: f64) -> String {
    if spread < 10.0 {
        format!("{spread:.1}")
    } else {
        format!("{spread:.0}")
    }
}

/// `53,348 ±9%`: the median with the interval's half-width.
fn with_pm(e: &Estimate, show: impl Fn(f64) -> String) -> String {
    if e.too_noisy() {
        // No number a reader could take for a result.
        return format!("too noisy ({} trials, ×{})", e.n, fmt_spread(e.spread()));
    }
    let pm = fmt_pm(e);
    if pm.is_empty() {
        show(e.median)
    } else {
        format!("{} {pm}", show(e.median))
    }
}

fn opt(s: Option<String>) -> String {
    s.unwrap_or_else(|| "–".into())
}

/// `× best` cell: the ratio, `≈` when it is a tie.
fn vs(f: &ScenarioFigures, best: Option<&ScenarioFigures>, floor: f64) -> String {
    let (Some(b), Some(a)) = (best, f.throughput_rps) else {
        return "–".into();
    };
    let Some(bt) = b.throughput_rps else {
        return "–".into();
    };
    if b.stack == f.stack {
        return "1.00".into();
    }
    let r = bounded_ratio(&a, f.throughput_evidence, &bt, b.throughput_evidence);
    let tie = bounded_compare(&a, f.throughput_evidence, &bt, b.throughput_evidence, floor)
        == Comparison::Tie;
    format!("{}{:.2}", if tie { "≈" } else { "" }, r.value)
}

fn best_of(figs: &[ScenarioFigures], lang: Lang) -> Option<&ScenarioFigures> {
    figs.iter()
        .filter(|f| f.lang == lang && f.throughput_rps.is_some())
        .max_by(|a, b| {
            a.throughput_rps
                .unwrap()
                .median
                .total_cmp(&b.throughput_rps.unwrap().median)
        })
}

fn rank_cell(f: &ScenarioFigures, figs: &[ScenarioFigures]) -> String {
    match f.rank {
        Some(r) => {
            let shared = figs.iter().filter(|o| o.rank == Some(r)).count() > 1;
            format!("{}{r}", if shared { "=" } else { "" })
        }
        None => "–".into(),
    }
}

fn notes_cell(f: &ScenarioFigures) -> String {
    let mut parts = Vec::new();
    match f.throughput_evidence {
        Evidence::AtLeast => parts.push("≥ generator-bound".to_string()),
        Evidence::Doubtful => parts.push("⚑ not evidence".to_string()),
        Evidence::Clean => {}
    }
    if !f.notes.is_empty() {
        parts.push(format!("{} flagged", f.notes.len()));
    }
    if let Some(s) = &f.stalls {
        parts.push(s.cell());
    }
    parts.join(", ")
}

/// One endpoint scenario's table (ws-chat has its own).
fn scenario_table(fig: &Figures, sc: Scenario, results: &Results) -> Option<String> {
    let figs = fig.scenario(sc);
    if figs.is_empty() {
        return None;
    }
    let floor = fig.noise.floor(Family::Throughput);
    let rate = figs.iter().find_map(|f| f.p99_rate_rps);
    let at = rate.map_or(String::new(), |r| format!(" @ {} rps", fmt_int(r)));
    let io = sc == Scenario::Io;
    let mut header = vec![
        "rank".to_string(),
        "stack".into(),
        "req/s (peak)".into(),
        "× best Node".into(),
        "× best Python".into(),
        format!("p50 ms{at}"),
        format!("p99 ms{at}"),
        format!("CPU µs/req{at}"),
        format!(
            "MiB{}",
            if rate.is_some() {
                at.clone()
            } else {
                " peak".into()
            }
        ),
    ];
    if io {
        header.push("in flight".into());
    }
    if figs.iter().any(|f| f.capacity.is_some()) {
        header.push(format!("capacity rps (p99<{} ms)", fig.slo_ms));
    }
    header.push("trials".into());
    header.push("notes".into());
    let mut t = table(header);
    let (bn, bp) = (best_of(figs, Lang::Node), best_of(figs, Lang::Python));
    let with_cap = figs.iter().any(|f| f.capacity.is_some());
    for f in figs {
        let mut row = vec![
            rank_cell(f, figs),
            f.stack.clone(),
            opt(f.throughput_rps.map(|e| with_pm(&e, fmt_int))),
            vs(f, bn, floor),
            vs(f, bp, floor),
            opt(f.p50_us.map(|e| ms(e.median))),
            opt(f.p99_us.map(|e| with_pm(&e, ms))),
            opt(f
                .cpu_fixed_us_per_req
                .or(f.cpu_us_per_req)
                .map(|e| with_pm(&e, |x| format!("{x:.0}")))),
            opt(f
                .rss_fixed_bytes
                .or(f.rss_peak_bytes)
                .map(|e| mib(e.median))),
        ];
        if io {
            row.push(opt(f.concurrency_achieved.map(|c| {
                format!("{:.0}/{}", c.median, f.connections.unwrap_or(0))
            })));
        }
        if with_cap {
            row.push(opt(f.capacity.as_ref().map(|c| c.text(false))));
        }
        row.push(crate::report::lost::cell(
            results,
            &f.stack,
            sc,
            f.throughput_rps.map(|e| e.n),
        ));
        row.push(with_lost(notes_cell(f), results, &f.stack, sc));
        t.add_row(row);
    }
    right_align(&mut t, 2);
    if let Some(c) = t.column_mut(1) {
        c.set_cell_alignment(CellAlignment::Left);
    }
    let title = if io {
        format!(
            "io ({} connections, each request waits without blocking)",
            figs.iter().find_map(|f| f.connections).unwrap_or(0)
        )
    } else {
        sc.name().to_string()
    };
    Some(format!("{title}\n{t}\n"))
}

/// A notes cell with the lost trials' note appended.
fn with_lost(notes: String, results: &Results, stack: &str, sc: Scenario) -> String {
    match crate::report::lost::note(results, stack, sc) {
        Some(lost) if notes.is_empty() => lost,
        Some(lost) => format!("{notes}; {lost}"),
        None => notes,
    }
}

fn ws_table(fig: &Figures, results: &Results) -> Option<String> {
    let figs = fig.scenario(Scenario::WsChat);
    if figs.is_empty() {
        return None;
    }
    // Deliveries/s at the fixed load are the load offered (alike for every
    // stack that keeps up): the table shows capacity, and latency and CPU
    // at that load.
    let load = figs
        .iter()
        .find_map(|f| f.connections)
        .map_or(String::new(), |c| {
            format!(" @ {} clients", fmt_int(c as f64))
        });
    let mut t = table(vec![
        "rank".into(),
        "stack".into(),
        format!("capacity clients (p99<{} ms)", fig.slo_ms),
        format!("p50 ms{load}"),
        format!("p99 ms{load}"),
        format!("CPU µs/delivery{load}"),
        "MiB".into(),
        "trials".into(),
        "notes".into(),
    ]);
    for f in figs {
        t.add_row(vec![
            rank_cell(f, figs),
            f.stack.clone(),
            opt(f.capacity.as_ref().map(|c| c.text(false))),
            opt(f.p50_us.map(|e| ms(e.median))),
            opt(f.p99_us.map(|e| with_pm(&e, ms))),
            opt(f.cpu_us_per_req.map(|e| with_pm(&e, |x| format!("{x:.0}")))),
            opt(f.rss_peak_bytes.map(|e| mib(e.median))),
            crate::report::lost::cell(
                results,
                &f.stack,
                Scenario::WsChat,
                f.capacity.as_ref().map(|c| c.trials),
            ),
            with_lost(
                if f.notes.is_empty() {
                    String::new()
                } else {
                    format!("{} flagged", f.notes.len())
                },
                results,
                &f.stack,
                Scenario::WsChat,
            ),
        ]);
    }
    right_align(&mut t, 2);
    if let Some(c) = t.column_mut(1) {
        c.set_cell_alignment(CellAlignment::Left);
    }
    Some(format!(
        "ws-chat (chat rooms of 10; capacity: median of the trials, each its search's bracket midpoint √(pass × failure) [95 % interval]; a–b without brackets (no interval yet): the worst trial's pass–failure; ≥: a lower bound, the interval's low end)\n{t}\n"
    ))
}

fn workers_table(fig: &Figures) -> Option<String> {
    if fig.scaling.is_empty() {
        return None;
    }
    let n = fig.scaling.iter().map(|s| s.workers_n).max().unwrap_or(2);
    let mut t = table(vec![
        "stack".into(),
        "endpoint".into(),
        "threads/process".into(),
        "cores used, 1 process".into(),
        format!("cores used, {n} processes"),
        "req/s, 1 process".into(),
        format!("req/s, {n} processes"),
        "speed-up".into(),
    ]);
    for s in &fig.scaling {
        let threads = fig
            .stacks
            .iter()
            .find(|i| i.name == s.stack)
            .and_then(|i| i.threads)
            .map(|t| t.to_string());
        t.add_row(vec![
            s.stack.clone(),
            s.target.clone(),
            opt(threads),
            opt(s.cores_one.map(|e| with_pm(&e, |x| format!("{x:.2}")))),
            opt(s.cores_many.map(|e| with_pm(&e, |x| format!("{x:.2}")))),
            opt(s.one.map(|e| fmt_int(e.median))),
            opt(s.many.map(|e| fmt_int(e.median))),
            opt(s.speedup.map(|r| fmt_ratio(r.value))),
        ]);
    }
    right_align(&mut t, 2);
    Some(format!(
        "workers (every core given to the servers, shared with the generator: read cores used; throughput is shown, not judged)\n{t}\n"
    ))
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

fn stacks_table(results: &Results, fig: &Figures) -> String {
    let mut t = table(vec![
        "stack".into(),
        "runtime".into(),
        "startup ms".into(),
        "steady after s".into(),
        "fresh MiB".into(),
        "idle KiB/conn".into(),
        "idle KiB/ws".into(),
        "deps".into(),
        "install MiB".into(),
        "source lines".into(),
        "status".into(),
    ]);
    for r in &results.stacks {
        let sf = fig.stack_figures(&r.name);
        let idle = |kind: IdleKind| {
            fig.idle
                .iter()
                .find(|i| i.stack == r.name && i.kind == kind)
                .map(|i| format!("{:.1}", i.bytes_per_connection.median / 1024.0))
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
        if let Some(s) = sf
            && s.warmups_unsettled > 0
        {
            status.push_str(&format!(
                "; {} of {} warm-ups never settled",
                s.warmups_unsettled, s.warmups
            ));
        }
        let runtime = match (&r.runtime, &r.runtime_version) {
            (_, Some(_)) => crate::report::runtimes::versions_of(r),
            (Some(n), None) => n.clone(),
            _ => "–".into(),
        };
        t.add_row(vec![
            r.name.clone(),
            runtime,
            opt(sf
                .and_then(|s| s.startup_ms)
                .map(|e| format!("{:.0}", e.median))),
            opt(sf
                .and_then(|s| s.steady_after_s)
                .map(|e| format!("{:.1}", e.median))),
            opt(sf.and_then(|s| s.fresh_bytes).map(|e| mib(e.median))),
            opt(idle(IdleKind::Http)),
            opt(idle(IdleKind::Ws)),
            opt(fp.map(|f| f.dependencies.to_string())),
            opt(fp.map(|f| mib(f.install_bytes as f64))),
            opt(fp.map(|f| f.source_lines.to_string())),
            status,
        ]);
    }
    right_align(&mut t, 2);
    if let Some(c) = t.column_mut(10) {
        c.set_cell_alignment(CellAlignment::Left);
    }
    format!("stacks\n{t}\n")
}

/// The measured noise floors other than throughput's, one phrase each.
fn other_noise(fig: &Figures) -> Vec<String> {
    let n = &fig.noise;
    [
        ("CPU per request", n.cpu),
        ("latency", n.latency),
        ("memory", n.memory),
        ("cores used", n.cores),
        ("capacity", n.capacity),
    ]
    .into_iter()
    .filter_map(|(what, noise)| {
        noise.map(|x| format!("{what} up to {:.0}% ({} cells)", 100.0 * x.floor(), x.cells))
    })
    .collect()
}

/// One stack on several runtime versions: what upgrading is worth, beside
/// what switching framework is worth.
fn runtimes_table(results: &Results, fig: &Figures) -> Option<String> {
    let rows = crate::report::runtimes::rows(results, fig);
    if rows.is_empty() {
        return None;
    }
    let mut t = table(vec![
        "scenario".into(),
        "stack".into(),
        "from".into(),
        "to".into(),
        "throughput (ws-chat: capacity)".into(),
        "upgrade (to ÷ from, 95 %)".into(),
        "".into(),
        "framework spread on to".into(),
    ]);
    for r in rows {
        t.add_row(vec![
            r.scenario,
            r.stack,
            r.from,
            r.to,
            format!("{} → {}", r.from_rps, r.to_rps),
            r.upgrade,
            r.verdict,
            r.framework_spread,
        ]);
    }
    Some(format!(
        "runtime versions: what upgrading is worth, beside what switching framework is worth\n{t}\n"
    ))
}

/// The run's noise floor and how the rounds were spent, in a few lines.
pub fn method_lines(fig: &Figures) -> Vec<String> {
    let mut out = Vec::new();
    match &fig.noise.throughput {
        Some(n) => out.push(format!(
            "Noise floor: two trials of the same server differ by up to {:.0}% in throughput (95 %; trial-to-trial CV {:.1}%, from {} repeated stack×scenario cells, {:.0} df); no ranking or verdict claims less.",
            100.0 * n.floor(),
            100.0 * n.cv(),
            n.cells,
            n.df
        )),
        None if !fig.thin() => out.push(format!(
            "Noise floor: measured from the figures repeated over trials — {} (95 %); throughput was not repeated under an unplanned load, so its differences are ties.",
            other_noise(fig).join(", ")
        )),
        None => out.push(
            "Noise floor: not measured (no stack and scenario was measured twice): every difference is a tie and the claims have not enough evidence — run without --quick, or with --trials 3."
                .to_string(),
        ),
    }
    let finals: Vec<&crate::results::RoundRecord> = fig
        .rounds
        .iter()
        .filter(|r| r.kind == RoundKind::Final)
        .collect();
    if let Some(first) = finals.first() {
        let screened: Vec<&str> = fig
            .rounds
            .iter()
            .filter(|r| r.kind == RoundKind::Screening)
            .flat_map(|r| r.stacks.iter().map(String::as_str))
            .collect();
        let mut all: Vec<&str> = screened.clone();
        all.sort();
        all.dedup();
        let mut final_only: Vec<&str> = first
            .scenarios
            .iter()
            .filter(|s| {
                s.is_endpoint()
                    && !fig
                        .rounds
                        .iter()
                        .any(|r| r.kind == RoundKind::Screening && r.scenarios.contains(s))
            })
            .map(|s| s.name())
            .collect();
        if first.scenarios.contains(&Scenario::Workers) {
            final_only.push("workers");
        }
        out.push(format!(
            "Rounds: {} screening every stack, then {} final round(s) on the finalists ({}); {} measured on the finalists only — `ringside run --scenarios {} --stacks NAME,...` measures them for any stack.",
            fig.rounds.iter().filter(|r| r.kind == RoundKind::Screening).count(),
            finals.len(),
            first.reason.join("; "),
            final_only.join(", "),
            final_only.join(",")
        ));
    }
    out
}

/// Renders every table of a run, as plain text (no colours).
pub fn render(results: &Results) -> String {
    render_figures(results, &Figures::from_results(results))
}

/// [`render`] with the figures already reduced.
pub fn render_figures(results: &Results, fig: &Figures) -> String {
    let mut out = String::new();
    for sc in Scenario::ALL
        .into_iter()
        .filter(|s| s.is_endpoint() && *s != Scenario::WsChat)
    {
        if let Some(t) = scenario_table(fig, sc, results) {
            out.push('\n');
            out.push_str(&t);
        }
    }
    if let Some(t) = ws_table(fig, results) {
        out.push('\n');
        out.push_str(&t);
    }
    if let Some(t) = workers_table(fig) {
        out.push('\n');
        out.push_str(&t);
    }
    if let Some(t) = runtimes_table(results, fig) {
        out.push('\n');
        out.push_str(&t);
    }
    if let Some(t) = crate::report::protocols::terminal_table(results, fig) {
        out.push('\n');
        out.push_str(&t);
    }
    out.push('\n');
    out.push_str(&stacks_table(results, fig));
    out.push_str(
        "\nrank: 1 + the stacks decisively ahead (95 % interval and noise floor), = shared; ±: half the 95 % interval of the median over trials; ≈: a tie. Latency from the intended send time (open loop), at the same offered rate for every stack.\n",
    );
    for line in method_lines(fig) {
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(f) = &results.settings.plan.fitted {
        out.push_str(&format!("Planned rounds: {}.\n", f.sentence()));
    }
    if fig.thin() {
        out.push_str("This run is too thin for verdicts (one trial, no measured noise): the claims below say so.\n");
    }
    out.push_str("\nclaims\n");
    for c in ledger(fig) {
        out.push_str(&format!(
            "  {} {:<20} {} — {}\n",
            c.id,
            c.verdict.label(),
            c.claim,
            c.because
        ));
    }
    for w in &results.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

#[cfg(test)]
mod spread_tests {
    #[test]
    fn a_too_noisy_spread_keeps_its_first_decimal_below_ten() {
        assert_eq!(super::fmt_spread(1.44), "1.4");
        assert_eq!(super::fmt_spread(2.15), "2.1");
        assert_eq!(super::fmt_spread(13.4), "13");
    }
}
