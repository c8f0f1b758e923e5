//! Cases that pin what the boundary tables leave loose, each found by
//! cargo-mutants (see docs/mutants.md): exact vectors of the ratio of
//! ratios and of the capacity bracket, failed stacks on K2, the words and
//! evidence lines each rule prints (the deployment, the flags, the memory
//! kind, which measure sits in which zone), and the ledger's own text.

use super::fixture::*;
use crate::db::DbKind;
use crate::results::IdleKind;
use crate::scenario::Scenario::*;
use crate::stats::interval::t_quantile;
use crate::stats::{Estimate, Ratio};
use crate::verdict::claims::Verdict::{self, *};
use crate::verdict::claims::{CLAIMS, fmt_threshold, ledger_markdown, ratio_of};
use crate::verdict::figures::{Evidence, Figures, ScenarioFigures};

const MB: f64 = 1048576.0;

fn line<'a>(c: &'a crate::verdict::claims::ClaimVerdict, starts: &str) -> &'a str {
    c.evidence
        .iter()
        .find(|e| e.starts_with(starts))
        .unwrap_or_else(|| panic!("no line starting {starts:?} in {:?}", c.evidence))
}

#[test]
fn labels_thresholds_and_the_readme_block() {
    let labels: Vec<&str> = [Supported, Refuted, Depends, NotEnoughEvidence]
        .iter()
        .map(|v: &Verdict| v.label())
        .collect();
    assert_eq!(
        labels,
        ["supported", "refuted", "depends", "not enough evidence"]
    );
    let t: Vec<String> = [1.5, 1.1, 1.25, 1.0, 1.0 / 1.2, 0.8]
        .into_iter()
        .map(fmt_threshold)
        .collect();
    assert_eq!(t, ["1.5", "1.1", "1.25", "1", "0.83", "0.8"]);
    // The rule texts carry their thresholds as `1.25×`.
    assert!(CLAIMS[7].rule.contains("1.25×"), "{}", CLAIMS[7].rule);
    let md = ledger_markdown();
    for c in CLAIMS.iter() {
        assert!(md.contains(&format!("- **{} {}.**", c.id, c.claim)), "{md}");
        assert!(md.contains(&c.rule), "{}", c.id);
        assert!(md.contains(c.articles), "{}", c.id);
    }
}

/// The ratio of ratios on exact vectors: Welch's degrees of freedom, the
/// interval of two equal ratios, and each open end.
#[test]
fn ratio_of_exact_vectors() {
    // Two ratios of no width: degrees of freedom added, no width.
    let q = ratio_of(&ratio(2.0, 2.0, 2.0), &ratio(1.0, 1.0, 1.0));
    assert_eq!((q.low, q.value, q.high, q.df), (2.0, 2.0, 2.0, 20.0));
    // Two equal ratios [1–4] of 10 df each: 20 df, the quotient's interval
    // √2 × t(20)/t(10) wider on the log scale than each half.
    let a = ratio(1.0, 2.0, 4.0);
    let q = ratio_of(&a, &a);
    let h = t_quantile(20.0) * std::f64::consts::SQRT_2 * 2f64.ln() / t_quantile(10.0);
    assert!((q.df - 20.0).abs() < 1e-9, "{q:?}");
    assert!((q.low - (-h).exp()).abs() < 1e-12, "{q:?}");
    assert!((q.high - h.exp()).abs() < 1e-12, "{q:?}");
    assert_eq!(q.value, 1.0);
    // Against a figure of no width, the other's interval and df.
    let q = ratio_of(&ratio(1.5, 2.0, 3.0), &ratio(2.0, 2.0, 2.0));
    assert!((q.low - 0.75).abs() < 1e-12 && (q.high - 1.5).abs() < 1e-12);
    assert!((q.df - 10.0).abs() < 1e-9, "{q:?}");
    // An open top: the bottom is a.low ÷ b.high exactly.
    let q = ratio_of(&ratio(2.0, 3.0, f64::INFINITY), &ratio(1.0, 1.5, 2.0));
    assert_eq!((q.low, q.value), (1.0, 2.0));
    assert!(q.high.is_infinite() && q.judged);
    // An open bottom: the top is a.high ÷ b.low exactly.
    let q = ratio_of(&ratio(0.0, 3.0, 8.0), &ratio(2.0, 2.5, 4.0));
    assert_eq!((q.low, q.value, q.high), (0.0, 1.2, 4.0));
    // Either unjudged: unjudged.
    let thin = Ratio {
        judged: false,
        ..ratio(2.0, 2.0, 2.0)
    };
    assert!(!ratio_of(&ratio(1.0, 2.0, 3.0), &thin).judged);
    assert!(!ratio_of(&thin, &ratio(1.0, 2.0, 3.0)).judged);
}

