//! The claims whose evidence is more than one throughput ratio: K2
//! (connections), K3 (requests in flight), K4 (cores), K7 (capacity
//! brackets) and K9 (memory of the same kind).

use crate::results::IdleKind;
use crate::scenario::Scenario;
use crate::stats::{Comparison, Estimate, Ratio, compare};
use crate::verdict::figures::{Family, Figures, Lang};
use crate::verdict::format::{fmt_bytes, fmt_est, fmt_int, fmt_ratio_ci};

use super::{
    ClaimVerdict, Side, Verdict, duel, not_enough, rules::*, side, throughput, too_thin, too_wide,
    too_wide_named, verdict,
};

fn floor(fig: &Figures, f: Family) -> f64 {
    fig.noise.floor(f)
}

/// Share of the connections asked for a stack must have held for its idle
/// figure to stand for "many idle connections".
const IDLE_HELD: f64 = 0.95;

/// The leanest stack of `lang` per idle connection of `kind`, among those
/// that held (nearly) every connection asked for; when none did, the leanest
/// of all, its name saying how many it held (gunicorn takes 1000 a worker).
fn leanest_idle(fig: &Figures, lang: Lang, kind: IdleKind) -> Option<(String, Estimate)> {
    let of_kind: Vec<_> = fig
        .idle
        .iter()
        .filter(|i| i.lang == lang && i.kind == kind)
        .collect();
    let held = |i: &&crate::verdict::figures::IdleFigures| {
        i.connections_open as f64 >= IDLE_HELD * i.connections_requested as f64
    };
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
            (name, i.bytes_per_connection)
        })
}

