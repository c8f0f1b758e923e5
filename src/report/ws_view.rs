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
use crate::verdict::figures::{CapacityFigure, Family, Figures, Lang, ScenarioFigures};
use crate::verdict::format::{fmt_bytes, fmt_int, fmt_ratio, fmt_us};

use super::view::{ScenarioRow, ScenarioView};

/// The capacity figure as the tables print it: `median [95 % interval]`,
/// `≥ N` when open above, the worst trial's bracket without an interval.
pub fn capacity_text(f: &ScenarioFigures) -> String {
    f.capacity.as_ref().map_or("—".into(), |c| c.text(true))
}

/// The best stack of `lang` by capacity (the figure's median).
fn best_capacity(figs: &[ScenarioFigures], lang: Lang) -> Option<&CapacityFigure> {
    figs.iter()
        .filter(|f| f.lang == lang)
        .filter_map(|f| f.capacity.as_ref())
        .filter(|c| c.low > 0.0)
        .max_by(|a, b| a.typical().total_cmp(&b.typical()))
}

/// `× best`: the capacity figure's ratio to the best's
/// ([`CapacityFigure::ratio_to`]), `≈` when neither is ahead of the other
/// beyond the noise `floor` (as the table ranks), `—` without a ratio.
fn vs(f: &ScenarioFigures, best: Option<&CapacityFigure>, floor: f64) -> String {
    let (Some(c), Some(b)) = (f.capacity.as_ref().filter(|c| c.low > 0.0), best) else {
        return "—".into();
    };
    if std::ptr::eq(c, b) {
        return fmt_ratio(1.0);
    }
    let r = c.ratio_to(b);
    if !r.value.is_finite() || r.value <= 0.0 {
        return "—".into();
    }
    let tie = !c.ahead_of(b, floor) && !b.ahead_of(c, floor);
    format!("{}{}", if tie { "≈" } else { "" }, fmt_ratio(r.value))
}

/// The ws-chat view.
pub fn ws_chat_view(
    results: &Results,
    fig: &Figures,
    figs: &[ScenarioFigures],
    color_of: &dyn Fn(&str) -> String,
) -> ScenarioView {
    let floor = fig.noise.floor(Family::Throughput);
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
            vs_node: vs(f, best_node, floor),
            vs_python: vs(f, best_py, floor),
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
            // As the table prints it: the median and its interval; open
            // above, the interval's low end; without an interval, the
            // worst trial's pass with a whisker to its failure.
            let (value, min, max, shown) = match (c.interval_low(), c.interval_high()) {
                (Some(l), Some(h)) => (c.typical(), l, h, fmt_int(c.typical())),
                (Some(l), None) => (l, l, l, format!("≥ {}", fmt_int(l))),
                (None, _) => (c.low, c.low, c.high.unwrap_or(c.low), fmt_int(c.low)),
            };
            Some(BarInput {
                label: f.stack.clone(),
                color: color_of(&f.stack),
                value,
                min,
                max,
                value_label: format!("{shown} {}", c.unit),
                flagged: !f.notes.is_empty(),
            })
        })
        .collect();
    let slo = results.settings.slo_ms;
    let throughput_chart = (!bars.is_empty()).then(|| {
        charts::bar_chart(
            &format!(
                "Capacity at the SLO (p99 < {slo} ms), clients: median of the trials, whiskers its 95 % interval (without one: the worst trial's pass to its failure)"
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
