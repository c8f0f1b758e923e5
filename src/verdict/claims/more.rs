//! The claims whose evidence is more than one throughput ratio: K2
//! (connections), K3 (requests in flight) and K4 (cores).

use crate::results::IdleKind;
use crate::scenario::Scenario;
use crate::stats::{Comparison, Estimate, compare};
use crate::verdict::figures::{Evidence, Family, Figures, Lang, Scaling, ScenarioFigures};
use crate::verdict::format::{fmt_int, fmt_ratio_ci};

use super::memory::{fmt_idle, idle_ratio, leanest_idle};
use super::{
    ClaimVerdict, Side, Verdict, duel, fmt_threshold, not_enough, rules::*, side, throughput,
    too_thin, too_wide, too_wide_named, verdict, within_floor,
};

fn floor(fig: &Figures, f: Family) -> f64 {
    fig.noise.floor(f)
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
            let r = idle_ratio(p.1, n.1);
            evidence.push(format!(
                "idle {} connection: {} {} vs {} {} each → Python {}",
                kind.name(),
                p.0,
                fmt_idle(p.1),
                n.0,
                fmt_idle(n.1),
                fmt_ratio_ci(&r)
            ));
            mem.push((kind.name(), r));
        }
    }
    let tf = floor(fig, Family::Throughput);
    // Only failures on the Python side and nothing that coped: Node.js wins on io.
    let io_side = match &io {
        Some(d) => side(&d.ratio, K2_MUCH, K2_HARDLY, tf),
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
    // An io lead wholly between the thresholds is depends whatever the
    // memory reads: a memory ratio without an interval leaves it standing.
    if io_side == Side::Unjudged || (io_side != Side::Between && mem.iter().any(|(_, r)| !r.judged))
    {
        return too_thin(1, "io,idle", evidence);
    }
    match io_side {
        Side::Wide => return too_wide(1, K2_MUCH, K2_HARDLY, "io,idle", evidence),
        Side::Floor => return within_floor(1, "Node.js's io lead", tf, "io,idle", evidence),
        _ => {}
    }
    // Memory per idle connection, judged against the idle connections' own
    // noise: "no less" needs the whole interval at or above 1/(1 + floor).
    let mf = floor(fig, Family::Idle);
    let no_less = 1.0 / (1.0 + mf);
    let kinds = |want: &dyn Fn(&crate::stats::Ratio) -> bool| -> String {
        mem.iter()
            .filter(|(_, r)| want(r))
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let all = |want: &dyn Fn(&crate::stats::Ratio) -> bool| mem.iter().all(|(_, r)| want(r));
    let any = |want: &dyn Fn(&crate::stats::Ratio) -> bool| mem.iter().any(|(_, r)| want(r));
    let less = |r: &crate::stats::Ratio| compare(r, mf) == Comparison::Lower;
    let close = |r: &crate::stats::Ratio| r.high <= K2_MEMORY_CLOSE;
    let far =
        |r: &crate::stats::Ratio| side(r, K2_MEMORY_CLOSE, K2_MEMORY_CLOSE, mf) == Side::Above;
    let (v, because) = match io_side {
        Side::Above if all(&|r| r.low >= no_less) => (
            Verdict::Supported,
            "Node.js completes far more io requests, and Python needs no less memory per idle connection (whole interval; a tie within the noise floor counts)"
                .to_string(),
        ),
        Side::Above if any(&less) => (
            Verdict::Depends,
            format!(
                "Node.js completes far more io requests, but Python needs less memory per idle {} connection, beyond the noise floor",
                kinds(&less)
            ),
        ),
        Side::Above => {
            let what = format!(
                "the interval of Python's memory per idle {} connection",
                kinds(&|r| r.low < no_less)
            );
            return too_wide_named(1, &what, no_less, no_less, "io,idle", evidence);
        }
        Side::Below if all(&close) => (
            Verdict::Refuted,
            format!(
                "the best Python stack keeps up on io (at most {K2_HARDLY}× behind, whole interval) and needs at most {K2_MEMORY_CLOSE}× Node.js's memory per idle connection{}",
                if all(&less) {
                    " (less than Node.js's, beyond the noise floor)"
                } else {
                    ""
                }
            ),
        ),
        Side::Below if any(&far) => (
            Verdict::Depends,
            format!(
                "the best Python stack keeps up on io, but needs more than {K2_MEMORY_CLOSE}× Node.js's memory per idle {} connection",
                kinds(&far)
            ),
        ),
        Side::Below => {
            let what = format!(
                "the interval of Python's memory per idle {} connection",
                kinds(&|r| !close(r))
            );
            return too_wide_named(
                1,
                &what,
                K2_MEMORY_CLOSE,
                K2_MEMORY_CLOSE,
                "io,idle",
                evidence,
            );
        }
        _ => (
            Verdict::Depends,
            format!(
                "Node.js's io lead lies wholly between {K2_HARDLY}× and {K2_MUCH}×: neither far ahead nor level"
            ),
        ),
    };
    verdict(1, v, because, evidence)
}

/// How many requests a Python stack served at once, for K3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InFlight {
    /// Whole interval at or below 1.2 per process.
    One,
    /// Whole interval above 1.2 per process.
    More,
    /// Across 1.2 per process (or only a lower bound below it).
    Wide,
    /// No interval.
    Unjudged,
    /// Every io point failed, or the figure is flagged: does not count.
    Uncounted,
}

