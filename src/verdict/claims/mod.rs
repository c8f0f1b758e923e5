//! The claims ledger: K1–K9 of the product brief, each checked against this
//! run's own figures by a written rule. The rule text is a constant shown with
//! every verdict; the thresholds beside it are the ones the code applies.

use serde::Serialize;

use crate::scenario::Scenario;
use crate::verdict::figures::{Figures, Lang, ScenarioFigures};
use crate::verdict::format::{fmt_bytes, fmt_ratio, fmt_spread};
use crate::verdict::stats::Spread;

mod rules;
pub use rules::*;

/// The outcome of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Supported,
    Refuted,
    Depends,
    NotEnoughEvidence,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Refuted => "refuted",
            Verdict::Depends => "depends",
            Verdict::NotEnoughEvidence => "not enough evidence",
        }
    }
}

/// A claim of the ledger and the rule that decides it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Claim {
    pub id: &'static str,
    pub claim: &'static str,
    pub checked_by: &'static str,
    pub rule: &'static str,
}

/// A claim with its verdict and the numbers behind it.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimVerdict {
    pub id: &'static str,
    pub claim: &'static str,
    pub checked_by: &'static str,
    pub rule: &'static str,
    pub verdict: Verdict,
    /// One sentence: why this verdict.
    pub because: String,
    /// The figures the rule read, one line each.
    pub evidence: Vec<String>,
    /// For "not enough evidence": the command that would provide it.
    pub to_run: Option<String>,
}

/// Best Node.js vs best Python on one metric of one scenario (higher is better).
struct Duel<'a> {
    a: (&'a ScenarioFigures, Spread),
    b: (&'a ScenarioFigures, Spread),
    /// a ÷ b of the medians.
    ratio: f64,
    /// a.min ÷ b.max.
    ratio_low: f64,
    /// a.max ÷ b.min.
    ratio_high: f64,
}

impl Duel<'_> {
    fn line(&self, sc: Scenario, unit: &str) -> String {
        let spread = if self.a.1.n == 1 && self.b.1.n == 1 {
            "one trial each: no spread to judge".to_string()
        } else {
            format!(
                "beyond the spread: {}–{}",
                fmt_ratio(self.ratio_low),
                fmt_ratio(self.ratio_high)
            )
        };
        format!(
            "{sc}: {} {} vs {} {} → {} ({spread})",
            self.a.0.stack,
            fmt_spread(&self.a.1, unit),
            self.b.0.stack,
            fmt_spread(&self.b.1, unit),
            fmt_ratio(self.ratio),
        )
    }
}

fn duel(
    fig: &Figures,
    sc: Scenario,
    a: Lang,
    b: Lang,
    metric: impl Fn(&ScenarioFigures) -> Option<Spread> + Copy,
) -> Option<Duel<'_>> {
    let a = fig.best(sc, a, metric)?;
    let b = fig.best(sc, b, metric)?;
    if b.1.median <= 0.0 || b.1.min <= 0.0 {
        return None;
    }
    Some(Duel {
        ratio: a.1.median / b.1.median,
        ratio_low: a.1.min / b.1.max,
        ratio_high: a.1.max / b.1.min,
        a,
        b,
    })
}

fn throughput(f: &ScenarioFigures) -> Option<Spread> {
    f.throughput_rps
}

fn verdict(
    k: usize,
    verdict: Verdict,
    because: impl Into<String>,
    evidence: Vec<String>,
) -> ClaimVerdict {
    let c = CLAIMS[k];
    ClaimVerdict {
        id: c.id,
        claim: c.claim,
        checked_by: c.checked_by,
        rule: c.rule,
        verdict,
        because: because.into(),
        evidence,
        to_run: None,
    }
}

fn not_enough(k: usize, missing: &str, scenarios: &str, evidence: Vec<String>) -> ClaimVerdict {
    let mut v = verdict(k, Verdict::NotEnoughEvidence, missing, evidence);
    v.to_run = Some(format!("ringside run --scenarios {scenarios}"));
    v
}

