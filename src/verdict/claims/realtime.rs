//! K7: real-time, judged on ws-chat capacity at the SLO with the evidence
//! rules of every other figure: brackets, bounds and the noise floor.

use crate::scenario::Scenario;
use crate::stats::Ratio;
use crate::verdict::figures::{CapacityFigure, Family, Figures, Lang};
use crate::verdict::format::{fmt_int, fmt_ratio};

use super::{
    ClaimVerdict, Side, Verdict, not_enough, rules::*, side, too_thin, too_wide_named, verdict,
    within_floor,
};

/// Node.js's ÷ Python's capacity as a bracket: from Node.js's lowest pass
/// over Python's lowest failure above its lowest pass (the figures' `high`)
/// to Node.js's lowest failure over Python's lowest pass (an open end stays
/// open). `value` is the ratio of
/// the medians. Unjudged when either figure is one trial in a run without
/// measured noise (a bracket from one search says nothing of the next).
pub fn capacity_ratio(n: &CapacityFigure, p: &CapacityFigure, noise: bool) -> Ratio {
    let low = match p.high {
        Some(h) if h > 0.0 => n.low / h,
        _ => 0.0,
    };
    let high = match n.high {
        Some(h) if p.low > 0.0 => h / p.low,
        _ => f64::INFINITY,
    };
    let value = if p.median > 0.0 {
        n.median / p.median
    } else {
        f64::INFINITY
    };
    Ratio {
        value: value.max(low).min(high),
        low,
        high,
        df: 0.0,
        judged: noise || (n.trials >= 2 && p.trials >= 2),
    }
}

pub(super) fn k7(fig: &Figures) -> ClaimVerdict {
    let best = |lang: Lang| {
        fig.scenario(Scenario::WsChat)
            .iter()
            .filter(|f| f.lang == lang)
            .filter_map(|f| Some((f, f.capacity.as_ref()?)))
            .max_by(|a, b| a.1.median.total_cmp(&b.1.median))
    };
    let (Some((n, nc)), Some((p, pc))) = (best(Lang::Node), best(Lang::Python)) else {
        return not_enough(
            6,
            "ws-chat capacity was not measured for both a Node.js and a Python stack",
            "ws-chat",
            vec![],
        );
    };
    let bracket = |c: &CapacityFigure| match c.high {
        Some(h) => format!(
            "{}–{} {} ({} trial{})",
            fmt_int(c.low),
            fmt_int(h),
            c.unit,
            c.trials,
            if c.trials == 1 { "" } else { "s" }
        ),
        None => format!(
            "at least {} {} (a lower bound, {} trial{})",
            fmt_int(c.low),
            c.unit,
            c.trials,
            if c.trials == 1 { "" } else { "s" }
        ),
    };
    let r = capacity_ratio(nc, pc, fig.noise.throughput.is_some());
    let evidence = vec![format!(
        "ws-chat capacity at p99 < {} ms: {} {} vs {} {} → {}–{}",
        fig.slo_ms,
        n.stack,
        bracket(nc),
        p.stack,
        bracket(pc),
        fmt_ratio(r.low),
        fmt_ratio(r.high)
    )];
    // The ws-chat table ranks a stack ahead only when its lowest pass is
    // above the other's highest failure by more than the floor: the same
    // test here, on the bracket's low end.
    let floor = fig.noise.floor(Family::Throughput);
    let zone = match side(&r, K7_BETTER, K7_HARDLY, 0.0) {
        Side::Above if r.low <= 1.0 + floor => Side::Floor,
        s => s,
    };
    let (v, because) = match zone {
        Side::Unjudged => return too_thin(6, "ws-chat", evidence),
        Side::Wide => {
            let what = if nc.high.is_none() || pc.high.is_none() {
                "the capacity bracket, open where a search gave only a lower bound,"
            } else {
                "the capacity bracket (a search's steps are coarse)"
            };
            return too_wide_named(6, what, K7_BETTER, K7_HARDLY, "ws-chat", evidence);
        }
        Side::Floor => {
            return within_floor(
                6,
                "Node.js's capacity lead (the bracket's low end)",
                floor,
                "ws-chat",
                evidence,
            );
        }
        Side::Above => (
            Verdict::Supported,
            format!(
                "Node.js serves at least {K7_BETTER}× the clients, bracket and trials included, beyond the noise floor"
            ),
        ),
        Side::Below => (
            Verdict::Refuted,
            format!(
                "Node.js serves at most {K7_HARDLY}× the clients, or fewer, bracket and trials included"
            ),
        ),
        Side::Between => (
            Verdict::Depends,
            format!(
                "the capacity bracket lies wholly between {K7_HARDLY}× and {K7_BETTER}×: Node.js neither {K7_BETTER}× ahead nor within {K7_HARDLY}×"
            ),
        ),
    };
    verdict(6, v, because, evidence)
}