/// K8's ratio of the gaps ending exactly at 1×: touching 1× is not below
/// it (json's gap a lower bound, so the quotient is exactly 2 ÷ 2.5 at
/// most, 0 at least): "not shown"; a db interval wholly below json's lower
/// bound: "shrinks".
#[test]
fn k8_says_the_gap_shrank_only_when_the_whole_ratio_is_below_one() {
    let mut fig = figures();
    thr(&mut fig, "node", Json, exact(2500.0));
    thr(&mut fig, "py", Json, exact(1000.0));
    for f in fig.scenarios.get_mut(&Json).unwrap() {
        if f.stack == "node" {
            f.throughput_evidence = Evidence::AtLeast;
        }
    }
    thr(&mut fig, "node", Db, exact(2500.0));
    thr(&mut fig, "py", Db, exact(1000.0));
    let c = expect(&fig, "K8", Refuted, &["is not shown"]);
    assert!(
        c.evidence.iter().any(|e| e.contains("1.00× [0.00–1.00×]")),
        "{:?}",
        c.evidence
    );
    // A hair lower: wholly below 1×.
    let mut fig2 = fig.clone();
    for f in fig2.scenarios.get_mut(&Db).unwrap() {
        if f.stack == "node" {
            f.throughput_rps = Some(exact(2499.0));
        }
    }
    expect(&fig2, "K8", Refuted, &["it shrank from json's"]);
}

#[test]
fn duel_lines_tag_only_flagged_figures_and_name_the_database() {
    let mut fig = figures();
    gap(&mut fig, Json, 2.0, 2.5, 3.0);
    let c = claim(&fig, "K1");
    assert!(!line(&c, "json: node").contains('('), "{:?}", c.evidence);
    for f in fig.scenarios.get_mut(&Json).unwrap() {
        if f.stack == "node" {
            f.throughput_evidence = Evidence::AtLeast;
        }
    }
    let c = claim(&fig, "K1");
    assert!(
        line(&c, "json: node").contains("(generator-bound: a lower bound) vs py"),
        "{:?}",
        c.evidence
    );
    // PostgreSQL by name, wherever a database scenario is named.
    let mut fig = with_floor(figures(), 0.0);
    gap(&mut fig, Json, 7.0, 7.4, 7.8);
    gap(&mut fig, Db, 6.8, 7.0, 7.2);
    fig.db = DbKind::Postgres;
    let c = expect(&fig, "K8", Refuted, &["db (PostgreSQL)"]);
    assert!(line(&c, "db (PostgreSQL): node").contains("vs py"));
}