/// Every claim's verdict for these figures, in ledger order.
pub fn ledger(fig: &Figures) -> Vec<ClaimVerdict> {
    vec![
        k1(fig),
        k2(fig),
        k3(fig),
        k4(fig),
        k5(fig),
        k6(fig),
        k7(fig),
        k8(fig),
        k9(fig),
    ]
}

fn k1(fig: &Figures) -> ClaimVerdict {
    let mut evidence = Vec::new();
    let mut verdicts = Vec::new();
    for sc in [Scenario::Plaintext, Scenario::Json] {
        if let Some(d) = duel(fig, sc, Lang::Node, Lang::Python, throughput) {
            evidence.push(d.line(sc, "req/s"));
            verdicts.push(if d.ratio_low >= K1_MUCH {
                Verdict::Supported
            } else if d.ratio <= K1_HARDLY {
                Verdict::Refuted
            } else {
                Verdict::Depends
            });
        }
    }
    if verdicts.is_empty() {
        return not_enough(
            0,
            "plaintext and json were not measured for both a Node.js and a Python stack",
            "plaintext,json",
            evidence,
        );
    }
    let all = |v: Verdict| verdicts.iter().all(|x| *x == v);
    let (v, because) = if all(Verdict::Supported) {
        (
            Verdict::Supported,
            format!(
                "Node.js is at least {} faster beyond the spread",
                fmt_ratio(K1_MUCH)
            ),
        )
    } else if all(Verdict::Refuted) {
        (
            Verdict::Refuted,
            format!(
                "Node.js is at most {} faster, or slower",
                fmt_ratio(K1_HARDLY)
            ),
        )
    } else {
        (
            Verdict::Depends,
            "Node.js is ahead, but not by 1.5× beyond the spread everywhere".to_string(),
        )
    };
    verdict(0, v, because, evidence)
}

/// The leanest stack of `lang` by memory per idle connection (http preferred over ws).
fn leanest_idle(fig: &Figures, lang: Lang) -> Option<(String, String, Spread)> {
    for kind in ["http", "ws"] {
        if let Some(i) = fig
            .idle
            .iter()
            .filter(|i| i.lang == lang && i.kind == kind)
            .min_by(|a, b| {
                a.bytes_per_connection
                    .median
                    .total_cmp(&b.bytes_per_connection.median)
            })
        {
            return Some((i.stack.clone(), i.kind.clone(), i.bytes_per_connection));
        }
    }
    None
}

fn k2(fig: &Figures) -> ClaimVerdict {
    let io = duel(fig, Scenario::Io, Lang::Node, Lang::Python, throughput);
    let node_idle = leanest_idle(fig, Lang::Node);
    let py_idle = leanest_idle(fig, Lang::Python);
    let mut evidence = Vec::new();
    if let Some(d) = &io {
        evidence.push(d.line(Scenario::Io, "req/s"));
    }
    if let (Some(n), Some(p)) = (&node_idle, &py_idle) {
        evidence.push(format!(
            "idle ({}): {} {} per connection vs {} {} per connection",
            n.1,
            n.0,
            fmt_bytes(n.2.median),
            p.0,
            fmt_bytes(p.2.median)
        ));
    }
    let (Some(d), Some(n), Some(p)) = (io, node_idle, py_idle) else {
        return not_enough(
            1,
            "needs io and idle for both a Node.js and a Python stack",
            "io,idle",
            evidence,
        );
    };
    let mem_ratio = if n.2.median > 0.0 {
        p.2.median / n.2.median
    } else {
        f64::INFINITY
    };
    let (v, because) = if d.ratio_low >= K2_MUCH && p.2.median >= n.2.median {
        (
            Verdict::Supported,
            "Node.js completes far more io requests and needs no more memory per connection"
                .to_string(),
        )
    } else if d.ratio <= K2_HARDLY && mem_ratio <= K2_MEMORY_CLOSE {
        (
            Verdict::Refuted,
            format!(
                "the best Python stack keeps up on io ({} gap) at a similar memory per connection ({})",
                fmt_ratio(d.ratio),
                fmt_ratio(mem_ratio)
            ),
        )
    } else {
        (
            Verdict::Depends,
            format!(
                "io gap {} and Python's memory per idle connection {} Node.js's",
                fmt_ratio(d.ratio),
                fmt_ratio(mem_ratio)
            ),
        )
    };
    verdict(1, v, because, evidence)
}

