//! The charts of the report, laid out from the figures: throughput bars,
//! latency spectra, scaling, io concurrency, idle memory and startup.

use crate::report::charts::{self, BarChart, BarInput, LineChart, Scale, SeriesInput, short};
use crate::report::histogram;
use crate::results::{Point, PointKind, Results};
use crate::scenario::Scenario;
use crate::verdict::figures::{Figures, ScenarioFigures};
use crate::verdict::format::{fmt_bytes, fmt_int, fmt_ms};

/// Width of the charts in SVG units.
pub const CHART_W: f64 = 860.0;

/// The point whose p99 is the median of `pts` (for a representative spectrum).
fn median_point(mut pts: Vec<&Point>) -> Option<&Point> {
    let p99 = |p: &Point| {
        p.load
            .as_ref()
            .map(|l| l.latency.p99_us)
            .or_else(|| p.ws.as_ref().map(|w| w.latency.p99_us))
            .unwrap_or(0)
    };
    pts.sort_by_key(|p| p99(p));
    pts.get(pts.len().saturating_sub(1) / 2).copied()
}

/// The percentile spectrum of a point: from its histogram, else from its summary percentiles.
fn spectrum(p: &Point) -> Vec<(f64, f64)> {
    let (b64, lat) = match (&p.load, &p.ws) {
        (Some(l), _) => (l.histogram_b64.as_deref(), &l.latency),
        (None, Some(w)) => (w.histogram_b64.as_deref(), &w.latency),
        _ => return Vec::new(),
    };
    if let Some(h) = b64.and_then(|b| histogram::decode(b).ok()) {
        return histogram::spectrum(&h, 5.0, 80);
    }
    vec![
        (0.0, lat.min_us as f64),
        (2f64.log10(), lat.p50_us as f64),
        (1.0, lat.p90_us as f64),
        (2.0, lat.p99_us as f64),
        (3.0, lat.p999_us as f64),
        (4.0, lat.p9999_us as f64),
    ]
}

pub fn latency_chart(
    results: &Results,
    sc: Scenario,
    figs: &[ScenarioFigures],
    colors: &dyn Fn(&str) -> String,
) -> Option<LineChart> {
    let mut series = Vec::new();
    let mut x_max: f64 = 0.0;
    for f in figs {
        let pts: Vec<&Point> = results
            .points
            .iter()
            .filter(|p| p.stack == f.stack && p.scenario == sc && p.valid)
            .filter(|p| match (f.p99_rate_rps, &p.kind) {
                (Some(rate), PointKind::FixedRate { rps }) => *rps == rate,
                (None, PointKind::Peak { connections } | PointKind::Io { connections }) => {
                    Some(*connections) == f.connections
                }
                (None, PointKind::Ws { clients, .. }) => Some(*clients) == f.connections,
                _ => false,
            })
            .collect();
        let Some(p) = median_point(pts) else { continue };
        let curve = spectrum(p);
        if curve.is_empty() {
            continue;
        }
        x_max = x_max.max(curve.last().map_or(0.0, |c| c.0));
        series.push(SeriesInput {
            label: f.stack.clone(),
            color: colors(&f.stack),
            points: curve,
            dashed: false,
            dots: false,
        });
    }
    if series.is_empty() {
        return None;
    }
    let x_max = x_max.ceil().clamp(1.0, 5.0);
    let names = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"];
    let ticks: Vec<(f64, String)> = (0..=x_max as usize)
        .map(|i| (i as f64, names[i].to_string()))
        .collect();
    let at = match figs.iter().find_map(|f| f.p99_rate_rps) {
        Some(rate) => format!(
            "at a fixed {} req/s (open loop, corrected for coordinated omission)",
            fmt_int(rate)
        ),
        None => "at peak load".to_string(),
    };
    Some(charts::line_chart(
        &format!("Latency by percentile, {at}"),
        "percentile (log scale: 1 / (1 − p))",
        "latency (log scale)",
        CHART_W,
        300.0,
        series,
        (0.0, x_max),
        Scale::Linear,
        &ticks,
        Scale::Log10,
        charts::latency_tick,
    ))
}

/// `stack`, or `stack /path` when the run scaled several endpoints.
pub fn scaling_label(fig: &Figures, s: &crate::verdict::figures::Scaling) -> String {
    let several = fig.scaling.iter().any(|o| o.target != s.target);
    if several {
        format!("{} {}", s.stack, s.target)
    } else {
        s.stack.clone()
    }
}

pub fn scaling_chart(fig: &Figures, color_of: &dyn Fn(&str) -> String) -> Option<BarChart> {
    let rows: Vec<&crate::verdict::figures::Scaling> = fig
        .scaling
        .iter()
        .filter(|s| s.cores_many.is_some())
        .collect();
    (!rows.is_empty()).then(|| {
        let n = rows.iter().map(|s| s.workers_n).max().unwrap_or(2);
        charts::bar_chart(
            &format!(
                "Cores used by {n} worker processes under load (CPU time ÷ wall time; whiskers: 95 % interval; every core given to the servers)"
            ),
            "cores",
            CHART_W,
            rows.iter()
                .map(|s| {
                    let c = s.cores_many.expect("filtered");
                    BarInput {
                        label: scaling_label(fig, s),
                        color: color_of(&s.stack),
                        value: c.median,
                        min: c.low,
                        max: c.high,
                        value_label: format!(
                            "{:.2} cores ({} processes) · 1 process {}",
                            c.median,
                            s.workers_n,
                            s.cores_one
                                .map_or("—".into(), |o| format!("{:.2}", o.median))
                        ),
                        flagged: !s.notes.is_empty(),
                    }
                })
                .collect(),
            &[(n as f64, format!("{n} cores"))],
            |v| short(v).to_string(),
        )
    })
}