/// Capacity ratios on exact vectors: the low end of Node.js's interval
/// (its lower figure) over the high end of Python's (its upper figure), the
/// high end of Node.js's over the low end of Python's; the value from the
/// figures' medians.
#[test]
fn capacity_ratio_exact_vectors() {
    let cap = |median: f64, low: f64, high: Option<f64>, trials: usize| {
        let mut c = capacity(low, high, trials);
        c.lower = c.lower.map(|e| Estimate { median, ..e });
        c
    };
    let r = cap(1300.0, 1300.0, Some(1600.0), 3).ratio_to(&cap(800.0, 800.0, Some(1000.0), 3));
    assert_eq!((r.low, r.value, r.high), (1.3, 1.625, 2.0));
    assert!(r.judged);
    // Judged when both figures have an interval (measured noise, or two
    // trials on each side); not otherwise.
    let n = |t, i| capacity_with(1300.0, Some(1600.0), t, i);
    let p = |t, i| capacity_with(800.0, Some(1000.0), t, i);
    for (nt, ni, pt, pi, want) in [
        (3, true, 3, true, true),
        (1, true, 1, true, true),
        (3, true, 1, false, false),
        (1, false, 3, true, false),
        (1, false, 1, false, false),
    ] {
        assert_eq!(
            n(nt, ni).ratio_to(&p(pt, pi)).judged,
            want,
            "{nt} {ni} {pt} {pi}"
        );
    }
    // An open end stays open: Node.js a lower bound leaves the top open.
    let r = capacity(1300.0, None, 3).ratio_to(&cap(800.0, 800.0, Some(1000.0), 3));
    assert_eq!(r.low, 1.3, "{r:?}");
    assert!(r.high.is_infinite(), "{r:?}");
    // Python failed at every step (all zero): Node.js's bracket over
    // nothing is open above, and nothing is divided by zero.
    let r = cap(100.0, 100.0, Some(200.0), 3).ratio_to(&cap(0.0, 0.0, Some(0.0), 3));
    assert_eq!(r.low, 0.0, "{r:?}");
    assert!(r.high.is_infinite() && r.value.is_infinite(), "{r:?}");
    // Both failed at every step: still no 0 ÷ 0.
    let r = cap(0.0, 0.0, Some(0.0), 3).ratio_to(&cap(0.0, 0.0, Some(100.0), 3));
    assert_eq!(r.low, 0.0, "{r:?}");
    assert!(r.high.is_infinite() && r.value.is_infinite(), "{r:?}");
}

fn k7(node: (f64, Option<f64>), py: (f64, Option<f64>)) -> Figures {
    let mut fig = figures();
    for (name, (lo, hi)) in [("node", node), ("py", py)] {
        push(
            &mut fig,
            ScenarioFigures {
                capacity: Some(capacity(lo, hi, 3)),
                ..sf(name, WsChat)
            },
        );
    }
    fig
}

#[test]
fn k7_says_whether_the_bracket_is_open_or_coarse() {
    let open = k7((1000.0, None), (1000.0, Some(1200.0)));
    expect(
        &open,
        "K7",
        NotEnoughEvidence,
        &["open where a search gave only a lower bound"],
    );
    let closed = k7((1000.0, Some(1500.0)), (1000.0, Some(1200.0)));
    let c = expect(
        &closed,
        "K7",
        NotEnoughEvidence,
        &["the capacity interval (the trials' bracket midpoints) reaches across 1.1× or 1.3×"],
    );
    assert_eq!(
        c.evidence,
        [
            "ws-chat capacity at p99 < 100 ms: node 1,000 [1,000–1,500] clients (3 trials) vs py 1,000 [1,000–1,200] clients (3 trials) → 1.00× [0.83–1.50×]"
        ]
    );
}

/// A figure without an interval gives the ratio's value and says so, never
/// `0.00×–∞×` (the default runs of stop 30 printed that for python-fastapi's
/// too-noisy capacity).
#[test]
fn k7_without_an_interval_prints_the_ratio_and_no_interval() {
    let mut fig = figures();
    for (name, (lo, hi), interval) in [
        ("node", (3000.0, Some(3300.0)), true),
        ("py", (1000.0, Some(1100.0)), false),
    ] {
        push(
            &mut fig,
            ScenarioFigures {
                capacity: Some(capacity_with(lo, hi, 3, interval)),
                ..sf(name, WsChat)
            },
        );
    }
    let k = expect(&fig, "K7", NotEnoughEvidence, &[]);
    assert!(
        k.evidence[0].ends_with("→ 3.00× (no interval)"),
        "{}",
        k.evidence[0]
    );
    assert!(!k.evidence[0].contains('∞'), "{}", k.evidence[0]);
}