fn k3(fig: &Figures) -> ClaimVerdict {
    let mut evidence = Vec::new();
    let mut per_worker = Vec::new();
    for f in fig
        .scenario(Scenario::Io)
        .iter()
        .filter(|f| f.lang == Lang::Python)
    {
        let Some(c) = f.concurrency_achieved else {
            continue;
        };
        let w = f.workers.max(1) as f64;
        evidence.push(format!(
            "{}: {:.1} requests in flight of {} connections offered, {} worker process{}",
            f.stack,
            c.median,
            f.connections.unwrap_or(0),
            f.workers.max(1),
            if f.workers > 1 { "es" } else { "" }
        ));
        per_worker.push((c.median, w));
    }
    if per_worker.is_empty() {
        let failed: Vec<&str> = fig
            .scenario(Scenario::Io)
            .iter()
            .filter(|f| f.lang == Lang::Python && f.valid_points == 0)
            .map(|f| f.stack.as_str())
            .collect();
        let why = if failed.is_empty() {
            "io was not measured for any Python stack".to_string()
        } else {
            format!(
                "io was measured for {} but every point failed (errors or a crash), so nothing was achieved to count",
                failed.join(", ")
            )
        };
        return not_enough(2, &why, "io", evidence);
    }
    let many = per_worker
        .iter()
        .any(|(c, w)| *c > K3_MANY * w && *c >= K3_MANY_MIN);
    let one = per_worker.iter().all(|(c, w)| *c <= K3_ONE_AT_A_TIME * w);
    let (v, because) = if many {
        (
            Verdict::Refuted,
            "a Python stack kept many requests in flight at once",
        )
    } else if one {
        (
            Verdict::Supported,
            "every Python stack kept about one request in flight per process",
        )
    } else {
        (
            Verdict::Depends,
            "Python stacks overlap a few requests, but not many",
        )
    };
    verdict(2, v, because, evidence)
}

fn k4(fig: &Figures) -> ClaimVerdict {
    let mut evidence: Vec<String> = fig
        .scaling
        .iter()
        .filter(|s| matches!(s.lang, Lang::Python | Lang::Node))
        .map(|s| {
            format!(
                "{}: 1 worker {} → {} workers {} = {} (beyond the spread: {})",
                s.stack,
                fmt_spread(&s.one, "req/s"),
                s.workers_n,
                fmt_spread(&s.many, "req/s"),
                fmt_ratio(s.speedup),
                fmt_ratio(s.speedup_low)
            )
        })
        .collect();
    let py: Vec<_> = fig
        .scaling
        .iter()
        .filter(|s| s.lang == Lang::Python)
        .collect();
    if py.is_empty() {
        return not_enough(
            3,
            "workers was not measured for any Python stack",
            "workers",
            evidence,
        );
    }
    if fig.workers_cores < 2 {
        evidence.push(format!(
            "the N-worker points had {} core(s)",
            fig.workers_cores
        ));
        return not_enough(
            3,
            "the workers had fewer than 2 cores, so scaling cannot show; run on a machine with at least 2 cores",
            "workers",
            evidence,
        );
    }
    let (v, because) = if py.iter().any(|s| s.speedup_low >= K4_SCALES) {
        (
            Verdict::Refuted,
            "worker processes let a Python stack use several cores",
        )
    } else if py.iter().all(|s| s.speedup <= K4_FLAT) {
        (
            Verdict::Supported,
            "no Python stack got faster with more workers",
        )
    } else {
        (
            Verdict::Depends,
            "Python stacks scaled, but not by 1.5× beyond the spread",
        )
    };
    verdict(3, v, because, evidence)
}