/// Memory per idle connection, one bar per stack and kind.
pub fn idle_chart(fig: &Figures, color_of: &dyn Fn(&str) -> String) -> Option<BarChart> {
    (!fig.idle.is_empty()).then(|| {
        charts::bar_chart(
            "Memory per idle connection (RSS growth ÷ connections held open)",
            "KiB per connection",
            CHART_W,
            fig.idle
                .iter()
                .map(|i| BarInput {
                    label: format!("{} ({})", i.stack, i.kind.name()),
                    color: color_of(&i.stack),
                    // In KiB, so the axis gets round ticks.
                    value: i.bytes_per_connection.median / 1024.0,
                    min: i.bytes_per_connection.low / 1024.0,
                    max: i.bytes_per_connection.high / 1024.0,
                    value_label: format!(
                        "{} · {} of {} open",
                        fmt_bytes(i.bytes_per_connection.median),
                        fmt_int(i.connections_open as f64),
                        fmt_int(i.connections_requested as f64)
                    ),
                    flagged: i.connections_open < i.connections_requested,
                })
                .collect(),
            &[],
            |kib| format!("{} KiB", short(kib)),
        )
    })
}

/// Launch to first good response.
pub fn startup_chart(fig: &Figures, color_of: &dyn Fn(&str) -> String) -> Option<BarChart> {
    let rows: Vec<(&str, crate::stats::Estimate)> = fig
        .per_stack
        .iter()
        .filter_map(|s| Some((s.stack.as_str(), s.startup_ms?)))
        .collect();
    (!rows.is_empty()).then(|| {
        charts::bar_chart(
            "Startup: launch to first good response",
            "milliseconds",
            CHART_W,
            rows.iter()
                .map(|(stack, s)| BarInput {
                    label: stack.to_string(),
                    color: color_of(stack),
                    value: s.median,
                    min: s.min,
                    max: s.max,
                    value_label: fmt_ms(s.median),
                    flagged: false,
                })
                .collect(),
            &[],
            |v| short(v).to_string(),
        )
    })
}

/// The io chart: a line per stack over connection counts, or bars when one count was measured.
pub fn io_charts(
    fig: &Figures,
    color_of: &dyn Fn(&str) -> String,
) -> (Option<LineChart>, Option<BarChart>) {
    let levels: std::collections::BTreeSet<usize> = fig
        .io_curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .collect();
    let io_bars = (levels.len() == 1).then(|| {
        let offered = *levels.iter().next().unwrap_or(&0) as f64;
        charts::bar_chart(
            &format!(
                "io: requests in flight achieved with {} connections offered (Little's law)",
                fmt_int(offered)
            ),
            "requests in flight",
            CHART_W,
            fig.io_curves
                .iter()
                .filter_map(|c| {
                    let (_, a) = c.points.first()?;
                    Some(BarInput {
                        label: c.stack.clone(),
                        color: color_of(&c.stack),
                        value: *a,
                        min: *a,
                        max: *a,
                        value_label: format!("{a:.1} of {}", fmt_int(offered)),
                        flagged: false,
                    })
                })
                .collect(),
            &[(offered, format!("offered {}", fmt_int(offered)))],
            short,
        )
    });
    let io_chart = (levels.len() > 1).then(|| {
        let xs: Vec<f64> = fig
            .io_curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.0 as f64))
            .collect();
        let lo = xs.iter().copied().fold(f64::MAX, f64::min).max(1.0);
        let hi = xs.iter().copied().fold(0.0, f64::max).max(lo + 1.0);
        let scale = if hi / lo >= 8.0 {
            Scale::Log2
        } else {
            Scale::Linear
        };
        let mut ticks: Vec<f64> = xs.clone();
        ticks.sort_by(f64::total_cmp);
        ticks.dedup();
        let mut series = vec![SeriesInput {
            label: "ideal (achieved = offered)".into(),
            color: "#a0aec0".into(),
            points: vec![(lo, lo), (hi, hi)],
            dashed: true,
            dots: false,
        }];
        series.extend(fig.io_curves.iter().map(|c| SeriesInput {
            label: c.stack.clone(),
            color: color_of(&c.stack),
            points: c.points.iter().map(|(o, a)| (*o as f64, *a)).collect(),
            dashed: false,
            dots: true,
        }));
        charts::line_chart(
            "io: requests in flight achieved vs connections offered (Little's law)",
            "connections offered",
            "requests in flight",
            CHART_W,
            300.0,
            series,
            (lo, hi),
            scale,
            &ticks.iter().map(|t| (*t, short(*t))).collect::<Vec<_>>(),
            Scale::Linear,
            short,
        )
    });
    (io_chart, io_bars)
}