fn in_flight(c: &Estimate, ev: Evidence, workers: u32) -> InFlight {
    let per = K3_ONE_AT_A_TIME * f64::from(workers.max(1));
    if ev == Evidence::Doubtful {
        InFlight::Uncounted
    } else if !c.has_interval() {
        InFlight::Unjudged
    } else if c.low > per {
        InFlight::More
    } else if c.high <= per && ev == Evidence::Clean {
        InFlight::One
    } else {
        // Across the threshold, or a generator-bound lower bound below it.
        InFlight::Wide
    }
}

fn fmt_in_flight(c: &Estimate) -> String {
    if c.has_interval() {
        format!("{:.1} [{:.1}–{:.1}]", c.median, c.low, c.high)
    } else {
        format!("{:.1}", c.median)
    }
}

pub(super) fn k3(fig: &Figures) -> ClaimVerdict {
    let mut evidence = Vec::new();
    let mut seen: Vec<(&ScenarioFigures, InFlight)> = Vec::new();
    for f in fig
        .scenario(Scenario::Io)
        .iter()
        .filter(|f| f.lang == Lang::Python)
    {
        let info = fig.stacks.iter().find(|s| s.name == f.stack);
        let framework = info.map_or("", |s| s.framework.as_str());
        let w = f.workers.max(1);
        let deployment = format!(
            "{framework}, {w} process{} × {}",
            if w > 1 { "es" } else { "" },
            match info.and_then(|s| s.threads) {
                Some(1) => "1 thread".to_string(),
                Some(t) => format!("{t} threads, up to {} at once", t * w),
                None => "threads not recorded".to_string(),
            }
        );
        let conns = f.connections.unwrap_or(0);
        let Some(c) = f.concurrency_achieved else {
            if f.valid_points == 0 && f.total_points > 0 {
                evidence.push(format!(
                    "{} ({deployment}): every io point failed at {conns} connections: it could not hold them (does not count)",
                    f.stack
                ));
                seen.push((f, InFlight::Uncounted));
            }
            continue;
        };
        let kind = in_flight(&c, f.throughput_evidence, w);
        evidence.push(format!(
            "{} ({deployment}): {} requests in flight of {conns} offered{} → {}",
            f.stack,
            fmt_in_flight(&c),
            match f.throughput_evidence {
                Evidence::Clean => "",
                Evidence::AtLeast => " (generator-bound: a lower bound)",
                Evidence::Doubtful => " (flagged: not evidence)",
            },
            match kind {
                InFlight::One => "one at a time per process".to_string(),
                InFlight::More => "more than one at a time".to_string(),
                InFlight::Wide => format!(
                    "reaches across {} per process",
                    fmt_threshold(K3_ONE_AT_A_TIME)
                ),
                InFlight::Unjudged => "no interval".to_string(),
                InFlight::Uncounted => "does not count".to_string(),
            }
        ));
        seen.push((f, kind));
    }
    if seen.is_empty() {
        return not_enough(
            2,
            "io was not measured for any Python stack",
            "io",
            evidence,
        );
    }
    let names = |k: InFlight| -> Vec<String> {
        seen.iter()
            .filter(|(_, x)| *x == k)
            .map(|(f, _)| match &f.concurrency_achieved {
                Some(c) => format!("{} {}", f.stack, fmt_in_flight(c)),
                None => f.stack.clone(),
            })
            .collect()
    };
    let counted: Vec<InFlight> = seen
        .iter()
        .map(|(_, k)| *k)
        .filter(|k| *k != InFlight::Uncounted)
        .collect();
    if counted.is_empty() {
        // Not coping is evidence for K2, but says nothing of how many
        // requests a process serves at once; a flagged figure is no evidence.
        let because = format!(
            "io was measured for {} but every point failed or is flagged: how many requests a process serves at once was not seen",
            names(InFlight::Uncounted).join(", ")
        );
        return not_enough(2, &because, "io", evidence);
    }
    let (one, more) = (names(InFlight::One), names(InFlight::More));
    let (v, because) = if !one.is_empty() && !more.is_empty() {
        (
            Verdict::Depends,
            format!(
                "it depends on the deployment: {} served one at a time per process, {} more than one at a time (requests in flight)",
                one.join(", "),
                more.join(", ")
            ),
        )
    } else if counted.contains(&InFlight::Unjudged) {
        return too_thin(2, "io", evidence);
    } else if counted.contains(&InFlight::Wide) {
        let mut v = verdict(
            2,
            Verdict::NotEnoughEvidence,
            format!(
                "the requests in flight of {} reach across {} per process: one at a time or more cannot be told apart; more trials narrow it",
                names(InFlight::Wide).join(", "),
                fmt_threshold(K3_ONE_AT_A_TIME)
            ),
            evidence,
        );
        v.to_run = Some("ringside run --scenarios io --trials 5".into());
        return v;
    } else if more.is_empty() {
        (
            Verdict::Supported,
            format!(
                "every Python stack that counts served about one request at a time per process (requests in flight: {})",
                one.join(", ")
            ),
        )
    } else {
        (
            Verdict::Refuted,
            format!(
                "every Python stack that counts served more than one request at a time per process (requests in flight: {})",
                more.join(", ")
            ),
        )
    };
    verdict(2, v, because, evidence)
}

