//! Chart geometry for the HTML report: every coordinate, tick and label of the
//! inline SVG charts is computed here; the templates only place them.

use serde::Serialize;

/// A tick on an axis: position in SVG units and its label.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

/// Whisker of a bar: the min–max range of the trials.
#[derive(Debug, Clone, Serialize)]
pub struct Whisker {
    pub x1: f64,
    pub x2: f64,
    pub y: f64,
}

/// One horizontal bar.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub label: String,
    pub color: String,
    pub y: f64,
    pub height: f64,
    pub width: f64,
    pub text_y: f64,
    pub value: String,
    pub value_x: f64,
    pub whisker: Option<Whisker>,
    /// A flagged or incomplete figure: drawn hatched, with a mark.
    pub flagged: bool,
}

/// A vertical reference line (e.g. the ideal speed-up).
#[derive(Debug, Clone, Serialize)]
pub struct RefLine {
    pub x: f64,
    pub label: String,
}

/// A horizontal bar chart: one row per stack, value bars from x0.
#[derive(Debug, Clone, Serialize)]
pub struct BarChart {
    pub width: f64,
    pub height: f64,
    pub x0: f64,
    pub x1: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub refs: Vec<RefLine>,
    pub axis_label: String,
    pub title: String,
}

/// One input row of a bar chart.
pub struct BarInput {
    pub label: String,
    pub color: String,
    pub value: f64,
    pub min: f64,
    pub max: f64,
    pub value_label: String,
    pub flagged: bool,
}

/// A "nice" upper bound ≥ `v` and its tick step (1, 2, 2.5, 5 × 10^k).
pub fn nice_max(v: f64, ticks: usize) -> (f64, f64) {
    if v.is_nan() || v <= 0.0 || !v.is_finite() {
        return (1.0, 0.25);
    }
    let raw = v / ticks as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((v / step).ceil() * step, step)
}

/// Short axis label: 12k, 1.5M, 250.
pub fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        trim(format!("{:.1}", v / 1e6)) + "M"
    } else if a >= 1e4 {
        trim(format!("{:.0}", v / 1e3)) + "k"
    } else if a >= 1e3 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        trim(format!("{v:.2}"))
    }
}

/// Axis label of a latency in microseconds: `50 µs`, `1.5 ms`, `2 s`.
pub fn latency_tick(us: f64) -> String {
    if us >= 1e6 {
        short(us / 1e6) + " s"
    } else if us >= 1000.0 {
        short(us / 1000.0) + " ms"
    } else {
        short(us) + " µs"
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

const ROW: f64 = 26.0;
const BAR: f64 = 16.0;
const LABEL_W: f64 = 150.0;
const VALUE_W: f64 = 130.0;

/// Lays out a horizontal bar chart `width` wide; `refs` are (value, label) lines.
pub fn bar_chart(
    title: &str,
    axis_label: &str,
    width: f64,
    rows: Vec<BarInput>,
    refs: &[(f64, String)],
    tick_label: fn(f64) -> String,
) -> BarChart {
    let top = 8.0;
    let x0 = LABEL_W;
    let x1 = width - VALUE_W;
    let data_max = rows
        .iter()
        .map(|r| r.max.max(r.value))
        .chain(refs.iter().map(|r| r.0))
        .fold(0.0, f64::max);
    let (max, step) = nice_max(data_max, 4);
    let sx = |v: f64| x0 + (v / max).clamp(0.0, 1.0) * (x1 - x0);
    let plot_bottom = top + ROW * rows.len() as f64;
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let y = top + ROW * i as f64 + (ROW - BAR) / 2.0;
            let whisker = (r.max > r.min).then(|| Whisker {
                x1: sx(r.min),
                x2: sx(r.max),
                y: y + BAR / 2.0,
            });
            let end = sx(r.value).max(whisker.as_ref().map_or(0.0, |w| w.x2));
            Bar {
                label: r.label,
                color: r.color,
                y,
                height: BAR,
                width: (sx(r.value) - x0).max(0.0),
                text_y: y + BAR / 2.0 + 4.0,
                value: r.value_label,
                value_x: end + 6.0,
                whisker,
                flagged: r.flagged,
            }
        })
        .collect();
    let n_ticks = (max / step).round() as usize;
    BarChart {
        width,
        height: plot_bottom + 34.0,
        x0,
        x1,
        plot_top: top,
        plot_bottom,
        bars,
        ticks: (0..=n_ticks)
            .map(|i| Tick {
                at: sx(step * i as f64),
                label: tick_label(step * i as f64),
            })
            .collect(),
        refs: refs
            .iter()
            .map(|(v, l)| RefLine {
                x: sx(*v),
                label: l.clone(),
            })
            .collect(),
        axis_label: axis_label.to_string(),
        title: title.to_string(),
    }
}

/// One line of a line chart.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub label: String,
    pub color: String,
    /// SVG polyline `points`.
    pub points: String,
    pub dots: Vec<(f64, f64)>,
    pub dashed: bool,
}

/// A line chart with precomputed coordinates.
#[derive(Debug, Clone, Serialize)]
pub struct LineChart {
    pub width: f64,
    pub height: f64,
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
    pub series: Vec<Series>,
    pub xticks: Vec<Tick>,
    pub yticks: Vec<Tick>,
    pub x_label: String,
    pub y_label: String,
    pub title: String,
}

