//! The claims decided by throughput ratios alone: K1 (simple requests), K5
//! (numeric), K6 (plain code) and K8 (the gap behind a database).

use crate::scenario::Scenario;
use crate::stats::{Comparison, Ratio, compare};
use crate::verdict::figures::{Family, Figures, Lang};
use crate::verdict::format::fmt_ratio_ci;

use super::{
    ClaimVerdict, Side, Verdict, db_name, duel, not_enough, ratio_of, rules::*, scenario_label,
    side, throughput, too_thin, too_wide, verdict, within_floor,
};

fn floor(fig: &Figures) -> f64 {
    fig.noise.floor(Family::Throughput)
}

pub(super) fn k1(fig: &Figures) -> ClaimVerdict {
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
    if sides.contains(&Side::Floor) {
        return within_floor(0, "Node.js's lead", floor(fig), "plaintext,json", evidence);
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
                "the gap is not beyond {K1_MUCH}× everywhere, nor within {K1_HARDLY}× everywhere (whole intervals)"
            ),
        )
    };
    verdict(0, v, because, evidence)
}

pub(super) fn k5(fig: &Figures) -> ClaimVerdict {
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
    // Node.js at least 1.2× faster (refuted), neither (depends); each side
    // beyond the noise floor. An interval across 1/1.2 or 1.2 is in two
    // zones at once.
    let node_wins = 1.0 / K5_WINS;
    let f = floor(fig);
    let (v, because) = match side(&r, K5_WINS, node_wins, f) {
        Side::Unjudged => return too_thin(4, "numeric", evidence),
        Side::Wide => return too_wide(4, K5_WINS, node_wins, "numeric", evidence),
        Side::Floor => return within_floor(4, "Python's lead", f, "numeric", evidence),
        Side::Above => (
            Verdict::Supported,
            format!("the Python stack is at least {K5_WINS}× faster, the whole interval"),
        ),
        Side::Below => match side(&r.inverse(), K5_WINS, 0.0, f) {
            Side::Above => (
                Verdict::Refuted,
                format!(
                    "the Node.js stack is at least {K5_WINS}× faster, the whole interval, beyond the noise floor"
                ),
            ),
            _ => return within_floor(4, "Node.js's lead", f, "numeric", evidence),
        },
        Side::Between => (
            Verdict::Depends,
            format!("neither is {K5_WINS}× ahead of the other, the whole interval"),
        ),
    };
    verdict(4, v, because, evidence)
}

pub(super) fn k6(fig: &Figures) -> ClaimVerdict {
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
    let f = floor(fig);
    let (v, because) = match side(&d.ratio, K6_FASTER, K6_HARDLY, f) {
        Side::Unjudged => return too_thin(5, "cpu", evidence),
        Side::Wide => return too_wide(5, K6_FASTER, K6_HARDLY, "cpu", evidence),
        Side::Floor => return within_floor(5, "V8's lead", f, "cpu", evidence),
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
        Side::Between if compare(&d.ratio, f) == Comparison::Higher => (
            Verdict::Depends,
            format!(
                "Node.js is ahead beyond the noise floor, but the whole interval lies between {K6_HARDLY}× and {K6_FASTER}×"
            ),
        ),
        Side::Between => (
            Verdict::Depends,
            format!(
                "the whole interval lies between {K6_HARDLY}× and {K6_FASTER}×, a lead within the noise floor: neither much faster nor level"
            ),
        ),
    };
    verdict(5, v, because, evidence)
}

/// Where one database gap lies for K8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    /// Whole interval within 1.25× either way.
    Small,
    /// Node.js ahead beyond 1.25× (and the floor): the gap still matters.
    NodeAhead,
    /// Python ahead beyond 1.25× (and the floor).
    PythonAhead,
    /// Beyond 1.25× one way, but within the noise floor.
    Floor,
    /// Across 1.25× or 1/1.25×.
    Wide,
}

fn gap(r: &Ratio, floor: f64) -> Gap {
    let small = r.high <= K8_SMALL_GAP && r.low >= 1.0 / K8_SMALL_GAP;
    if small {
        return Gap::Small;
    }
    match (
        side(r, K8_SMALL_GAP, K8_SMALL_GAP, floor),
        side(&r.inverse(), K8_SMALL_GAP, K8_SMALL_GAP, floor),
    ) {
        (Side::Above, _) => Gap::NodeAhead,
        (_, Side::Above) => Gap::PythonAhead,
        (Side::Floor, _) | (_, Side::Floor) => Gap::Floor,
        _ => Gap::Wide,
    }
}