pub(super) fn k4(fig: &Figures) -> ClaimVerdict {
    let info = |stack: &str| fig.stacks.iter().find(|i| i.name == stack);
    // Threads a process, as recorded (older files: not recorded).
    let threads = |stack: &str| info(stack).and_then(|i| i.threads);
    let mut evidence = Vec::new();
    for s in &fig.scaling {
        let t = match threads(&s.stack) {
            Some(1) => "1 thread a process".to_string(),
            Some(t) => format!("{t} threads a process"),
            None => "threads not recorded".to_string(),
        };
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
        let lang = match (s.lang, info(&s.stack)) {
            (Lang::OtherJs, Some(i)) if !i.runtime.is_empty() => {
                format!("JavaScript on {}", i.runtime)
            }
            (l, _) => l.label().to_string(),
        };
        // Workers that are one process's threads (a free-threaded Python).
        let (one, many) = if info(&s.stack).is_some_and(|i| i.worker_threads) {
            ("1 worker thread", "worker threads of one process")
        } else {
            ("1 process", "processes")
        };
        evidence.push(format!(
            "{} ({lang} {}, {t}{}): {one} {}, {} {many} {}{speed}",
            s.stack,
            s.target,
            if s.lang == Lang::Python {
                ""
            } else {
                "; a control"
            },
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
    // A Python figure without an interval holds the claim open only if some
    // value of it could change the verdict (python-fastapi's two processes
    // too noisy while python-flask's threads already decide it).
    let mut unknowns: Vec<(usize, bool, String)> = Vec::new();
    for (i, s) in py.iter().enumerate() {
        if !judged(&s.cores_one) {
            unknowns.push((i, false, format!("{} at 1 worker", s.stack)));
        }
        if !judged(&s.cores_many) {
            unknowns.push((i, true, format!("{} at {} workers", s.stack, s.workers_n)));
        }
    }
    if unknowns.is_empty() {
        return k4_rule(fig, &py, evidence);
    }
    let with = |values: Option<&[f64]>| -> Vec<Scaling> {
        let mut out: Vec<Scaling> = py.iter().map(|s| (*s).clone()).collect();
        for (k, (i, many, _)) in unknowns.iter().enumerate() {
            let e = values.and_then(|v| Estimate::of(&[v[k]], None));
            if *many {
                out[*i].cores_many = e;
            } else {
                out[*i].cores_one = e;
            }
        }
        out
    };
    let rule_of = |ss: &[Scaling]| k4_rule(fig, &ss.iter().collect::<Vec<_>>(), evidence.clone());
    let values = super::unknowns::around(K4_ONE_CORE, K4_SEVERAL);
    let settled =
        super::unknowns::settled(unknowns.len(), &values, |v| rule_of(&with(Some(v))).verdict);
    // Read with the missing figures left out: every clause of the reason
    // then rests on figures with an interval.
    let mut v = rule_of(&with(None));
    if settled != Some(v.verdict) || v.verdict == Verdict::NotEnoughEvidence {
        return too_thin(3, "workers", evidence);
    }
    let names: Vec<&str> = unknowns.iter().map(|u| u.2.as_str()).collect();
    v.because = format!(
        "{} (the cores of {} have no interval, but no value of them would change this)",
        v.because,
        names.join(" and ")
    );
    v
}

/// K4's rule on the Python stacks `py`, every figure read with its interval
/// (a figure without one satisfies no condition).
fn k4_rule(fig: &Figures, py: &[&Scaling], evidence: Vec<String>) -> ClaimVerdict {
    let info = |stack: &str| fig.stacks.iter().find(|i| i.name == stack);
    let threads = |stack: &str| info(stack).and_then(|i| i.threads);
    type S = Scaling;
    let one_core = |s: &&S| s.cores_one.is_some_and(|e| e.high <= K4_ONE_CORE);
    // One process: a single worker, or N workers that are one process's threads.
    let one_multi = |s: &&S| {
        s.cores_one.is_some_and(|e| e.low >= K4_SEVERAL)
            || (info(&s.stack).is_some_and(|i| i.worker_threads)
                && s.cores_many.is_some_and(|e| e.low >= K4_SEVERAL))
    };
    let many_several = |s: &&S| s.cores_many.is_some_and(|e| e.low >= K4_SEVERAL);
    let many_one = |s: &&S| s.cores_many.is_some_and(|e| e.high <= K4_ONE_CORE);
    let threaded = |s: &&S| threads(&s.stack).is_some_and(|t| t > 1);
    // Controls: every stack that is not Python (Node.js, Bun, Deno, Rust).
    let controls: Vec<&S> = fig
        .scaling
        .iter()
        .filter(|s| s.lang != Lang::Python)
        .collect();
    let control_scales = controls.iter().any(many_several);
    let control_measured = controls.iter().any(|s| s.cores_many.is_some());
    if !control_measured && !py.iter().any(one_multi) && py.iter().all(many_one) {
        return not_enough(
            3,
            "no control (Node.js, Bun, Deno or Rust) was measured on workers: without one, a server that stays on one core cannot be told from a machine that lets it use only one",
            "workers",
            evidence,
        );
    }
    let named = |pick: &dyn Fn(&&S) -> bool| -> String {
        py.iter()
            .filter(|s| pick(s))
            .map(|s| s.stack.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let gil = |s: &&S| threaded(s) && one_core(s) && many_several(s);
    let (v, because) = if py.iter().any(one_multi) {
        (
            Verdict::Refuted,
            format!(
                "one Python process used at least {K4_SEVERAL} cores (whole interval): {}",
                named(&one_multi)
            ),
        )
    } else if py.iter().all(many_one) && control_scales {
        (
            Verdict::Supported,
            format!(
                "no Python stack used more than {K4_ONE_CORE} cores, even with several processes (whole interval), while a control used at least {K4_SEVERAL}"
            ),
        )
    } else if py.iter().any(gil) {
        (
            Verdict::Depends,
            format!(
                "one process of a threaded Python deployment ({}) stays on about one core (the GIL holds its threads), but several worker processes use several cores",
                named(&gil)
            ),
        )
    } else {
        let one_thread = |s: &&S| one_core(s) && many_several(s);
        let (because, to_run) = if py.iter().any(one_thread) {
            (
                format!(
                    "{}: one process stayed on about one core and several used several, but none runs more than one thread a process (as recorded): a one-thread process on one core says nothing of the GIL, which only a threaded deployment can show",
                    named(&one_thread)
                ),
                // The default run adds a threaded Python deployment to workers.
                "ringside run --scenarios workers",
            )
        } else if py.iter().all(many_one) {
            (
                format!(
                    "no Python stack left one core, but no control used {K4_SEVERAL} cores either: the machine, not the GIL, may be the limit"
                ),
                "ringside run --scenarios workers --trials 5",
            )
        } else {
            (
                format!(
                    "the cores used reach across {K4_ONE_CORE} or {K4_SEVERAL}, or lie between: none of the rule's conditions holds over the whole intervals; more trials narrow them"
                ),
                "ringside run --scenarios workers --trials 5",
            )
        };
        let mut v = verdict(3, Verdict::NotEnoughEvidence, because, evidence);
        v.to_run = Some(to_run.into());
        return v;
    };
    verdict(3, v, because, evidence)
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