fn fmt_mem(e: &Estimate) -> String {
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

pub(super) fn k2(fig: &Figures) -> ClaimVerdict {
    let mut evidence = Vec::new();
    let failed: Vec<&str> = fig
        .scenario(Scenario::Io)
        .iter()
        .filter(|f| f.lang == Lang::Python && f.valid_points == 0 && f.total_points > 0)
        .map(|f| f.stack.as_str())
        .collect();
    let io = duel(
        fig,
        Scenario::Io,
        Lang::Node,
        Lang::Python,
        throughput,
        "req/s",
    );
    let node_io = fig
        .scenario(Scenario::Io)
        .iter()
        .any(|f| f.lang == Lang::Node && f.throughput_rps.is_some());
    if !failed.is_empty() {
        evidence.push(format!(
            "io: every point of {} failed (errors or timeouts at {} connections): it did not cope",
            failed.join(", "),
            fig.scenario(Scenario::Io)
                .iter()
                .find_map(|f| f.connections)
                .unwrap_or(0)
        ));
    }
    if let Some(d) = &io {
        evidence.push(d.line.clone());
    }
    let mut mem = Vec::new();
    for kind in [IdleKind::Http, IdleKind::Ws] {
        if let (Some(p), Some(n)) = (
            leanest_idle(fig, Lang::Python, kind),
            leanest_idle(fig, Lang::Node, kind),
        ) {
            let r = Ratio::of(&p.1, &n.1);
            evidence.push(format!(
                "idle {} connection: {} {} vs {} {} each → Python {}",
                kind.name(),
                p.0,
                fmt_mem(&p.1),
                n.0,
                fmt_mem(&n.1),
                fmt_ratio_ci(&r)
            ));
            mem.push(r);
        }
    }
    // Only failures on the Python side and nothing that coped: Node.js wins on io.
    let io_side = match &io {
        Some(d) => side(&d.ratio, K2_MUCH, K2_HARDLY, floor(fig, Family::Throughput)),
        None if !failed.is_empty() && node_io => Side::Above,
        None => {
            return not_enough(
                1,
                "needs io and idle for both a Node.js and a Python stack",
                "io,idle",
                evidence,
            );
        }
    };
    if mem.is_empty() {
        return not_enough(
            1,
            "needs idle connections measured for both a Node.js and a Python stack",
            "io,idle",
            evidence,
        );
    }
    if io_side == Side::Unjudged || mem.iter().any(|r| !r.judged) {
        return too_thin(1, "io,idle", evidence);
    }
    if io_side == Side::Wide {
        return too_wide(1, K2_MUCH, K2_HARDLY, "io,idle", evidence);
    }
    let mf = floor(fig, Family::Memory);
    let (v, because) = if io_side == Side::Above
        && mem.iter().all(|r| compare(r, mf) != Comparison::Lower)
    {
        (
            Verdict::Supported,
            "Node.js completes far more io requests, and Python needs no less memory per idle connection (a tie counts)"
                .to_string(),
        )
    } else if io_side == Side::Below && mem.iter().all(|r| r.high <= K2_MEMORY_CLOSE) {
        (
            Verdict::Refuted,
            "the best Python stack keeps up on io at a similar memory per connection".to_string(),
        )
    } else {
        (
            Verdict::Depends,
            "Node.js is not ahead on both io and memory per connection, nor level on both"
                .to_string(),
        )
    };
    verdict(1, v, because, evidence)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum InFlight {
    One,
    Few,
    Many,
    Failed,
}

pub(super) fn k3(fig: &Figures) -> ClaimVerdict {
    let mut evidence = Vec::new();
    let mut kinds = Vec::new();
    for f in fig
        .scenario(Scenario::Io)
        .iter()
        .filter(|f| f.lang == Lang::Python)
    {
        let info = fig.stacks.iter().find(|s| s.name == f.stack);
        let framework = info.map_or("", |s| s.framework.as_str());
        let w = f.workers.max(1) as f64;
        let conns = f.connections.unwrap_or(0);
        let Some(c) = f.concurrency_achieved else {
            if f.valid_points == 0 && f.total_points > 0 {
                evidence.push(format!(
                    "{} ({framework}): every io point failed at {conns} connections: it could not hold them",
                    f.stack
                ));
                kinds.push(InFlight::Failed);
            }
            continue;
        };
        let kind = if !c.has_interval() {
            None
        } else if c.high <= K3_ONE_AT_A_TIME * w {
            Some(InFlight::One)
        } else if c.low > K3_MANY * w && c.low >= K3_MANY_MIN {
            Some(InFlight::Many)
        } else {
            Some(InFlight::Few)
        };
        evidence.push(format!(
            "{} ({framework}): {} requests in flight of {conns} offered, {} worker process{} → {}",
            f.stack,
            if c.has_interval() {
                format!("{:.1} [{:.1}–{:.1}]", c.median, c.low, c.high)
            } else {
                format!("{:.1}", c.median)
            },
            f.workers.max(1),
            if f.workers > 1 { "es" } else { "" },
            match kind {
                Some(InFlight::One) => "one at a time per process",
                Some(InFlight::Many) => "many at once",
                Some(InFlight::Few) => "a few at once",
                _ => "no interval",
            }
        ));
        match kind {
            Some(k) => kinds.push(k),
            None => return too_thin(2, "io", evidence),
        }
    }
    if kinds.is_empty() {
        return not_enough(
            2,
            "io was not measured for any Python stack",
            "io",
            evidence,
        );
    }
    if kinds.iter().all(|k| *k == InFlight::Failed) {
        // Not coping is evidence for K2, but says nothing of how many
        // requests a process serves at once.
        let failed: Vec<&str> = fig
            .scenario(Scenario::Io)
            .iter()
            .filter(|f| f.lang == Lang::Python && f.concurrency_achieved.is_none())
            .map(|f| f.stack.as_str())
            .collect();
        let because = format!(
            "io was measured for {} but every point failed: how many requests a process serves at once was not seen",
            failed.join(", ")
        );
        return not_enough(2, &because, "io", evidence);
    }
    let all = |k: InFlight| kinds.iter().all(|x| *x == k);
    let (v, because) = if kinds
        .iter()
        .all(|k| matches!(k, InFlight::One | InFlight::Failed))
        && kinds.contains(&InFlight::One)
    {
        (
            Verdict::Supported,
            "every Python stack measured served about one request at a time per process",
        )
    } else if all(InFlight::Many) {
        (
            Verdict::Refuted,
            "every Python stack measured kept many requests in flight at once",
        )
    } else {
        (
            Verdict::Depends,
            "it depends on the deployment: see which stacks served one at a time and which many",
        )
    };
    verdict(2, v, because, evidence)
}

fn fmt_cores(e: &Option<Estimate>) -> String {
    match e {
        Some(e) if e.has_interval() => {
            format!("{:.2} cores [{:.2}–{:.2}]", e.median, e.low, e.high)
        }
        Some(e) => format!("{:.2} cores", e.median),
        None => "—".into(),
    }
}

pub(super) fn k4(fig: &Figures) -> ClaimVerdict {
    let mut evidence = Vec::new();
    for s in fig
        .scaling
        .iter()
        .filter(|s| matches!(s.lang, Lang::Python | Lang::Node | Lang::Rust))
    {
        let threads = fig
            .stacks
            .iter()
            .find(|i| i.name == s.stack)
            .and_then(|i| i.threads)
            .unwrap_or(1);
        let speed = match (&s.one, &s.many, &s.speedup) {
            (Some(a), Some(b), Some(r)) => format!(
                "; throughput {} → {} req/s ({}{})",
                fmt_int(a.median),
                fmt_int(b.median),
                fmt_ratio_ci(r),
                if s.shared_generator {
                    ", not judged: the servers shared the generator's cores"
                } else {
                    ""
                }
            ),
            _ => String::new(),
        };
        evidence.push(format!(
            "{} ({} {}, {threads} thread{} a process): 1 process {}, {} processes {}{speed}",
            s.stack,
            s.lang.label(),
            s.target,
            if threads == 1 { "" } else { "s" },
            fmt_cores(&s.cores_one),
            s.workers_n,
            fmt_cores(&s.cores_many),
        ));
    }
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
        evidence.push(format!("the servers had {} core(s)", fig.workers_cores));
        return not_enough(
            3,
            "the workers had fewer than 2 cores, so several cores cannot show; run on a machine with at least 2",
            "workers",
            evidence,
        );
    }
    evidence.push(format!(
        "every core ({}) was given to the servers; the generator ran on them too",
        fig.workers_cores
    ));
    let judged = |e: &Option<Estimate>| e.is_some_and(|e| e.has_interval());
    if py
        .iter()
        .any(|s| !judged(&s.cores_one) || !judged(&s.cores_many))
    {
        return too_thin(3, "workers", evidence);
    }
    let one_core =
        |s: &&crate::verdict::figures::Scaling| s.cores_one.is_some_and(|e| e.high <= K4_ONE_CORE);
    let one_multi =
        |s: &&crate::verdict::figures::Scaling| s.cores_one.is_some_and(|e| e.low >= K4_SEVERAL);
    let many_several =
        |s: &&crate::verdict::figures::Scaling| s.cores_many.is_some_and(|e| e.low >= K4_SEVERAL);
    let many_one =
        |s: &&crate::verdict::figures::Scaling| s.cores_many.is_some_and(|e| e.high <= K4_ONE_CORE);
    let control_scales = fig
        .scaling
        .iter()
        .filter(|s| s.lang != Lang::Python)
        .any(|s| s.cores_many.is_some_and(|e| e.low >= K4_SEVERAL));
    let control_measured = fig
        .scaling
        .iter()
        .any(|s| s.lang != Lang::Python && s.cores_many.is_some());
    if !control_measured && !py.iter().any(one_multi) && py.iter().all(many_one) {
        return not_enough(
            3,
            "no control (Node.js or Rust) was measured on workers: without one, a server that stays on one core cannot be told from a machine that lets it use only one",
            "workers",
            evidence,
        );
    }
    let (v, because) = if py.iter().any(one_multi) {
        (
            Verdict::Refuted,
            "one Python process used several cores".to_string(),
        )
    } else if py.iter().all(many_one) && control_scales {
        (
            Verdict::Supported,
            "no Python stack used more than about one core, even with several processes, while a control did"
                .to_string(),
        )
    } else if py.iter().any(|s| one_core(s) && many_several(s)) {
        (
            Verdict::Depends,
            "one Python process stays on about one core (the GIL holds its threads), but several worker processes use several cores"
                .to_string(),
        )
    } else {
        (
            Verdict::Depends,
            "the cores used do not fall clearly on one side".to_string(),
        )
    };
    verdict(3, v, because, evidence)
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
    let bracket = |c: &crate::verdict::figures::CapacityFigure| match c.high {
        Some(h) => format!("{}–{} {}", fmt_int(c.low), fmt_int(h), c.unit),
        None => format!("at least {} {} (a lower bound)", fmt_int(c.low), c.unit),
    };
    let low = match pc.high {
        Some(h) if h > 0.0 => nc.low / h,
        _ => 0.0,
    };
    let high = match nc.high {
        Some(h) if pc.low > 0.0 => h / pc.low,
        _ => f64::INFINITY,
    };
    let mut evidence = vec![format!(
        "ws-chat capacity at p99 < {} ms: {} {} vs {} {} → {}–{}",
        fig.slo_ms,
        n.stack,
        bracket(nc),
        p.stack,
        bracket(pc),
        crate::verdict::format::fmt_ratio(low),
        crate::verdict::format::fmt_ratio(high)
    )];
    // Cost per delivery at the same fixed load: Python's ÷ Node.js's, so
    // above 1 means Node.js does the same work for less CPU.
    let cost = match (n.cpu_us_per_req, p.cpu_us_per_req) {
        (Some(a), Some(b)) => {
            let r = Ratio::of(&b, &a);
            evidence.push(format!(
                "CPU per delivery at the same fixed load: {} {} vs {} {} → Python {}",
                n.stack,
                fmt_est(&a, "µs"),
                p.stack,
                fmt_est(&b, "µs"),
                fmt_ratio_ci(&r)
            ));
            Some(r)
        }
        _ => None,
    };
    let censored = nc.high.is_none() || pc.high.is_none();
    // A search's brackets are a step wide: a bracket ratio across 1.1× or
    // 1.3× (equal capacities give 0.8×–1.25×-like brackets) holds two
    // verdicts' values and decides nothing by itself.
    let wide = !(low > K7_HARDLY && high < K7_BETTER);
    let open = if censored {
        "capacity could not rank them (lower bounds)"
    } else {
        "the capacity brackets are too coarse to rank them"
    };
    let (v, because) = if low >= K7_BETTER {
        (
            Verdict::Supported,
            format!(
                "Node.js serves at least {K7_BETTER}× the clients, bracket and trials included"
            ),
        )
    } else if high <= K7_HARDLY {
        (
            Verdict::Refuted,
            format!("Node.js serves at most {K7_HARDLY}× the clients, or fewer"),
        )
    } else if censored || wide {
        // On one core, capacity follows the cost of a delivery, which every
        // stack was measured at alike (and far more finely than a search's steps).
        match cost.map(|r| (r, side(&r, K7_BETTER, K7_HARDLY, floor(fig, Family::Cpu)))) {
            Some((_, Side::Above)) => (
                Verdict::Supported,
                format!(
                    "{open}, and Node.js delivers a message for at least {K7_BETTER}× less CPU"
                ),
            ),
            Some((_, Side::Below)) => (
                Verdict::Refuted,
                format!(
                    "{open}, and Python delivers a message for at most {K7_HARDLY}× Node.js's CPU, or less"
                ),
            ),
            Some((_, Side::Between)) => (
                Verdict::Depends,
                format!(
                    "{open}, and the CPU cost of a delivery is not {K7_BETTER}× apart, nor within {K7_HARDLY}×"
                ),
            ),
            Some((_, Side::Wide)) => {
                return too_wide(6, K7_BETTER, K7_HARDLY, "ws-chat", evidence);
            }
            _ => {
                return not_enough(
                    6,
                    &format!("{open} and the CPU cost per delivery has no interval"),
                    "ws-chat --trials 3",
                    evidence,
                );
            }
        }
    } else {
        (
            Verdict::Depends,
            format!(
                "the capacity brackets do not put Node.js {K7_BETTER}× ahead, nor within {K7_HARDLY}×"
            ),
        )
    };
    verdict(6, v, because, evidence)
}

pub(super) fn k9(fig: &Figures) -> ClaimVerdict {
    let mut measures: Vec<(String, Ratio)> = Vec::new();
    let mut evidence = Vec::new();
    let kind_of = |kind: &str| match kind {
        "pss" => "Pss",
        "vmrss" => "VmRSS (smaps unreadable)",
        _ => "private pages + shared pages once",
    };
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
            measures.push((what, r));
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
    let at_rate = |lang: Lang| {
        fig.leanest(Scenario::Json, lang, |f| f.rss_fixed_bytes)
            .map(|(f, e)| (f.stack.clone(), e))
    };
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
    for kind in [IdleKind::Http, IdleKind::Ws] {
        push(
            format!("per idle {} connection", kind.name()),
            leanest_idle(fig, Lang::Python, kind),
            leanest_idle(fig, Lang::Node, kind),
        );
    }
    if measures.is_empty() {
        return not_enough(
            8,
            "no memory figures for both a Python and a Node.js stack",
            "json,idle",
            evidence,
        );
    }
    if measures.iter().any(|(_, r)| !r.judged) {
        return too_thin(8, "json,idle", evidence);
    }
    // Each measure's interval must lie wholly in one zone: "more" (at least
    // K9_MORE), "not more" (at most K9_NO_MORE) or between them. Depends is
    // settled by two measures in different zones, or one wholly between;
    // otherwise an interval across a threshold leaves the verdict open.
    let names = |zone: Side| -> Vec<&str> {
        measures
            .iter()
            .filter(|(_, r)| side(r, K9_MORE, K9_NO_MORE, 0.0) == zone)
            .map(|(w, _)| w.as_str())
            .collect()
    };
    let more = names(Side::Above);
    let not_more = names(Side::Below);
    let between = names(Side::Between);
    let wide = names(Side::Wide);
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
    } else if !wide.is_empty() {
        let what = format!("the interval of {}", wide.join("; "));
        return too_wide_named(8, &what, K9_MORE, K9_NO_MORE, "json,idle", evidence);
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
