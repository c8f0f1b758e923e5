//! Compares two runs: per stack × scenario × figure, before, after and the
//! change `after ÷ before` with its 95 % interval. A change whose interval
//! includes "no change", or that is smaller than either run's noise floor,
//! is a tie. [`context`] says where the runs are not alike (machine,
//! settings, database); `--fail-on-regression` turns a worse figure beyond
//! its interval and a threshold into a failing exit code, for CI.

use serde::Serialize;

use crate::results::{IdleKind, Results};
use crate::stats::{Comparison, Estimate, Ratio, compare as cmp};
use crate::verdict::figures::{Family, Figures, ScenarioFigures};
use crate::verdict::format::{fmt_bytes, fmt_change, fmt_int, fmt_us};

/// What a change means for the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Better,
    Worse,
    /// Inside the interval or below the noise floor.
    Tie,
    /// Only in the after run.
    New,
    /// Only in the before run.
    Gone,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Better => "better",
            Outcome::Worse => "worse",
            Outcome::Tie => "tie",
            Outcome::New => "new",
            Outcome::Gone => "gone",
        }
    }
}

/// One row of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub stack: String,
    pub scenario: String,
    pub figure: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
    pub change: Option<String>,
    /// `after ÷ before − 1`, a fraction (`None` when either is missing).
    pub change_fraction: Option<f64>,
    /// True when the change is for the worse, whatever its size.
    pub worse_direction: bool,
    pub outcome: Outcome,
}

struct Metric {
    name: &'static str,
    higher_is_better: bool,
    family: Family,
    get: fn(&ScenarioFigures) -> Option<Estimate>,
    show: fn(f64) -> String,
}

const METRICS: [Metric; 4] = [
    Metric {
        name: "throughput (req/s)",
        higher_is_better: true,
        family: Family::Throughput,
        get: |f| f.throughput_rps,
        show: fmt_int,
    },
    Metric {
        name: "p99 latency at the fixed rate",
        higher_is_better: false,
        family: Family::Latency,
        get: |f| f.p99_us,
        show: fmt_us,
    },
    Metric {
        name: "CPU-µs/request",
        higher_is_better: false,
        family: Family::Cpu,
        get: |f| f.cpu_fixed_us_per_req.or(f.cpu_us_per_req),
        show: |v| format!("{v:.0}"),
    },
    Metric {
        name: "memory at the fixed rate",
        higher_is_better: false,
        family: Family::Memory,
        get: |f| f.rss_fixed_bytes.or(f.rss_peak_bytes),
        show: fmt_bytes,
    },
];

