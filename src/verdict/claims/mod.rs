//! The claims ledger: K1–K9 of the product brief, each checked against this
//! run's own figures by a written rule ([`rules`]). Every rule reads ratios
//! with their 95 % interval and judges supported and refuted alike; flagged
//! figures bound a claim only in the direction they allow; a run too thin
//! for intervals gets "not enough evidence", saying what to run.

use serde::Serialize;

use crate::scenario::Scenario;
use crate::stats::Ratio;
use crate::verdict::figures::{Evidence, Family, Figures, Lang, ScenarioFigures, bounded_ratio};
use crate::verdict::format::{fmt_est, fmt_ratio_ci};

mod more;
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

/// Where a ratio lies against a claim's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// The whole interval is at or above `much` (and beyond the noise floor).
    Above,
    /// The whole interval is at or below `hardly`.
    Below,
    /// The whole interval between `hardly` and `much`.
    Between,
    /// The interval reaches across `hardly` or `much` (or both): it holds the
    /// values of two verdicts and shows neither (a wide interval is no
    /// evidence of the middle either).
    Wide,
    /// No interval: one trial each and no measured noise, or a flagged figure.
    Unjudged,
}

pub(crate) fn side(r: &Ratio, much: f64, hardly: f64, floor: f64) -> Side {
    if !r.judged {
        Side::Unjudged
    } else if r.low >= much && r.value >= 1.0 + floor {
        Side::Above
    } else if r.high <= hardly {
        Side::Below
    } else if r.low > hardly && r.high < much {
        Side::Between
    } else {
        // Across a threshold: the interval holds two verdicts' values.
        Side::Wide
    }
}

/// The best stack of one group against the best of another on one figure.
pub(crate) struct Duel<'a> {
    #[allow(dead_code)]
    pub a: &'a ScenarioFigures,
    #[allow(dead_code)]
    pub b: &'a ScenarioFigures,
    pub ratio: Ratio,
    pub line: String,
}

/// A figure of a scenario with the evidence it carries.
pub(crate) type Metric = fn(&ScenarioFigures) -> Option<(crate::stats::Estimate, Evidence)>;

pub(crate) fn throughput(f: &ScenarioFigures) -> Option<(crate::stats::Estimate, Evidence)> {
    Some((f.throughput_rps?, f.throughput_evidence))
}

/// Best of `a` ÷ best of `b` on `metric` in `sc` (highest median among
/// figures that are evidence; flagged ones are named in the line).
pub(crate) fn duel<'a>(
    fig: &'a Figures,
    sc: Scenario,
    a: Lang,
    b: Lang,
    metric: Metric,
    unit: &str,
) -> Option<Duel<'a>> {
    let best = |lang: Lang| {
        fig.scenario(sc)
            .iter()
            .filter(|f| f.lang == lang)
            .filter_map(|f| Some((f, metric(f)?)))
            .filter(|(_, (_, ev))| *ev != Evidence::Doubtful)
            .max_by(|x, y| x.1.0.median.total_cmp(&y.1.0.median))
    };
    let (fa, (ea, va)) = best(a)?;
    let (fb, (eb, vb)) = best(b)?;
    let ratio = bounded_ratio(&ea, va, &eb, vb);
    let tag = |e: Evidence| {
        if e == Evidence::Clean {
            String::new()
        } else {
            format!(" ({})", e.describe())
        }
    };
    let line = format!(
        "{}: {} {}{} vs {} {}{} → {}",
        scenario_label(fig, sc),
        fa.stack,
        fmt_est(&ea, unit),
        tag(va),
        fb.stack,
        fmt_est(&eb, unit),
        tag(vb),
        fmt_ratio_ci(&ratio),
    );
    Some(Duel {
        a: fa,
        b: fb,
        ratio,
        line,
    })
}

/// `db (SQLite)` for database scenarios, the name otherwise.
pub(crate) fn scenario_label(fig: &Figures, sc: Scenario) -> String {
    if sc.needs_db() {
        format!("{sc} ({})", db_name(fig))
    } else {
        sc.name().to_string()
    }
}

pub(crate) fn db_name(fig: &Figures) -> &'static str {
    match fig.db.name() {
        "postgres" => "PostgreSQL",
        _ => "SQLite",
    }
}