fn io_fig(stack: &str, thr_rps: Option<f64>, valid: usize, total: usize) -> ScenarioFigures {
    ScenarioFigures {
        throughput_rps: thr_rps.map(exact),
        valid_points: valid,
        total_points: total,
        ..sf(stack, Io)
    }
}

fn with_idle(mut fig: Figures) -> Figures {
    idle(
        &mut fig,
        "py",
        IdleKind::Http,
        est(1.2e4, 1.1e4, 1.3e4),
        true,
    );
    idle(&mut fig, "node", IdleKind::Http, exact(1e4), true);
    fig
}

const FAILED: &str =
    "io: every point of py-broken failed (errors or timeouts at 256 connections): it did not cope";

/// K2: a Python stack that failed every io point did not cope — evidence
/// for Node.js when a Node.js stack served io; a stack never measured, or
/// measured and valid, did not fail.
#[test]
fn k2_failed_python_stacks() {
    // Only Node.js served io; the Python stack failed every point.
    let mut fig = figures();
    push(&mut fig, io_fig("node", Some(3000.0), 3, 3));
    push(&mut fig, io_fig("py-broken", None, 0, 3));
    let c = expect(&with_idle(fig), "K2", Supported, &["no less memory"]);
    assert!(c.evidence.iter().any(|e| e == FAILED), "{:?}", c.evidence);
    // Beside a Python stack that coped, only the failed one is named.
    let mut fig = figures();
    push(&mut fig, io_fig("node", Some(3000.0), 3, 3));
    push(&mut fig, io_fig("py-ok", Some(1000.0), 3, 3));
    push(&mut fig, io_fig("py-broken", None, 0, 3));
    let c = expect(&with_idle(fig), "K2", Supported, &[]);
    assert!(c.evidence.iter().any(|e| e == FAILED), "{:?}", c.evidence);
    // Node.js failed too: nothing coped, nothing shown.
    let mut fig = figures();
    push(&mut fig, io_fig("node", None, 0, 3));
    push(&mut fig, io_fig("py-broken", None, 0, 3));
    let c = expect(
        &with_idle(fig),
        "K2",
        NotEnoughEvidence,
        &["needs io and idle"],
    );
    assert!(c.evidence.iter().any(|e| e == FAILED), "{:?}", c.evidence);
    // A Python stack with no point measured, or no figure but valid points,
    // did not fail.
    for (valid, total) in [(0, 0), (3, 3)] {
        let mut fig = figures();
        push(&mut fig, io_fig("node", Some(3000.0), 3, 3));
        push(&mut fig, io_fig("py-broken", None, valid, total));
        let c = expect(
            &with_idle(fig),
            "K2",
            NotEnoughEvidence,
            &["needs io and idle"],
        );
        assert!(!c.evidence.iter().any(|e| e.contains("failed")), "{c:?}");
    }
    // No io at all.
    expect(
        &with_idle(figures()),
        "K2",
        NotEnoughEvidence,
        &["needs io and idle"],
    );
}

#[test]
fn k2_one_trial_io_or_memory_is_too_thin() {
    let mut fig = figures();
    thr(&mut fig, "node", Io, single(3000.0));
    thr(&mut fig, "py", Io, single(1000.0));
    expect(&with_idle(fig), "K2", NotEnoughEvidence, &["no interval"]);
    let mut fig = figures();
    gap(&mut fig, Io, 2.0, 3.0, 4.0);
    idle(&mut fig, "py", IdleKind::Http, single(1.2e4), true);
    idle(&mut fig, "node", IdleKind::Http, exact(1e4), true);
    expect(&fig, "K2", NotEnoughEvidence, &["no interval"]);
}