fn k5(fig: &Figures) -> ClaimVerdict {
    let Some(d) = duel(fig, Scenario::Numeric, Lang::Python, Lang::Node, throughput) else {
        return not_enough(
            4,
            "numeric was not measured for both a Python and a Node.js stack",
            "numeric",
            vec![],
        );
    };
    let evidence = vec![d.line(Scenario::Numeric, "req/s")];
    let (v, because) = if d.ratio_low >= K5_WINS {
        (
            Verdict::Supported,
            "the Python stack is faster beyond the spread",
        )
    } else if d.ratio_high < 1.0 {
        (
            Verdict::Refuted,
            "the Node.js stack is faster beyond the spread",
        )
    } else {
        (Verdict::Depends, "neither is clearly ahead")
    };
    verdict(4, v, because, evidence)
}

fn k6(fig: &Figures) -> ClaimVerdict {
    let Some(d) = duel(fig, Scenario::Cpu, Lang::Node, Lang::Python, throughput) else {
        return not_enough(
            5,
            "cpu was not measured for both a Node.js and a Python stack",
            "cpu",
            vec![],
        );
    };
    let evidence = vec![d.line(Scenario::Cpu, "req/s")];
    let (v, because) = if d.ratio_low >= K6_FASTER {
        (
            Verdict::Supported,
            format!("V8 runs the plain loop {} faster", fmt_ratio(d.ratio)),
        )
    } else if d.ratio <= K6_HARDLY {
        (
            Verdict::Refuted,
            "CPython keeps up or is faster".to_string(),
        )
    } else {
        (
            Verdict::Depends,
            "Node.js is ahead, but not beyond the spread".to_string(),
        )
    };
    verdict(5, v, because, evidence)
}

fn k7(fig: &Figures) -> ClaimVerdict {
    let cap = |f: &ScenarioFigures| f.capacity.filter(|c| c.min > 0.0);
    let (d, what) = match duel(fig, Scenario::WsChat, Lang::Node, Lang::Python, cap) {
        // A capacity every stack reached at the search's largest step only
        // says "at least this much": equal figures then prove nothing.
        Some(d) if d.a.0.capacity_censored && d.b.0.capacity_censored => {
            return not_enough(
                6,
                "every stack compared kept p99 under the SLO at the largest number of clients tried, \
                 so ws-chat capacity cannot rank them",
                "ws-chat --full",
                vec![],
            );
        }
        Some(d) => (d, "clients at SLO"),
        None => {
            return not_enough(
                6,
                "ws-chat capacity was not measured for both a Node.js and a Python stack",
                "ws-chat",
                vec![],
            );
        }
    };
    let evidence = vec![d.line(Scenario::WsChat, what)];
    let (v, because) = if d.ratio_low >= K7_BETTER {
        (
            Verdict::Supported,
            format!("Node.js serves {} the {}", fmt_ratio(d.ratio), what),
        )
    } else if d.ratio <= K7_HARDLY {
        (
            Verdict::Refuted,
            format!("Python matches or beats Node.js on {what}"),
        )
    } else {
        (
            Verdict::Depends,
            format!("Node.js is ahead on {what}, but not by 1.3× beyond the spread"),
        )
    };
    verdict(6, v, because, evidence)
}