/// One input line: (x, y) in data units.
pub struct SeriesInput {
    pub label: String,
    pub color: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    pub dots: bool,
}

/// How an axis maps data to the plot.
#[derive(Debug, Clone, Copy)]
pub enum Scale {
    Linear,
    /// log2, for connection counts.
    Log2,
    /// log10, for latencies that span decades.
    Log10,
}

/// Lays out a line chart. `x_ticks` are (data value, label); y ticks are made from the data.
#[allow(clippy::too_many_arguments)]
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    width: f64,
    height: f64,
    series: Vec<SeriesInput>,
    x_range: (f64, f64),
    x_scale: Scale,
    x_ticks: &[(f64, String)],
    y_scale: Scale,
    y_tick_label: fn(f64) -> String,
) -> LineChart {
    let (x0, x1, y0, y1) = (72.0, width - 40.0, 16.0, height - 44.0);
    let tx = |v: f64| match x_scale {
        Scale::Linear => v,
        Scale::Log2 => v.max(1e-9).log2(),
        Scale::Log10 => v.max(1e-9).log10(),
    };
    let (lo, hi) = (tx(x_range.0), tx(x_range.1));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let sx = |v: f64| x0 + ((tx(v) - lo) / span).clamp(0.0, 1.0) * (x1 - x0);
    let ys = || series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let y_max = ys().fold(0.0, f64::max);
    let (sy, yticks): (Box<dyn Fn(f64) -> f64>, Vec<f64>) = match y_scale {
        Scale::Log10 | Scale::Log2 => {
            let lo = ys()
                .filter(|v| *v > 0.0)
                .fold(f64::MAX, f64::min)
                .min(y_max);
            let d0 = if lo.is_finite() && lo > 0.0 {
                lo.log10().floor()
            } else {
                0.0
            };
            let d1 = (y_max.max(1e-9).log10().ceil()).max(d0 + 1.0);
            let mults: &[f64] = if d1 - d0 > 2.0 {
                &[1.0]
            } else {
                &[1.0, 2.0, 5.0]
            };
            let ticks = (d0 as i32..=d1 as i32)
                .flat_map(|d| mults.iter().map(move |m| m * 10f64.powi(d)))
                .filter(|v| v.log10() <= d1 + 1e-9)
                .collect();
            (
                Box::new(move |v: f64| {
                    y1 - ((v.max(1e-12).log10() - d0) / (d1 - d0)).clamp(0.0, 1.0) * (y1 - y0)
                }),
                ticks,
            )
        }
        Scale::Linear => {
            let (ymax, ystep) = nice_max(y_max, 5);
            (
                Box::new(move |v: f64| y1 - (v / ymax).clamp(0.0, 1.0) * (y1 - y0)),
                (0..=((ymax / ystep).round() as usize))
                    .map(|i| ystep * i as f64)
                    .collect(),
            )
        }
    };
    let r = |v: f64| (v * 10.0).round() / 10.0;
    LineChart {
        width,
        height,
        x0,
        x1,
        y0,
        y1,
        series: series
            .into_iter()
            .map(|s| Series {
                points: s
                    .points
                    .iter()
                    .map(|(x, y)| format!("{},{}", r(sx(*x)), r(sy(*y))))
                    .collect::<Vec<_>>()
                    .join(" "),
                dots: if s.dots {
                    s.points
                        .iter()
                        .map(|(x, y)| (r(sx(*x)), r(sy(*y))))
                        .collect()
                } else {
                    Vec::new()
                },
                label: s.label,
                color: s.color,
                dashed: s.dashed,
            })
            .collect(),
        xticks: x_ticks
            .iter()
            .map(|(v, l)| Tick {
                at: r(sx(*v)),
                label: l.clone(),
            })
            .collect(),
        yticks: yticks
            .into_iter()
            .map(|v| Tick {
                at: r(sy(v)),
                label: y_tick_label(v),
            })
            .collect(),
        x_label: x_label.to_string(),
        y_label: y_label.to_string(),
        title: title.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_bounds() {
        assert_eq!(nice_max(87.0, 4), (100.0, 25.0));
        assert_eq!(nice_max(61_234.0, 4), (80_000.0, 20_000.0));
        assert_eq!(short(61_000.0), "61k");
        assert_eq!(short(1_500.0), "1.5k");
        assert_eq!(short(2.5), "2.5");
    }

    #[test]
    fn bars_stay_inside_the_plot() {
        let rows = (0..3)
            .map(|i| BarInput {
                label: format!("s{i}"),
                color: "#000".into(),
                value: 100.0 * (i + 1) as f64,
                min: 90.0 * (i + 1) as f64,
                max: 110.0 * (i + 1) as f64,
                value_label: String::new(),
                flagged: false,
            })
            .collect();
        let c = bar_chart("t", "req/s", 800.0, rows, &[], short);
        for b in &c.bars {
            assert!(b.width > 0.0 && c.x0 + b.width <= c.x1 + 1e-9);
            let w = b.whisker.as_ref().unwrap();
            assert!(w.x1 < w.x2 && w.x2 <= c.x1 + 1e-9);
        }
        assert!(c.height > c.plot_bottom);
    }
}