/// K3's evidence names each stack's own deployment: its framework, its
/// processes and threads.
#[test]
fn k3_lines_name_each_deployment() {
    let mut fig = figures();
    for (name, c, threads) in [
        ("py-flask", est(3.8, 3.6, 3.9), Some(4)),
        ("py-fastapi", est(139.6, 120.0, 150.0), Some(1)),
        ("py-old", est(5.0, 4.0, 6.0), None),
    ] {
        stack(&mut fig, name, threads);
        push(
            &mut fig,
            ScenarioFigures {
                concurrency_achieved: Some(c),
                throughput_rps: Some(exact(c.median * 20.0)),
                workers: if name == "py-old" { 2 } else { 1 },
                ..sf(name, Io)
            },
        );
    }
    let c = expect(&fig, "K3", Refuted, &[]);
    assert_eq!(
        c.evidence,
        [
            "py-flask (py-flask-framework, 1 process × 4 threads, up to 4 at once): 3.8 [3.6–3.9] requests in flight of 256 offered → more than one at a time",
            "py-fastapi (py-fastapi-framework, 1 process × 1 thread): 139.6 [120.0–150.0] requests in flight of 256 offered → more than one at a time",
            "py-old (py-old-framework, 2 processes × threads not recorded): 5.0 [4.0–6.0] requests in flight of 256 offered → more than one at a time",
        ]
    );
}

/// A Python io figure without requests in flight counts only when every
/// point failed; one never measured, or with valid points, is not seen.
#[test]
fn k3_a_figure_without_requests_in_flight_counts_only_when_it_failed() {
    for (valid, total) in [(0, 0), (3, 3)] {
        let mut fig = figures();
        push(&mut fig, io_fig("py-old", None, valid, total));
        let c = expect(&fig, "K3", NotEnoughEvidence, &["io was not measured"]);
        assert!(c.evidence.is_empty(), "{c:?}");
    }
}

/// K4: one process and N, `one`/`many` cores `(low, high)`; a Bun control.
fn k4(threads: u32, one: (f64, f64), many: (f64, f64), control: bool) -> Figures {
    let mut fig = figures();
    let e = |(lo, hi): (f64, f64)| est((lo + hi) / 2.0, lo, hi);
    scaling(&mut fig, "py-flask", threads, e(one), e(many));
    if control {
        scaling(&mut fig, "bun-http", 1, e((0.9, 1.1)), e((1.7, 1.9)));
    }
    fig
}

#[test]
fn k4_lines_name_cores_throughput_and_controls() {
    let mut fig = k4(4, (0.9, 1.1), (0.9, 1.1), true);
    fig.scaling[0].one = Some(exact(1000.0));
    fig.scaling[0].many = Some(exact(1800.0));
    fig.scaling[0].speedup = Some(ratio(1.7, 1.8, 1.9));
    let c = expect(&fig, "K4", Supported, &[]);
    assert_eq!(
        line(&c, "py-flask"),
        "py-flask (Python /cpu, 4 threads a process): 1 process 1.00 cores [0.90–1.10], 2 processes 1.00 cores [0.90–1.10]; throughput 1,000 → 1,800 req/s (1.80× [1.70–1.90×], not judged: the servers shared the generator's cores)"
    );
    assert_eq!(
        line(&c, "bun-http"),
        "bun-http (JavaScript on bun /cpu, 1 thread a process; a control): 1 process 1.00 cores [0.90–1.10], 2 processes 1.80 cores [1.70–1.90]"
    );
    // A JavaScript runtime not recorded: the language alone.
    let mut fig = k4(4, (0.9, 1.1), (0.9, 1.1), true);
    for s in &mut fig.stacks {
        s.runtime.clear();
    }
    let c = claim(&fig, "K4");
    assert!(
        line(&c, "bun-http")
            .starts_with("bun-http (JavaScript /cpu, 1 thread a process; a control)"),
        "{:?}",
        c.evidence
    );
    // One trial: the cores without an interval.
    let mut thin = k4(4, (0.9, 1.1), (0.9, 1.1), true);
    thin.scaling[0].cores_one = Some(single(1.0));
    let c = expect(&thin, "K4", NotEnoughEvidence, &["no interval"]);
    assert!(
        line(&c, "py-flask").contains("1 process 1.00 cores, 2 processes 1.00 cores [0.90–1.10]"),
        "{:?}",
        c.evidence
    );
    // No control at all: said so, not "no control scaled".
    expect(
        &k4(4, (0.9, 1.1), (0.9, 1.1), false),
        "K4",
        NotEnoughEvidence,
        &["no control (Node.js, Bun, Deno or Rust) was measured on workers"],
    );
}

