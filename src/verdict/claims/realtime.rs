//! K7: real-time, judged on ws-chat capacity at the SLO with the evidence
//! rules of every other figure: brackets, bounds and the noise floor.

use crate::scenario::Scenario;
use crate::verdict::figures::{CapacityFigure, Family, Figures, Lang};
use crate::verdict::format::fmt_ratio_ci;

use super::{
    ClaimVerdict, Side, Verdict, not_enough, rules::*, side, too_thin, too_wide_named, verdict,
    within_floor,
};

pub(super) fn k7(fig: &Figures) -> ClaimVerdict {
    let best = |lang: Lang| {
        fig.scenario(Scenario::WsChat)
            .iter()
            .filter(|f| f.lang == lang)
            .filter_map(|f| Some((f, f.capacity.as_ref()?)))
            .max_by(|a, b| a.1.typical().total_cmp(&b.1.typical()))
    };
    let (Some((n, nc)), Some((p, pc))) = (best(Lang::Node), best(Lang::Python)) else {
        return not_enough(
            6,
            "ws-chat capacity was not measured for both a Node.js and a Python stack",
            "ws-chat",
            vec![],
        );
    };
    let bracket = |c: &CapacityFigure| {
        format!(
            "{} ({} trial{})",
            c.text(true),
            c.trials,
            if c.trials == 1 { "" } else { "s" }
        )
    };
    // A bracket from one search says nothing of the next, and over several
    // the searches' own envelope only widens: the ratio reads the capacity
    // figures' intervals (the trials' bracket midpoints, verdict::figures).
    let r = nc.ratio_to(pc);
    let evidence = vec![format!(
        "ws-chat capacity at p99 < {} ms: {} {} vs {} {} → {}",
        fig.slo_ms,
        n.stack,
        bracket(nc),
        p.stack,
        bracket(pc),
        // `3.0× (no interval)` where a figure has none, never `0.00×–∞×`.
        fmt_ratio_ci(&r)
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
                "the capacity interval, open where a search gave only a lower bound,"
            } else {
                "the capacity interval (the trials' bracket midpoints)"
            };
            return too_wide_named(6, what, K7_BETTER, K7_HARDLY, "ws-chat", evidence);
        }
        Side::Floor => {
            return within_floor(
                6,
                "Node.js's capacity lead (the interval's low end)",
                floor,
                "ws-chat",
                evidence,
            );
        }
        Side::Above => (
            Verdict::Supported,
            format!(
                "Node.js serves at least {K7_BETTER}× the clients, interval of the trials' bracket midpoints, beyond the noise floor"
            ),
        ),
        Side::Below => (
            Verdict::Refuted,
            format!(
                "Node.js serves at most {K7_HARDLY}× the clients, or fewer, interval of the trials' bracket midpoints"
            ),
        ),
        Side::Between => (
            Verdict::Depends,
            format!(
                "the capacity interval lies wholly between {K7_HARDLY}× and {K7_BETTER}×: Node.js neither {K7_BETTER}× ahead nor within {K7_HARDLY}×"
            ),
        ),
    };
    verdict(6, v, because, evidence)
}
