//! The claims ledger: K1–K9 of the product brief, each checked against this
//! run's own figures by a written rule ([`rules`]). Every rule reads ratios
//! with their 95 % interval and judges supported and refuted alike; flagged
//! figures bound a claim only in the direction they allow; a run too thin
//! for intervals gets "not enough evidence", saying what to run.

use serde::Serialize;

use crate::scenario::Scenario;
use crate::stats::Ratio;
use crate::verdict::figures::{Evidence, Figures, Lang, ScenarioFigures, bounded_ratio};
use crate::verdict::format::{fmt_est, fmt_ratio_ci};

mod doc;
mod memory;
mod more;
mod realtime;
mod rules;
#[cfg(test)]
pub(crate) mod tests;
mod throughput;
mod unknowns;
mod versions;
pub use doc::{LEDGER_END, LEDGER_START, ledger_markdown};
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
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub id: &'static str,
    pub claim: &'static str,
    /// What the articles that repeat the claim say, in one line.
    pub articles: &'static str,
    pub checked_by: &'static str,
    /// Built from the thresholds in [`rules`], so the text cannot drift.
    pub rule: String,
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
    /// The whole interval is at or above `much`, and the median beyond the
    /// noise floor.
    Above,
    /// The whole interval is at or above `much`, but the median is within
    /// the run's noise floor: no difference that small is claimed.
    Floor,
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
    } else if r.low >= much {
        if r.value >= 1.0 + floor {
            Side::Above
        } else {
            Side::Floor
        }
    } else if r.high <= hardly {
        Side::Below
    } else if r.low > hardly && r.high < much {
        Side::Between
    } else {
        // Across a threshold: the interval holds two verdicts' values.
        Side::Wide
    }
}

/// `a ÷ b` for two ratios (a ratio of ratios), with its own 95 % interval:
/// the difference of the two log ratios, their variances added (each read
/// back from its interval and degrees of freedom) and Welch–Satterthwaite
/// degrees of freedom. An open end (a bound) stays open; unjudged when
/// either is.
pub(crate) fn ratio_of(a: &Ratio, b: &Ratio) -> Ratio {
    let value = a.value / b.value;
    if !a.judged || !b.judged {
        return Ratio {
            value,
            low: value,
            high: value,
            df: 0.0,
            judged: false,
        };
    }
    let finite = |r: &Ratio| r.low > 0.0 && r.high.is_finite();
    let (low, high, df) = if finite(a) && finite(b) {
        // Centre and standard error on the log scale, from each interval.
        let se = |r: &Ratio| (r.high / r.low).ln() / 2.0 / crate::stats::interval::t_quantile(r.df);
        let mid = |r: &Ratio| (r.high * r.low).ln() / 2.0;
        let (sa, sb) = (se(a).powi(2), se(b).powi(2));
        let se2 = sa + sb;
        let df = if se2 == 0.0 {
            a.df + b.df
        } else {
            se2 * se2 / (sa * sa / a.df.max(1.0) + sb * sb / b.df.max(1.0))
        };
        let h = crate::stats::interval::t_quantile(df) * se2.sqrt();
        let d = mid(a) - mid(b);
        ((d - h).exp().min(value), (d + h).exp().max(value), df)
    } else {
        // A bound on either side opens the same side of the quotient.
        let low = if a.low > 0.0 && b.high.is_finite() {
            a.low / b.high
        } else {
            0.0
        };
        let high = if a.high.is_finite() && b.low > 0.0 {
            a.high / b.low
        } else {
            f64::INFINITY
        };
        (low.min(value), high.max(value), a.df.min(b.df))
    };
    Ratio {
        value,
        low,
        high,
        df,
        judged: true,
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
    let c: &'static Claim = &CLAIMS[k];
    ClaimVerdict {
        id: c.id,
        claim: c.claim,
        checked_by: c.checked_by,
        rule: c.rule.as_str(),
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
    let because = if evidence.iter().any(|e| e.contains("too noisy to judge")) {
        "a deciding figure is too noisy to judge (its trials disagree far beyond the run's noise, so no interval is shown); more trials are needed"
    } else {
        "the figures have no interval (one trial each and no measured noise) or rest on flagged points; more trials are needed"
    };
    let mut v = verdict(k, Verdict::NotEnoughEvidence, because, evidence);
    v.to_run = Some(format!("ringside run --scenarios {scenarios} --trials 3"));
    v
}

/// "not enough evidence" for an interval wholly beyond a threshold whose
/// median lies within the run's noise floor: no difference that small is
/// claimed. More trials narrow the interval, not the floor; a run of just
/// these scenarios, on a quieter machine, measures its own.
pub(crate) fn within_floor(
    k: usize,
    what: &str,
    floor: f64,
    scenarios: &str,
    evidence: Vec<String>,
) -> ClaimVerdict {
    let mut v = verdict(
        k,
        Verdict::NotEnoughEvidence,
        format!(
            "{what} clears the threshold over its whole interval, but its median is within the run's noise floor ({:.0} %): no difference that small is claimed, and more trials do not lower the floor — a quieter machine does",
            floor * 100.0
        ),
        evidence,
    );
    v.to_run = Some(format!("ringside run --scenarios {scenarios}"));
    v
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
            "{what} reaches across {}: it holds two verdicts' values and cannot tell them apart; more trials narrow it",
            if hardly == much {
                format!("{}×", fmt_threshold(much))
            } else {
                format!("{}× or {}×", fmt_threshold(hardly), fmt_threshold(much))
            }
        ),
        evidence,
    );
    v.to_run = Some(format!("ringside run --scenarios {scenarios} --trials 5"));
    v
}

/// Every claim's verdict for these figures, in ledger order.
pub fn ledger(fig: &Figures) -> Vec<ClaimVerdict> {
    let mut all = vec![
        throughput::k1(fig),
        more::k2(fig),
        more::k3(fig),
        more::k4(fig),
        throughput::k5(fig),
        throughput::k6(fig),
        realtime::k7(fig),
        throughput::k8(fig),
        memory::k9(fig),
    ];
    for v in &mut all {
        versions::name_versions(&mut v.evidence, &fig.stacks);
    }
    all
}