fn k8(fig: &Figures) -> ClaimVerdict {
    let either = |r: f64| if r >= 1.0 { r } else { 1.0 / r };
    let json = duel(fig, Scenario::Json, Lang::Node, Lang::Python, throughput);
    let mut evidence = Vec::new();
    let mut db_gaps = Vec::new();
    if let Some(d) = &json {
        evidence.push(d.line(Scenario::Json, "req/s"));
    }
    for sc in [Scenario::Db, Scenario::Queries, Scenario::Fortunes] {
        if let Some(d) = duel(fig, sc, Lang::Node, Lang::Python, throughput) {
            evidence.push(d.line(sc, "req/s"));
            db_gaps.push(either(d.ratio));
        }
    }
    let Some(json) = json.filter(|_| !db_gaps.is_empty()) else {
        return not_enough(
            7,
            "needs json and at least one of db, queries, fortunes for both languages",
            "json,db,queries,fortunes",
            evidence,
        );
    };
    let json_gap = either(json.ratio);
    let (v, because) = if json_gap > K8_SMALL_GAP && db_gaps.iter().all(|g| *g <= K8_SMALL_GAP) {
        (
            Verdict::Supported,
            format!(
                "a {} gap on json falls to at most {} behind the database",
                fmt_ratio(json_gap),
                fmt_ratio(K8_SMALL_GAP)
            ),
        )
    } else if db_gaps
        .iter()
        .any(|g| *g > K8_SMALL_GAP && *g >= K8_NOT_SHRUNK * json_gap)
    {
        (
            Verdict::Refuted,
            format!(
                "the {} json gap stays wide behind the database",
                fmt_ratio(json_gap)
            ),
        )
    } else if json_gap <= K8_SMALL_GAP {
        (
            Verdict::Depends,
            "there is no json gap to shrink".to_string(),
        )
    } else {
        (
            Verdict::Depends,
            "the gap shrinks behind the database but still matters somewhere".to_string(),
        )
    };
    verdict(7, v, because, evidence)
}

/// (what, leanest Python (stack, figure), leanest Node.js (stack, figure)).
type Measure = (String, (String, Spread), (String, Spread));

fn k9(fig: &Figures) -> ClaimVerdict {
    let leanest = |sc: Scenario, lang: Lang, m: fn(&ScenarioFigures) -> Option<Spread>| {
        fig.scenario(sc)
            .iter()
            .filter(|f| f.lang == lang)
            .filter_map(|f| Some((f.stack.clone(), m(f)?)))
            .min_by(|a, b| a.1.median.total_cmp(&b.1.median))
    };
    let load_sc = if !fig.scenario(Scenario::Json).is_empty() {
        Scenario::Json
    } else {
        Scenario::Plaintext
    };
    let mut measures: Vec<Measure> = Vec::new();
    for (what, m) in [
        (
            "RSS before load",
            (|f: &ScenarioFigures| f.rss_idle_bytes) as fn(&ScenarioFigures) -> Option<Spread>,
        ),
        ("RSS at peak load", |f: &ScenarioFigures| f.rss_peak_bytes),
    ] {
        if let (Some(p), Some(n)) = (
            leanest(load_sc, Lang::Python, m),
            leanest(load_sc, Lang::Node, m),
        ) {
            measures.push((format!("{what} ({load_sc})"), p, n));
        }
    }
    if let (Some(p), Some(n)) = (
        leanest_idle(fig, Lang::Python),
        leanest_idle(fig, Lang::Node),
    ) {
        measures.push((
            format!("per idle {} connection", p.1),
            (p.0, p.2),
            (n.0, n.2),
        ));
    }
    if measures.is_empty() {
        return not_enough(
            8,
            "no memory figures for both a Python and a Node.js stack",
            "json,idle",
            vec![],
        );
    }
    let evidence = measures
        .iter()
        .map(|(what, p, n)| {
            format!(
                "{what}: {} {} vs {} {} → {}",
                p.0,
                fmt_bytes(p.1.median),
                n.0,
                fmt_bytes(n.1.median),
                fmt_ratio(p.1.median / n.1.median.max(1.0))
            )
        })
        .collect();
    let more = measures
        .iter()
        .all(|(_, p, n)| n.1.max > 0.0 && p.1.min / n.1.max >= K9_MORE);
    let no_more = measures.iter().all(|(_, p, n)| p.1.median <= n.1.median);
    let (v, because) = if more {
        (
            Verdict::Supported,
            "the leanest Python stack needs at least 1.3× more memory on every measure",
        )
    } else if no_more {
        (
            Verdict::Refuted,
            "the leanest Python stack needs no more memory than the leanest Node.js stack",
        )
    } else {
        (
            Verdict::Depends,
            "Python needs more on some measures and not on others, or not by 1.3×",
        )
    };
    verdict(8, v, because, evidence)
}