/// Python ÷ Node.js fresh `(low, value, high)` and at the same rate.
fn k9(fresh_r: (f64, f64, f64), at_rate: Option<(f64, f64, f64)>, kind: &str) -> Figures {
    let mut fig = with_floor(figures(), 0.0);
    let m = 40.0 * MB;
    fresh(
        &mut fig,
        "py",
        est(fresh_r.1 * m, fresh_r.0 * m, fresh_r.2 * m),
    );
    fresh(&mut fig, "node", exact(m));
    if let Some(r) = at_rate {
        let m = 60.0 * MB;
        for (name, e) in [("py", est(r.1 * m, r.0 * m, r.2 * m)), ("node", exact(m))] {
            push(
                &mut fig,
                ScenarioFigures {
                    rss_fixed_bytes: Some(e),
                    memory_kind: kind.into(),
                    ..sf(name, Json)
                },
            );
        }
    }
    fig
}

#[test]
fn k9_names_the_memory_kind_and_each_measure_in_its_zone() {
    let more = (2.0, 2.5, 3.0);
    let not_more = (0.8, 0.9, 1.0);
    for (kind, says) in [
        ("pss", "(json 500 req/s, Pss)"),
        ("vmrss", "(json 500 req/s, VmRSS (smaps unreadable))"),
        (
            "private+shared",
            "(json 500 req/s, private pages + shared pages once)",
        ),
    ] {
        let c = expect(&k9(more, Some(not_more), kind), "K9", Depends, &[]);
        assert!(
            c.because.contains(&format!(
                "at least 1.3× fresh process, before any load, at most 1.1× at the same offered rate {says}"
            )),
            "{}",
            c.because
        );
        assert_eq!(
            c.evidence[0],
            "fresh process, before any load: py 100 MiB [80.0 MiB–120 MiB] vs node 40.0 MiB [40.0 MiB–40.0 MiB] → Python 2.50× [2.00–3.00×]"
        );
    }
    let c = expect(&k9(not_more, Some(more), "pss"), "K9", Depends, &[]);
    assert!(
        c.because.contains("at least 1.3× at the same offered rate")
            && c.because.contains("at most 1.1× fresh process"),
        "{}",
        c.because
    );
}

/// A flagged figure at the same rate is named alone; the clean ones are read.
#[test]
fn k9_names_only_the_flagged_figures() {
    let mut fig = k9((2.0, 2.5, 3.0), Some((2.0, 2.5, 3.0)), "private+shared");
    push(
        &mut fig,
        ScenarioFigures {
            rss_fixed_bytes: Some(exact(30.0 * MB)),
            fixed_evidence: Evidence::Doubtful,
            ..sf("py-lean", Json)
        },
    );
    let c = expect(&fig, "K9", Supported, &[]);
    assert!(
        c.evidence.iter().any(|e| e
            == "at the same offered rate, not evidence (flagged: the rate not reached or shared cores): py-lean"),
        "{:?}",
        c.evidence
    );
}

