//! Compares two runs: per stack × scenario × figure, before, after and the
//! change; a change inside the combined spread of the two runs is a tie.

use serde::Serialize;

use crate::verdict::figures::{Figures, ScenarioFigures};
use crate::verdict::format::{fmt_bytes, fmt_change, fmt_int, fmt_us};
use crate::verdict::stats::{Spread, change};

/// What a change means for the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Better,
    Worse,
    /// Inside the combined spread.
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
    pub outcome: Outcome,
}

struct Metric {
    name: &'static str,
    higher_is_better: bool,
    get: fn(&ScenarioFigures) -> Option<Spread>,
    show: fn(f64) -> String,
}

const METRICS: [Metric; 5] = [
    Metric {
        name: "throughput (req/s)",
        higher_is_better: true,
        get: |f| f.throughput_rps,
        show: fmt_int,
    },
    Metric {
        name: "p99 latency",
        higher_is_better: false,
        get: |f| f.p99_us,
        show: fmt_us,
    },
    Metric {
        name: "capacity at SLO",
        higher_is_better: true,
        get: |f| f.capacity,
        show: fmt_int,
    },
    Metric {
        name: "CPU-µs/request",
        higher_is_better: false,
        get: |f| f.cpu_us_per_req,
        show: |v| format!("{v:.0}"),
    },
    Metric {
        name: "peak RSS",
        higher_is_better: false,
        get: |f| f.rss_peak_bytes,
        show: fmt_bytes,
    },
];

fn show_spread(s: &Spread, show: fn(f64) -> String) -> String {
    if s.n > 1 && s.min != s.max {
        format!("{} [{}–{}]", show(s.median), show(s.min), show(s.max))
    } else {
        show(s.median)
    }
}

fn row(
    stack: &str,
    scenario: &str,
    figure: &'static str,
    higher_is_better: bool,
    show: fn(f64) -> String,
    before: Option<Spread>,
    after: Option<Spread>,
) -> Option<Row> {
    let outcome = match (&before, &after) {
        (None, None) => return None,
        (Some(_), None) => Outcome::Gone,
        (None, Some(_)) => Outcome::New,
        (Some(b), Some(a)) if b.ties(a) => Outcome::Tie,
        (Some(b), Some(a)) => {
            if (a.median > b.median) == higher_is_better {
                Outcome::Better
            } else {
                Outcome::Worse
            }
        }
    };
    Some(Row {
        stack: stack.to_string(),
        scenario: scenario.to_string(),
        figure,
        before: before.as_ref().map(|s| show_spread(s, show)),
        after: after.as_ref().map(|s| show_spread(s, show)),
        change: match (&before, &after) {
            (Some(b), Some(a)) => change(b, a).map(fmt_change),
            _ => None,
        },
        outcome,
    })
}

/// Every figure of either run, stacks in before-then-after order, scenarios in catalogue order.
pub fn compare(before: &Figures, after: &Figures) -> Vec<Row> {
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
                ));
            }
        }
        let b = before.scaling.iter().find(|s| &s.stack == stack);
        let a = after.scaling.iter().find(|s| &s.stack == stack);
        rows.extend(row(
            stack,
            "workers",
            "speed-up 1→N",
            true,
            |v| format!("{v:.2}×"),
            b.map(|s| Spread::exact(s.speedup)),
            a.map(|s| Spread::exact(s.speedup)),
        ));
        let idle = |f: &Figures| {
            f.idle
                .iter()
                .find(|i| &i.stack == stack && i.kind == "http")
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
        ));
        let st = |f: &Figures| {
            f.startup_ms
                .iter()
                .find(|(s, _)| s == stack)
                .map(|(_, s)| *s)
        };
        rows.extend(row(
            stack,
            "startup",
            "startup",
            false,
            |ms| fmt_us(ms * 1000.0),
            st(before),
            st(after),
        ));
    }
    rows
}
