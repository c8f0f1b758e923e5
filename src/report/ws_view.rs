//! The ws-chat table of the HTML and Markdown reports. ws-chat is measured
//! at a fixed load (clients × messages/s: every stack that keeps up delivers
//! the same deliveries/s, the load offered, not a result) and by a capacity
//! search: the table shows what the scenario measures — capacity at the SLO
//! (and each stack against the best), p99 and CPU per delivery at the fixed
//! load — and its chart is of capacity.

use crate::report::charts::{self, BarInput, short};
use crate::report::plots::{self, CHART_W};
use crate::results::Results;
use crate::scenario::Scenario;
use crate::verdict::figures::{Figures, Lang, ScenarioFigures};
use crate::verdict::format::{fmt_bytes, fmt_int, fmt_ratio, fmt_us};

use super::view::{ScenarioRow, ScenarioView};

/// `lowest passing–lowest failing clients` over the trials, `≥ N` when
/// nothing failed above.
pub fn capacity_text(f: &ScenarioFigures) -> String {
    f.capacity.as_ref().map_or("—".into(), |c| c.text(true))
}

/// Capacity (lowest passing over the trials) of the best stack of `lang`.
fn best_capacity(figs: &[ScenarioFigures], lang: Lang) -> Option<f64> {
    figs.iter()
        .filter(|f| f.lang == lang)
        .filter_map(|f| f.capacity.as_ref().map(|c| c.low))
        .filter(|c| *c > 0.0)
        .reduce(f64::max)
}

fn vs(f: &ScenarioFigures, best: Option<f64>) -> String {
    match (f.capacity.as_ref().map(|c| c.low), best) {
        (Some(c), Some(b)) if c > 0.0 && b > 0.0 => fmt_ratio(c / b),
        _ => "—".into(),
    }
}

/// The ws-chat view.
pub fn ws_chat_view(
    results: &Results,
    _fig: &Figures,
    figs: &[ScenarioFigures],
    color_of: &dyn Fn(&str) -> String,
) -> ScenarioView {
    let (best_node, best_py) = (
        best_capacity(figs, Lang::Node),
        best_capacity(figs, Lang::Python),
    );
    let load = figs
        .iter()
        .find_map(|f| f.connections)
        .map_or(String::new(), |c| {
            format!(" ({} clients)", fmt_int(c as f64))
        });
    let rows: Vec<ScenarioRow> = figs
        .iter()
        .map(|f| ScenarioRow {
            stack: f.stack.clone(),
            lang: f.lang.label().to_string(),
            color: color_of(&f.stack),
            throughput: capacity_text(f),
            throughput_range: String::new(),
            p99: f.p99_us.map_or("—".into(), |s| fmt_us(s.median)),
            p99_range: f.p99_us.map_or(String::new(), |s| {
                if s.too_noisy() {
                    crate::verdict::format::fmt_too_noisy(&s)
                } else if s.has_interval() {
                    format!("{}–{}", fmt_us(s.low), fmt_us(s.high))
                } else {
                    String::new()
                }
            }),
            // The first column is capacity; this one says over how many trials.
            capacity: f
                .capacity
                .as_ref()
                .map_or("—".into(), |c| format!("over {} trial(s)", c.trials)),
            cpu_us_per_req: f
                .cpu_us_per_req
                .map_or("—".into(), |s| format!("{:.0} per delivery", s.median)),
            rss: f.rss_peak_bytes.map_or("—".into(), |s| fmt_bytes(s.median)),
            vs_node: vs(f, best_node),
            vs_python: vs(f, best_py),
            notes: super::view::with_lost(&f.notes, results, &f.stack, Scenario::WsChat),
            rank: match f.rank {
                Some(r) if figs.iter().filter(|o| o.rank == Some(r)).count() > 1 => format!("={r}"),
                Some(r) => r.to_string(),
                None => "–".into(),
            },
            trials: crate::report::lost::cell(
                results,
                &f.stack,
                Scenario::WsChat,
                f.capacity.as_ref().map(|c| c.trials),
            ),
        })
        .collect();
    let bars: Vec<BarInput> = figs
        .iter()
        .filter_map(|f| {
            let c = f.capacity.as_ref().filter(|c| c.low > 0.0)?;
            Some(BarInput {
                label: f.stack.clone(),
                color: color_of(&f.stack),
                value: c.low,
                min: c.low,
                max: c.high.unwrap_or(c.low),
                value_label: format!("{} {}", fmt_int(c.low), c.unit),
                flagged: !f.notes.is_empty(),
            })
        })
        .collect();
    let slo = results.settings.slo_ms;
    let throughput_chart = (!bars.is_empty()).then(|| {
        charts::bar_chart(
            &format!(
                "Capacity at the SLO (p99 < {slo} ms), clients: lowest passing over the trials; whiskers to the lowest failing"
            ),
            "clients",
            CHART_W,
            bars,
            &[],
            short,
        )
    });
    ScenarioView {
        name: Scenario::WsChat.name().to_string(),
        about: "WebSocket rooms; every message is broadcast to its room. Capacity at the SLO is the most clients a server kept within it; p99 and CPU per delivery are at the fixed load, which every stack that keeps up delivers alike.".to_string(),
        throughput_unit: format!("capacity at SLO (p99 < {slo} ms)"),
        p99_at: format!("p99 at the fixed load{load}"),
        has_notes: rows.iter().any(|r| !r.notes.is_empty()),
        rows,
        throughput_chart,
        latency_chart: plots::latency_chart(results, Scenario::WsChat, figs, color_of),
    }
}