#[test]
fn k9_says_when_an_open_end_keeps_an_interval_wide() {
    // Node.js below the resolution opens the top: more trials cannot help.
    let mut fig = k9((2.0, 2.5, 3.0), None, "");
    idle(&mut fig, "py", IdleKind::Ws, est(280.0, 200.0, 300.0), true);
    idle(&mut fig, "node", IdleKind::Ws, exact(256.0), false);
    expect(
        &fig,
        "K9",
        NotEnoughEvidence,
        &["reaches across", "only bounds"],
    );
    // Closed intervals across a threshold: more trials can help.
    let c = expect(
        &k9((1.3 - 1e-3, 1.5, 2.0), Some((2.0, 2.5, 3.0)), ""),
        "K9",
        NotEnoughEvidence,
        &["reaches across"],
    );
    assert!(!c.because.contains("only bounds"), "{}", c.because);
}

/// "Within the floor" quotes the floor of the measure that is within it.
#[test]
fn k9_within_floor_quotes_that_measures_floor() {
    let mut fig = k9((2.0, 2.5, 3.0), None, "");
    idle(
        &mut fig,
        "py",
        IdleKind::Http,
        est(1.35e4, 1.32e4, 1.38e4),
        true,
    );
    idle(&mut fig, "node", IdleKind::Http, exact(1e4), true);
    fig.noise.idle = Some(noise(0.5));
    expect(
        &fig,
        "K9",
        NotEnoughEvidence,
        &["per idle http connection clears", "noise floor (50 %)"],
    );
}

/// The leanest stack per idle connection among those that held the
/// connections asked for; when none did, the leanest, saying so.
#[test]
fn idle_figures_count_only_stacks_that_held_the_connections() {
    let mut fig = k9((2.0, 2.5, 3.0), None, "");
    idle(
        &mut fig,
        "py-a",
        IdleKind::Http,
        est(2e4, 1.9e4, 2.1e4),
        true,
    );
    idle(
        &mut fig,
        "py-b",
        IdleKind::Http,
        est(5e3, 4.8e3, 5.2e3),
        true,
    );
    idle(&mut fig, "node", IdleKind::Http, exact(1e4), true);
    fig.idle[1].connections_open = 1000;
    let c = claim(&fig, "K9");
    assert_eq!(
        line(&c, "per idle http"),
        "per idle http connection: py-a 19.5 KiB [18.6 KiB–20.5 KiB] vs node 9.8 KiB [9.8 KiB–9.8 KiB] → Python 2.00× [1.90–2.10×]"
    );
    fig.idle.remove(0);
    let c = claim(&fig, "K9");
    assert!(
        line(&c, "per idle http")
            .starts_with("per idle http connection: py-b (held 1000 of 2000) 4.9 KiB"),
        "{:?}",
        c.evidence
    );
}

/// K8's "across" names both thresholds, 1/1.25× and 1.25×; its "it turns"
/// names only the gaps where Python is ahead, with Python's own ratio.
#[test]
fn k8_names_its_thresholds_and_only_the_gaps_that_turned() {
    let mut fig = with_floor(figures(), 0.0);
    gap(&mut fig, Json, 6.0, 7.4, 9.0);
    gap(&mut fig, Db, 0.8 - 1e-3, 1.0, 1.2);
    expect(
        &fig,
        "K8",
        NotEnoughEvidence,
        &["reaches across 0.8× or 1.25×"],
    );
    let mut fig = with_floor(figures(), 0.0);
    gap(&mut fig, Json, 6.0, 7.4, 9.0);
    gap(&mut fig, Db, 0.3, 0.4, 0.5);
    gap(&mut fig, Fortunes, 0.9, 1.0, 1.1);
    let c = expect(&fig, "K8", Depends, &[]);
    assert!(
        c.because
            .ends_with("Python is ahead beyond 1.25× on db (SQLite) (2.50× Python's way)"),
        "{}",
        c.because
    );
}