/// What a database gap's ratio to the json gap (a ratio of ratios, with
/// its own interval) shows, said only as far as that interval goes: it
/// never decides K8, whose claim is that the gap stops mattering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shrink {
    Shrank,
    Widened,
    NotShown,
}

fn shrink(kept: &Ratio) -> Shrink {
    if kept.judged && kept.high < 1.0 {
        Shrink::Shrank
    } else if kept.judged && kept.low > 1.0 {
        Shrink::Widened
    } else {
        Shrink::NotShown
    }
}

pub(super) fn k8(fig: &Figures) -> ClaimVerdict {
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
    let f = floor(fig);
    let jr = json.ratio;
    let gap_json = jr.value;
    let json_side = side(&jr, K8_SMALL_GAP, K8_SMALL_GAP, f);
    let gaps: Vec<(Scenario, Ratio, Gap)> = db.iter().map(|(s, r)| (*s, *r, gap(r, f))).collect();
    for (sc, r, g) in &gaps {
        if *g == Gap::NodeAhead {
            evidence.push(format!(
                "{} gap ÷ json gap: {}",
                scenario_label(fig, *sc),
                fmt_ratio_ci(&ratio_of(r, &jr))
            ));
        }
    }
    // The claim is that behind the database the gap stops mattering: a
    // database gap whose whole interval stays above 1.25× refutes it,
    // whether or not it shrank from json's.
    let kept: Vec<(String, Ratio, Shrink)> = gaps
        .iter()
        .filter(|(_, _, g)| *g == Gap::NodeAhead)
        .map(|(sc, r, _)| (scenario_label(fig, *sc), *r, shrink(&ratio_of(r, &jr))))
        .collect();
    let shrinks = |want: Shrink, what: &str| -> Option<String> {
        let on: Vec<&str> = kept
            .iter()
            .filter(|k| k.2 == want)
            .map(|k| k.0.as_str())
            .collect();
        (!on.is_empty()).then(|| format!("{what} on {}", on.join(", ")))
    };
    let shrink_text = [
        shrinks(
            Shrink::Shrank,
            &format!(
                "it shrank from json's {gap_json:.1}× (the ratio of the gaps wholly below 1×)"
            ),
        ),
        shrinks(Shrink::Widened, "it widened (wholly above 1×)"),
        shrinks(
            Shrink::NotShown,
            "whether it shrank is not shown (the ratio of the gaps reaches across 1×)",
        ),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("; ");
    let (v, because) = if json_side == Side::Above && gaps.iter().all(|g| g.2 == Gap::Small) {
        (
            Verdict::Supported,
            format!(
                "a {gap_json:.1}× gap on json is within {K8_SMALL_GAP}× either way behind the database ({})",
                db_name(fig)
            ),
        )
    } else if !kept.is_empty() {
        (
            Verdict::Refuted,
            format!(
                "behind the database the gap still matters: Node.js stays ahead beyond {K8_SMALL_GAP}× (the whole interval) on {}; {shrink_text}",
                kept.iter()
                    .map(|(sc, r, _)| format!("{sc} {}", fmt_ratio_ci(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    } else if json_side == Side::Wide || gaps.iter().any(|g| g.2 == Gap::Wide) {
        // A gap whose interval reaches across 1.25× (or 1/1.25×) could be
        // small or not: it shows no shrinking, and no turning either.
        return too_wide(7, K8_SMALL_GAP, 1.0 / K8_SMALL_GAP, "json,db", evidence);
    } else if json_side == Side::Floor || gaps.iter().any(|g| g.2 == Gap::Floor) {
        return within_floor(7, "a gap", f, "json,db", evidence);
    } else if gaps.iter().any(|g| g.2 == Gap::PythonAhead) {
        let ahead: Vec<String> = gaps
            .iter()
            .filter(|g| g.2 == Gap::PythonAhead)
            .map(|(sc, r, _)| {
                format!(
                    "{} ({:.2}× Python's way)",
                    scenario_label(fig, *sc),
                    1.0 / r.value
                )
            })
            .collect();
        (
            Verdict::Depends,
            format!(
                "the gap does not just shrink behind the database, it turns: Python is ahead beyond {K8_SMALL_GAP}× on {}",
                ahead.join(", ")
            ),
        )
    } else {
        // Every database gap within 1.25× and no json gap beyond it.
        (
            Verdict::Depends,
            format!("there is no json gap beyond {K8_SMALL_GAP}× to shrink"),
        )
    };
    verdict(7, v, because, evidence)
}