pub(crate) fn verdict(
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

pub(crate) fn not_enough(
    k: usize,
    missing: &str,
    scenarios: &str,
    evidence: Vec<String>,
) -> ClaimVerdict {
    let mut v = verdict(k, Verdict::NotEnoughEvidence, missing, evidence);
    v.to_run = Some(format!("ringside run --scenarios {scenarios}"));
    v
}

/// "not enough evidence" for want of trials: the interval could not be judged.
pub(crate) fn too_thin(k: usize, scenarios: &str, evidence: Vec<String>) -> ClaimVerdict {
    let mut v = verdict(
        k,
        Verdict::NotEnoughEvidence,
        "the figures have no interval (one trial each and no measured noise) or rest on flagged points; more trials are needed",
        evidence,
    );
    v.to_run = Some(format!("ringside run --scenarios {scenarios} --trials 3"));
    v
}

/// A threshold as the rules print it: `1.1`, `0.83`.
fn fmt_threshold(t: f64) -> String {
    let two = format!("{t:.2}");
    two.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// "not enough evidence" for an interval across a threshold.
pub(crate) fn too_wide(
    k: usize,
    much: f64,
    hardly: f64,
    scenarios: &str,
    evidence: Vec<String>,
) -> ClaimVerdict {
    too_wide_named(
        k,
        "the deciding interval",
        much,
        hardly,
        scenarios,
        evidence,
    )
}

/// [`too_wide`], naming what reaches across (`what`: "the interval of …").
pub(crate) fn too_wide_named(
    k: usize,
    what: &str,
    much: f64,
    hardly: f64,
    scenarios: &str,
    evidence: Vec<String>,
) -> ClaimVerdict {
    let mut v = verdict(
        k,
        Verdict::NotEnoughEvidence,
        format!(
            "{what} reaches across {}× or {much}×: it holds two verdicts' values and cannot tell them apart; more trials narrow it",
            fmt_threshold(hardly)
        ),
        evidence,
    );
    v.to_run = Some(format!("ringside run --scenarios {scenarios} --trials 5"));
    v
}

/// Every claim's verdict for these figures, in ledger order.
pub fn ledger(fig: &Figures) -> Vec<ClaimVerdict> {
    vec![
        k1(fig),
        more::k2(fig),
        more::k3(fig),
        more::k4(fig),
        k5(fig),
        k6(fig),
        more::k7(fig),
        k8(fig),
        more::k9(fig),
    ]
}

fn floor(fig: &Figures) -> f64 {
    fig.noise.floor(Family::Throughput)
}

fn k1(fig: &Figures) -> ClaimVerdict {
    let mut evidence = Vec::new();
    let mut sides = Vec::new();
    for sc in [Scenario::Plaintext, Scenario::Json] {
        if let Some(d) = duel(fig, sc, Lang::Node, Lang::Python, throughput, "req/s") {
            evidence.push(d.line);
            sides.push(side(&d.ratio, K1_MUCH, K1_HARDLY, floor(fig)));
        }
    }
    if sides.is_empty() {
        return not_enough(
            0,
            "plaintext and json were not measured for both a Node.js and a Python stack",
            "plaintext,json",
            evidence,
        );
    }
    if sides.contains(&Side::Unjudged) {
        return too_thin(0, "plaintext,json", evidence);
    }
    if sides.contains(&Side::Wide) {
        return too_wide(0, K1_MUCH, K1_HARDLY, "plaintext,json", evidence);
    }
    let all = |s: Side| sides.iter().all(|x| *x == s);
    let (v, because) = if all(Side::Above) {
        (
            Verdict::Supported,
            format!(
                "Node.js is at least {K1_MUCH}× faster, the whole interval, on every one measured"
            ),
        )
    } else if all(Side::Below) {
        (
            Verdict::Refuted,
            format!(
                "Node.js is at most {K1_HARDLY}× faster (or slower), the whole interval, on every one measured"
            ),
        )
    } else {
        (
            Verdict::Depends,
            format!(
                "the gap is not beyond {K1_MUCH}× everywhere, nor within {K1_HARDLY}× everywhere"
            ),
        )
    };
    verdict(0, v, because, evidence)
}

fn k5(fig: &Figures) -> ClaimVerdict {
    let Some(d) = duel(
        fig,
        Scenario::Numeric,
        Lang::Python,
        Lang::Node,
        throughput,
        "req/s",
    ) else {
        return not_enough(
            4,
            "numeric was not measured for both a Python and a Node.js stack",
            "numeric",
            vec![],
        );
    };
    let evidence = vec![d.line.clone()];
    let r = d.ratio;
    // Zones alike on both sides: Python at least 1.2× faster (supported),
    // Node.js at least 1.2× faster past the noise floor (refuted), neither
    // (depends); an interval across 1/1.2 or 1.2 is in two zones at once.
    let node_wins = 1.0 / K5_WINS;
    let node_ahead = side(&r.inverse(), K5_WINS, 0.0, floor(fig)) == Side::Above;
    let (v, because) = match side(&r, K5_WINS, node_wins, floor(fig)) {
        Side::Unjudged => return too_thin(4, "numeric", evidence),
        Side::Wide => return too_wide(4, K5_WINS, node_wins, "numeric", evidence),
        Side::Above => (
            Verdict::Supported,
            format!("the Python stack is at least {K5_WINS}× faster, the whole interval"),
        ),
        Side::Below if node_ahead => (
            Verdict::Refuted,
            format!(
                "the Node.js stack is at least {K5_WINS}× faster, the whole interval, beyond the noise floor"
            ),
        ),
        Side::Below => return too_wide(4, K5_WINS, node_wins, "numeric", evidence),
        Side::Between => (
            Verdict::Depends,
            format!("neither is {K5_WINS}× ahead of the other, the whole interval"),
        ),
    };
    verdict(4, v, because, evidence)
}

fn k6(fig: &Figures) -> ClaimVerdict {
    let Some(d) = duel(
        fig,
        Scenario::Cpu,
        Lang::Node,
        Lang::Python,
        throughput,
        "req/s",
    ) else {
        return not_enough(
            5,
            "cpu was not measured for both a Node.js and a Python stack",
            "cpu",
            vec![],
        );
    };
    let evidence = vec![d.line.clone()];
    let (v, because) = match side(&d.ratio, K6_FASTER, K6_HARDLY, floor(fig)) {
        Side::Unjudged => return too_thin(5, "cpu", evidence),
        Side::Wide => return too_wide(5, K6_FASTER, K6_HARDLY, "cpu", evidence),
        Side::Above => (
            Verdict::Supported,
            format!(
                "V8 runs the plain loop at least {K6_FASTER}× faster ({:.1}×)",
                d.ratio.value
            ),
        ),
        Side::Below => (
            Verdict::Refuted,
            format!("CPython keeps within {K6_HARDLY}× or is faster"),
        ),
        Side::Between => (
            Verdict::Depends,
            "Node.js is ahead, but not by 1.2× beyond the interval".to_string(),
        ),
    };
    verdict(5, v, because, evidence)
}

fn k8(fig: &Figures) -> ClaimVerdict {
    let json = duel(
        fig,
        Scenario::Json,
        Lang::Node,
        Lang::Python,
        throughput,
        "req/s",
    );
    let mut evidence = Vec::new();
    let mut db: Vec<(Scenario, Ratio)> = Vec::new();
    if let Some(d) = &json {
        evidence.push(d.line.clone());
    }
    for sc in [Scenario::Db, Scenario::Queries, Scenario::Fortunes] {
        if let Some(d) = duel(fig, sc, Lang::Node, Lang::Python, throughput, "req/s") {
            evidence.push(d.line);
            db.push((sc, d.ratio));
        }
    }
    let Some(json) = json.filter(|_| !db.is_empty()) else {
        return not_enough(
            7,
            "needs json and at least one of db, queries, fortunes for both languages",
            "json,db,queries,fortunes",
            evidence,
        );
    };
    if !json.ratio.judged || db.iter().any(|(_, r)| !r.judged) {
        return too_thin(7, "json,db", evidence);
    }
    let jr = json.ratio;
    let gap_json = jr.value;
    let small = |r: &Ratio| r.high <= K8_SMALL_GAP && r.low >= 1.0 / K8_SMALL_GAP;
    let wide = |r: &Ratio| r.low > K8_SMALL_GAP && r.value >= K8_NOT_SHRUNK * gap_json;
    let python_ahead: Vec<String> = db
        .iter()
        .filter(|(_, r)| r.high < 1.0 / K8_SMALL_GAP)
        .map(|(sc, r)| {
            format!(
                "{} ({:.2}× Python's way)",
                scenario_label(fig, *sc),
                1.0 / r.value
            )
        })
        .collect();
    let (v, because) = if jr.low > K8_SMALL_GAP && db.iter().all(|(_, r)| small(r)) {
        (
            Verdict::Supported,
            format!(
                "a {gap_json:.1}× gap on json is within {K8_SMALL_GAP}× either way behind the database ({})",
                db_name(fig)
            ),
        )
    } else if db.iter().any(|(_, r)| wide(r)) {
        (
            Verdict::Refuted,
            format!(
                "the gap stays above {K8_SMALL_GAP}× and at least 80 % of json's {gap_json:.1}× behind the database ({})",
                db_name(fig)
            ),
        )
    } else if db
        .iter()
        .any(|(_, r)| !small(r) && r.low <= K8_SMALL_GAP && r.high >= 1.0 / K8_SMALL_GAP)
        || (jr.low <= K8_SMALL_GAP && jr.high > K8_SMALL_GAP)
    {
        // A gap whose interval reaches across 1.25× (or 1/1.25×) could be
        // small or not: it shows no shrinking, and no turning either.
        return too_wide(7, K8_SMALL_GAP, 1.0 / K8_SMALL_GAP, "json,db", evidence);
    } else if !python_ahead.is_empty() {
        (
            Verdict::Depends,
            format!(
                "the gap does not just shrink behind the database, it turns: Python is ahead on {}",
                python_ahead.join(", ")
            ),
        )
    } else if jr.high <= K8_SMALL_GAP {
        (
            Verdict::Depends,
            "there is no json gap beyond 1.25× to shrink".to_string(),
        )
    } else {
        (
            Verdict::Depends,
            "the gap shrinks behind the database but is not within 1.25× everywhere".to_string(),
        )
    };
    verdict(7, v, because, evidence)
}