fn show_est(e: &Estimate, show: fn(f64) -> String) -> String {
    if e.has_interval() {
        format!("{} [{}–{}]", show(e.median), show(e.low), show(e.high))
    } else {
        show(e.median)
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    stack: &str,
    scenario: &str,
    figure: &'static str,
    higher_is_better: bool,
    show: fn(f64) -> String,
    before: Option<Estimate>,
    after: Option<Estimate>,
    floor: f64,
) -> Option<Row> {
    let (outcome, fraction, worse_dir) = match (&before, &after) {
        (None, None) => return None,
        (Some(_), None) => (Outcome::Gone, None, false),
        (None, Some(_)) => (Outcome::New, None, false),
        (Some(b), Some(a)) => {
            let r = Ratio::of(a, b);
            let up = r.value > 1.0;
            let worse_dir = up != higher_is_better && r.value != 1.0;
            let o = match cmp(&r, floor) {
                Comparison::Tie => Outcome::Tie,
                Comparison::Higher if higher_is_better => Outcome::Better,
                Comparison::Lower if !higher_is_better => Outcome::Better,
                _ => Outcome::Worse,
            };
            (o, Some(r.value - 1.0), worse_dir)
        }
    };
    Some(Row {
        stack: stack.to_string(),
        scenario: scenario.to_string(),
        figure,
        before: before.as_ref().map(|s| show_est(s, show)),
        after: after.as_ref().map(|s| show_est(s, show)),
        change: fraction.map(fmt_change),
        change_fraction: fraction,
        worse_direction: worse_dir,
        outcome,
    })
}

/// Every figure of either run, stacks in before-then-after order, scenarios in catalogue order.
pub fn compare(before: &Figures, after: &Figures) -> Vec<Row> {
    let floor = |f: Family| before.noise.floor(f).max(after.noise.floor(f));
    let mut stacks: Vec<String> = before.stacks.iter().map(|s| s.name.clone()).collect();
    for s in &after.stacks {
        if !stacks.contains(&s.name) {
            stacks.push(s.name.clone());
        }
    }
    let mut rows = Vec::new();
    for stack in &stacks {
        let mut scenarios: Vec<_> = before
            .scenarios
            .keys()
            .chain(after.scenarios.keys())
            .copied()
            .collect();
        scenarios.sort();
        scenarios.dedup();
        for sc in scenarios {
            let b = before.scenario(sc).iter().find(|f| &f.stack == stack);
            let a = after.scenario(sc).iter().find(|f| &f.stack == stack);
            for m in &METRICS {
                rows.extend(row(
                    stack,
                    sc.name(),
                    m.name,
                    m.higher_is_better,
                    m.show,
                    b.and_then(m.get),
                    a.and_then(m.get),
                    floor(m.family),
                ));
            }
        }
        let cores = |f: &Figures| {
            f.scaling
                .iter()
                .find(|s| &s.stack == stack)
                .and_then(|s| s.cores_many)
        };
        rows.extend(row(
            stack,
            "workers",
            "cores used, N workers",
            true,
            |v| format!("{v:.2}"),
            cores(before),
            cores(after),
            floor(Family::Cpu),
        ));
        let idle = |f: &Figures| {
            f.idle
                .iter()
                .find(|i| &i.stack == stack && i.kind == IdleKind::Http)
                .map(|i| i.bytes_per_connection)
        };
        rows.extend(row(
            stack,
            "idle",
            "bytes/connection",
            false,
            fmt_bytes,
            idle(before),
            idle(after),
            floor(Family::Memory),
        ));
        let st = |f: &Figures| f.stack_figures(stack).and_then(|s| s.startup_ms);
        rows.extend(row(
            stack,
            "startup",
            "startup",
            false,
            |ms| fmt_us(ms * 1000.0),
            st(before),
            st(after),
            0.0,
        ));
    }
    rows
}

/// Where two runs differ in what they measured on: each a sentence. A
/// comparison across these says more about the difference than the stacks.
pub fn context(before: &Results, after: &Results) -> Vec<String> {
    let mut out = Vec::new();
    let (mb, ma) = (&before.machine, &after.machine);
    if mb.cpu_model != ma.cpu_model || mb.cores != ma.cores {
        out.push(format!(
            "different machines: {} ({} cores) before, {} ({} cores) after",
            mb.cpu_model, mb.cores, ma.cpu_model, ma.cores
        ));
    } else if mb.hostname != ma.hostname {
        out.push(format!(
            "different hosts of the same kind: {} before, {} after",
            mb.hostname, ma.hostname
        ));
    }
    let (sb, sa) = (&before.settings, &after.settings);
    if sb.db != sa.db {
        out.push(format!(
            "different databases: {} before, {} after — every database figure differs for that reason",
            sb.db.name(),
            sa.db.name()
        ));
    }
    if sb.suite != sa.suite {
        out.push(format!(
            "different suites: {} before, {} after",
            sb.suite, sa.suite
        ));
    }
    let shape = |s: &crate::results::Settings| {
        (
            s.concurrency.clone(),
            s.server_cpus.clone(),
            s.generator_cpus.clone(),
            s.plan.slice_s,
            s.io_connections,
            s.workers_n,
        )
    };
    if shape(sb) != shape(sa) {
        out.push(
            "different load settings (connections, cores, slice length, io connections or workers)"
                .to_string(),
        );
    }
    if before.ringside_version != after.ringside_version {
        out.push(format!(
            "different ringside versions: {} before, {} after",
            before.ringside_version, after.ringside_version
        ));
    }
    out.extend(runtime_changes(before, after));
    out
}

/// Stacks of both runs whose runtime or exact runtime version changed: a
/// difference in their figures may be the runtime's, not the code's.
fn runtime_changes(before: &Results, after: &Results) -> Vec<String> {
    let of = |r: &crate::results::StackRecord| crate::report::runtimes::runtime_of(r);
    let mut out = Vec::new();
    for b in &before.stacks {
        let Some(a) = after.stacks.iter().find(|a| a.name == b.name) else {
            continue;
        };
        if let (Some(rb), Some(ra)) = (of(b), of(a))
            && rb != ra
        {
            out.push(format!(
                "{}: runtime changed, {rb} before, {ra} after (its differences may be the runtime's)",
                b.name
            ));
        }
    }
    out
}

/// The rows that fail `--fail-on-regression PCT`: worse beyond the interval
/// and the noise floor, and by at least `pct` per cent.
pub fn regressions(rows: &[Row], pct: f64) -> Vec<&Row> {
    rows.iter()
        .filter(|r| r.outcome == Outcome::Worse)
        .filter(|r| r.change_fraction.is_some_and(|c| c.abs() * 100.0 >= pct))
        .collect()
}
