//! Memory of the same kind: K9, and the idle-connection figures K2 reads.

use crate::results::IdleKind;
use crate::scenario::Scenario;
use crate::stats::{Estimate, Ratio};
use crate::verdict::figures::{Evidence, Family, Figures, IdleFigures, Lang};
use crate::verdict::format::{fmt_bytes, fmt_int, fmt_ratio_ci};

use super::{
    ClaimVerdict, Side, Verdict, not_enough, rules::*, side, too_thin, too_wide_named, verdict,
    within_floor,
};

/// Share of the connections asked for a stack must have held for its idle
/// figure to stand for "many idle connections".
const IDLE_HELD: f64 = 0.95;

/// The leanest stack of `lang` per idle connection of `kind`, among those
/// that held (nearly) every connection asked for; when none did, the leanest
/// of all, its name saying how many it held (gunicorn takes 1000 a worker).
pub(super) fn leanest_idle(
    fig: &Figures,
    lang: Lang,
    kind: IdleKind,
) -> Option<(String, &IdleFigures)> {
    let of_kind: Vec<_> = fig
        .idle
        .iter()
        .filter(|i| i.lang == lang && i.kind == kind)
        .collect();
    let held =
        |i: &&IdleFigures| i.connections_open as f64 >= IDLE_HELD * i.connections_requested as f64;
    let pool: Vec<_> = if of_kind.iter().any(held) {
        of_kind.into_iter().filter(held).collect()
    } else {
        of_kind
    };
    pool.into_iter()
        .min_by(|a, b| {
            a.bytes_per_connection
                .median
                .total_cmp(&b.bytes_per_connection.median)
        })
        .map(|i| {
            let name = if held(&i) {
                i.stack.clone()
            } else {
                format!(
                    "{} (held {} of {})",
                    i.stack, i.connections_open, i.connections_requested
                )
            };
            (name, i)
        })
}

/// Python's ÷ Node.js's memory per idle connection. A figure below the
/// measurement's resolution is only an upper bound: it opens the ratio's
/// bottom (Python's) or top (Node.js's); two of them bound nothing.
pub(super) fn idle_ratio(p: &IdleFigures, n: &IdleFigures) -> Ratio {
    let mut r = Ratio::of(&p.bytes_per_connection, &n.bytes_per_connection);
    if !p.resolved {
        r.low = 0.0;
    }
    if !n.resolved {
        r.high = f64::INFINITY;
    }
    r
}

/// The evidence line's figure: `11.1 KiB [10.8 KiB–11.4 KiB]`, or
/// `at most 256 B (below the resolution)`.
pub(super) fn fmt_idle(i: &IdleFigures) -> String {
    if i.resolved {
        fmt_mem(&i.bytes_per_connection)
    } else {
        format!(
            "at most {} (below the measurement's resolution)",
            fmt_bytes(i.bytes_per_connection.high.max(IDLE_RESOLUTION))
        )
    }
}

pub(super) fn fmt_mem(e: &Estimate) -> String {
    if e.has_interval() {
        format!(
            "{} [{}–{}]",
            fmt_bytes(e.median),
            fmt_bytes(e.low),
            fmt_bytes(e.high)
        )
    } else {
        fmt_bytes(e.median)
    }
}

pub(super) fn k9(fig: &Figures) -> ClaimVerdict {
    // (what, ratio, the noise floor of its kind)
    let mut measures: Vec<(String, Ratio, f64)> = Vec::new();
    let mut evidence = Vec::new();
    let kind_of = |kind: &str| match kind {
        "pss" => "Pss",
        "vmrss" => "VmRSS (smaps unreadable)",
        _ => "private pages + shared pages once",
    };
    let mem_floor = fig.noise.floor(Family::Memory);
    let mut push = |what: String, p: Option<(String, Estimate)>, n: Option<(String, Estimate)>| {
        if let (Some(p), Some(n)) = (p, n) {
            let r = Ratio::of(&p.1, &n.1);
            evidence.push(format!(
                "{what}: {} {} vs {} {} → Python {}",
                p.0,
                fmt_mem(&p.1),
                n.0,
                fmt_mem(&n.1),
                fmt_ratio_ci(&r)
            ));
            measures.push((what, r, mem_floor));
        }
    };
    let fresh = |lang: Lang| {
        fig.per_stack
            .iter()
            .filter(|s| s.lang == lang)
            .filter_map(|s| Some((s.stack.clone(), s.fresh_bytes?)))
            .min_by(|a, b| a.1.median.total_cmp(&b.1.median))
    };
    push(
        "fresh process, before any load".into(),
        fresh(Lang::Python),
        fresh(Lang::Node),
    );
    // At the same offered rate: only figures whose fixed-rate trials are
    // clean (a rate not reached is not the same rate).
    let at_rate = |lang: Lang| {
        fig.scenario(Scenario::Json)
            .iter()
            .filter(|f| f.lang == lang && f.fixed_evidence == Evidence::Clean)
            .filter_map(|f| Some((f.stack.clone(), f.rss_fixed_bytes?)))
            .min_by(|a, b| a.1.median.total_cmp(&b.1.median))
    };
    let flagged: Vec<&str> = fig
        .scenario(Scenario::Json)
        .iter()
        .filter(|f| {
            matches!(f.lang, Lang::Python | Lang::Node)
                && f.rss_fixed_bytes.is_some()
                && f.fixed_evidence != Evidence::Clean
        })
        .map(|f| f.stack.as_str())
        .collect();
    let rate = fig
        .scenario(Scenario::Json)
        .iter()
        .find_map(|f| f.p99_rate_rps)
        .unwrap_or(0.0);
    let kind = crate::verdict::figures::trials::worst_memory_kind(
        fig.scenario(Scenario::Json)
            .iter()
            .map(|f| f.memory_kind.as_str()),
    );
    push(
        format!(
            "at the same offered rate (json {} req/s, {})",
            fmt_int(rate),
            kind_of(kind)
        ),
        at_rate(Lang::Python),
        at_rate(Lang::Node),
    );
    if !flagged.is_empty() {
        evidence.push(format!(
            "at the same offered rate, not evidence (flagged: the rate not reached or shared cores): {}",
            flagged.join(", ")
        ));
    }
    let idle_floor = fig.noise.floor(Family::Idle);
    for kind in [IdleKind::Http, IdleKind::Ws] {
        let (Some(p), Some(n)) = (
            leanest_idle(fig, Lang::Python, kind),
            leanest_idle(fig, Lang::Node, kind),
        ) else {
            continue;
        };
        let what = format!("per idle {} connection", kind.name());
        let r = idle_ratio(p.1, n.1);
        evidence.push(format!(
            "{what}: {} {} vs {} {} → Python {}",
            p.0,
            fmt_idle(p.1),
            n.0,
            fmt_idle(n.1),
            fmt_ratio_ci(&r)
        ));
        measures.push((what, r, idle_floor));
    }
    if measures.is_empty() {
        return not_enough(
            8,
            "no memory figures for both a Python and a Node.js stack",
            "json,idle",
            evidence,
        );
    }
    // Each measure's interval must lie wholly in one zone: "more" (at least
    // K9_MORE, beyond its floor), "not more" (at most K9_NO_MORE) or between
    // them. Depends is settled by two measures in different zones, or one
    // wholly between; otherwise an interval across a threshold (or a lead
    // within the floor) leaves the verdict open.
    let names = |zone: Side| -> Vec<&str> {
        measures
            .iter()
            .filter(|(_, r, f)| side(r, K9_MORE, K9_NO_MORE, *f) == zone)
            .map(|(w, _, _)| w.as_str())
            .collect()
    };
    let more = names(Side::Above);
    let not_more = names(Side::Below);
    let between = names(Side::Between);
    let wide = names(Side::Wide);
    let within = names(Side::Floor);
    let (v, because) = if !between.is_empty() || (!more.is_empty() && !not_more.is_empty()) {
        let mut parts = Vec::new();
        if !more.is_empty() {
            parts.push(format!("at least {K9_MORE}× {}", more.join("; ")));
        }
        if !not_more.is_empty() {
            parts.push(format!("at most {K9_NO_MORE}× {}", not_more.join("; ")));
        }
        if !between.is_empty() {
            parts.push(format!(
                "between {K9_NO_MORE}× and {K9_MORE}× {}",
                between.join("; ")
            ));
        }
        (
            Verdict::Depends,
            format!(
                "it depends on the measure: Python needs {}",
                parts.join(", ")
            ),
        )
    } else if measures.iter().any(|(_, r, _)| !r.judged) {
        // A measure without an interval leaves the verdict open unless the
        // judged ones already settle depends (above): no value of it could
        // make every measure lie in one zone then.
        return too_thin(8, "json,idle", evidence);
    } else if !wide.is_empty() {
        let what = format!("the interval of {}", wide.join("; "));
        let mut v = too_wide_named(8, &what, K9_MORE, K9_NO_MORE, "json,idle", evidence);
        if measures
            .iter()
            .any(|(_, r, _)| r.low == 0.0 || r.high.is_infinite())
        {
            v.because.push_str(
                " (a figure below the measurement's resolution only bounds: more trials do not resolve it)",
            );
        }
        return v;
    } else if !within.is_empty() {
        let what = format!("Python's memory {}", within.join("; "));
        let f = measures
            .iter()
            .filter(|(_, r, f)| side(r, K9_MORE, K9_NO_MORE, *f) == Side::Floor)
            .fold(0.0, |m: f64, (_, _, f)| m.max(*f));
        return within_floor(8, &what, f, "json,idle", evidence);
    } else if not_more.is_empty() {
        (
            Verdict::Supported,
            format!(
                "the leanest Python stack needs at least {K9_MORE}× the memory on every measure"
            ),
        )
    } else {
        (
            Verdict::Refuted,
            format!("the leanest Python stack needs at most {K9_NO_MORE}× on every measure"),
        )
    };
    verdict(8, v, because, evidence)
}
