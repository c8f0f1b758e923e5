//! Adaptive rounds and what a reader can believe (issue 20): which cells
//! decide an undecided claim, the level each look's figures are read at,
//! figures too noisy to judge, ws-chat's table and the chat sizing.

mod common;

use common::{Builder, MB};
use ringside::results::{AdaptiveSettings, RoundKind, RoundRecord};
use ringside::scenario::Scenario;
use ringside::verdict::figures::Figures;

fn two_stacks(trials: u32) -> Builder {
    let mut b = Builder::new(trials);
    b.stack("node", "javascript", "node:http");
    b.stack("py", "python", "fastapi");
    b
}

#[test]
fn an_undecided_claim_names_the_cells_that_decide_it_and_how_far_it_is() {
    // json 1.45× ± 25 % noise over 3 trials: the interval reaches across 1.5×.
    let mut b = two_stacks(3);
    b.peak(
        "node",
        Scenario::Json,
        64,
        1,
        14_500.0,
        0.25,
        50.0,
        40 * MB,
        60 * MB,
    );
    b.peak(
        "py",
        Scenario::Json,
        64,
        1,
        10_000.0,
        0.25,
        100.0,
        40 * MB,
        60 * MB,
    );
    let r = b.finish();
    let needs = ringside::command::run::undecided_claims(&r);
    let k1 = needs
        .iter()
        .find(|n| n.claim == "K1")
        .expect("K1 undecided");
    assert_eq!(k1.scenarios, [Scenario::Plaintext, Scenario::Json]);
    assert_eq!(k1.stacks, ["node", "py"]);
    assert!(
        k1.why.contains("reaches across 1.5×")
            && (k1.why.contains("more trial(s)") || k1.why.contains("sits on the threshold")),
        "{}",
        k1.why
    );
    // Claims with nothing measured are undecided too, with their scenarios.
    let k5 = needs.iter().find(|n| n.claim == "K5").unwrap();
    assert_eq!(k5.scenarios, [Scenario::Numeric]);
    assert!(k5.stacks.is_empty());
}

/// K1 reads plaintext and json: with plaintext's 3× clear of its
/// thresholds and json's 1.45× across 1.5×, another round measures json
/// only (the fallback to every scenario: `verdict::deciding`'s unit tests).
#[test]
fn an_adaptive_round_measures_again_only_the_duels_still_open() {
    let run = |json_node: f64, noise: f64| {
        let mut b = two_stacks(3);
        for (stack, sc, rps, n) in [
            ("node", Scenario::Plaintext, 30_000.0, 0.03),
            ("py", Scenario::Plaintext, 10_000.0, 0.03),
            ("node", Scenario::Json, json_node, noise),
            ("py", Scenario::Json, 10_000.0, noise),
        ] {
            b.peak(stack, sc, 64, 1, rps, n, 50.0, 40 * MB, 60 * MB);
        }
        b.finish()
    };
    let k1 = |r: &ringside::results::Results| {
        ringside::command::run::undecided_claims(r)
            .into_iter()
            .find(|n| n.claim == "K1")
            .expect("K1 undecided")
    };
    assert_eq!(k1(&run(14_500.0, 0.25)).scenarios, [Scenario::Json]);
}

#[test]
fn each_cell_is_read_at_the_level_of_the_last_look_that_measured_it() {
    let build = |adaptive: bool| {
        let mut b = two_stacks(3);
        for sc in [Scenario::Json, Scenario::Plaintext] {
            b.peak("node", sc, 64, 1, 30_000.0, 0.05, 50.0, 40 * MB, 60 * MB);
            b.peak("py", sc, 64, 1, 10_000.0, 0.05, 100.0, 40 * MB, 60 * MB);
        }
        if adaptive {
            b.r.settings.plan.adaptive = Some(AdaptiveSettings {
                budget_s: 600.0,
                until_decided: false,
                fit_planned: false,
            });
            b.r.rounds.push(RoundRecord {
                number: 4,
                kind: RoundKind::Adaptive,
                stacks: vec!["node".into(), "py".into()],
                scenarios: vec![Scenario::Json],
                workers_extra: Vec::new(),
                reason: vec!["K1".into()],
                look: 2,
            });
        }
        Figures::from_results(&b.finish())
    };
    let level = |f: &Figures, sc: Scenario| {
        f.scenario(sc)
            .iter()
            .find(|x| x.stack == "node")
            .and_then(|x| x.throughput_rps)
            .unwrap()
            .level
    };
    let plain = build(false);
    assert_eq!(level(&plain, Scenario::Json), 0.95);
    let adaptive = build(true);
    assert!((level(&adaptive, Scenario::Plaintext) - 0.97).abs() < 1e-12);
    // Look 2 spends 0.02 · 6/(π² · 4).
    let look2 = 1.0 - 0.02 * 6.0 / (std::f64::consts::PI.powi(2) * 4.0);
    assert!((level(&adaptive, Scenario::Json) - look2).abs() < 1e-12);
    let wide = |f: &Figures| {
        let e = f.scenario(Scenario::Json)[0].throughput_rps.unwrap();
        e.high / e.low
    };
    assert!(wide(&adaptive) > wide(&plain), "a later look reads wider");
}

/// A cell with one wild trial, and a cell of two trials far apart: shown as
/// too noisy to judge, with no interval, in the tables and the ledger's lines.
#[test]
fn a_cell_too_noisy_to_judge_says_so_instead_of_an_absurd_range() {
    let mut b = two_stacks(3);
    b.peak(
        "node",
        Scenario::Json,
        64,
        1,
        30_000.0,
        0.03,
        50.0,
        40 * MB,
        60 * MB,
    );
    b.peak(
        "py",
        Scenario::Json,
        64,
        1,
        10_000.0,
        0.03,
        100.0,
        40 * MB,
        60 * MB,
    );
    b.peak(
        "node",
        Scenario::Db,
        64,
        1,
        5_000.0,
        0.03,
        50.0,
        40 * MB,
        60 * MB,
    );
    b.peak(
        "py",
        Scenario::Db,
        64,
        1,
        3_000.0,
        0.03,
        100.0,
        40 * MB,
        60 * MB,
    );
    let mut r = b.finish();
    // py db: one wild trial, 15× the others.
    for p in r
        .points
        .iter_mut()
        .filter(|p| p.stack == "py" && p.scenario == Scenario::Db && p.trial == 3)
    {
        let l = p.load.as_mut().unwrap();
        l.requests *= 15;
        l.throughput_rps *= 15.0;
    }
    // node db: two trials only, 12× apart.
    r.points
        .retain(|p| !(p.stack == "node" && p.scenario == Scenario::Db && p.trial == 3));
    for p in r
        .points
        .iter_mut()
        .filter(|p| p.stack == "node" && p.scenario == Scenario::Db && p.trial == 2)
    {
        let l = p.load.as_mut().unwrap();
        l.requests *= 12;
        l.throughput_rps *= 12.0;
    }
    let fig = Figures::from_results(&r);
    let db = |s: &str| {
        fig.scenario(Scenario::Db)
            .iter()
            .find(|f| f.stack == s)
            .unwrap()
            .throughput_rps
            .unwrap()
    };
    assert!(db("py").too_noisy(), "{:?}", db("py"));
    assert_eq!(db("py").n, 3);
    assert!(db("node").too_noisy(), "{:?}", db("node"));
    assert_eq!(db("node").n, 2);
    assert!(db("py").spread() > 14.0 && db("node").spread() > 11.0);
    let text = ringside::report::terminal::render(&r);
    let db_table = &text[text.find("\ndb").expect("a db table")..];
    assert!(db_table.contains("too noisy (3 trials, ×"), "{text}");
    assert!(db_table.contains("too noisy (2 trials, ×"), "{text}");
    // No verdict rests on them: K8's db ratio has no interval.
    let k8 = common::claim(&r, "K8");
    assert_eq!(
        k8.verdict,
        ringside::verdict::claims::Verdict::NotEnoughEvidence,
        "{k8:?}"
    );
    assert!(
        k8.evidence.iter().any(|e| e.contains("too noisy to judge")),
        "{:?}",
        k8.evidence
    );
    assert!(
        k8.because
            .starts_with("a deciding figure is too noisy to judge"),
        "{}",
        k8.because
    );
}

fn chat_run() -> ringside::results::Results {
    let mut b = two_stacks(3);
    b.ws("node", 2000, 4000.0, 800.0, 4_000.0, 40.0, 90 * MB);
    b.ws("py", 2000, 4000.0, 1500.0, 9_000.0, 90.0, 120 * MB);
    b.capacity("node", Scenario::WsChat, "clients", Some(6000.0));
    b.capacity("py", Scenario::WsChat, "clients", Some(2500.0));
    b.finish()
}

#[test]
fn the_ws_chat_table_shows_capacity_p99_and_cpu_at_the_fixed_load_not_the_offered_rate() {
    let r = chat_run();
    let text = ringside::report::terminal::render(&r);
    let ws = &text[text.find("ws-chat").expect("a ws-chat table")..];
    assert!(ws.contains("capacity clients"), "{ws}");
    assert!(ws.contains("p99 ms @ 2,000 clients"), "{ws}");
    assert!(ws.contains("CPU µs/delivery @ 2,000 clients"), "{ws}");
    assert!(!ws.contains("deliveries/s"), "{ws}");
    use ringside::report::Exporter as _;
    let md = ringside::report::markdown::MarkdownExporter
        .render(&ringside::report::view::ReportView::new(&r))
        .unwrap();
    let part = &md[md.find("ws-chat").unwrap()..];
    assert!(part.contains("capacity at SLO"), "{part}");
    assert!(
        !part.contains("| 4,0"),
        "the offered deliveries/s are no result: {part}"
    );
    assert!(part.contains("per delivery"), "{part}");
}

/// × best is the capacity figures' ratio (CapacityFigure::ratio_to), not
/// the worst trials' passes divided by hand: one slow Python trial moves
/// the worst pass, not the figure's median; a stack against itself 1.00×.
#[test]
fn ws_chat_times_best_is_the_capacity_figures_ratio() {
    let mut r = chat_run();
    let slow = r
        .capacity
        .iter_mut()
        .find(|c| c.stack == "py" && c.trial == 1)
        .unwrap();
    for (s, level) in slow.steps.iter_mut().zip([900.0, 1800.0, 2250.0]) {
        s.offered = level;
        s.achieved = level;
    }
    slow.capacity = Some(1800.0);
    slow.upper_bound = Some(2250.0);
    use ringside::report::Exporter as _;
    let md = ringside::report::markdown::MarkdownExporter
        .render(&ringside::report::view::ReportView::new(&r))
        .unwrap();
    let part = &md[md.find("ws-chat").unwrap()..];
    let fig = Figures::from_results(&r);
    let cap = |s: &str| {
        fig.scenario(Scenario::WsChat)
            .iter()
            .find(|f| f.stack == s)
            .and_then(|f| f.capacity.clone())
            .unwrap()
    };
    let (py, node) = (cap("py"), cap("node"));
    let ratio = py.ratio_to(&node);
    assert!(ratio.judged && ratio.high < 1.0, "{ratio:?}");
    let want = ringside::verdict::format::fmt_ratio(ratio.value);
    let by_hand = ringside::verdict::format::fmt_ratio(py.low / node.low);
    assert_ne!(want, by_hand, "the case tells the two apart");
    let row = part
        .lines()
        .find(|l| l.starts_with("| py "))
        .expect("py's row");
    assert!(
        row.contains(&format!("| {want} | 1.00× |")),
        "{want}: {row}"
    );
}

#[test]
fn chat_servers_are_sized_from_capacity_at_the_slo() {
    let r = chat_run();
    let fig = Figures::from_results(&r);
    let f = fig
        .scenario(Scenario::WsChat)
        .iter()
        .find(|f| f.stack == "node")
        .unwrap();
    let (one, from_capacity) = ringside::verdict::recommend::one_server(f);
    // A conservative capacity: the low end of the figure's 95 % interval,
    // not its median nor the worst trial's pass.
    let c = f.capacity.as_ref().unwrap();
    let cap = c.interval_low().expect("three trials: an interval");
    assert_eq!(c.conservative().0, cap);
    assert!(cap <= c.typical());
    let per_client = f.throughput_rps.unwrap().median / 2000.0;
    assert!(from_capacity);
    assert!((one.unwrap() - cap * per_client).abs() < 1e-6);
    assert!(
        one.unwrap() > 4000.0 * 2.0,
        "capacity, not the 4,000 offered"
    );
    // Without a capacity search there is no per-server figure: the offered
    // deliveries are not one.
    let mut r2 = chat_run();
    r2.capacity.clear();
    let fig2 = Figures::from_results(&r2);
    let f2 = &fig2.scenario(Scenario::WsChat)[0];
    assert_eq!(ringside::verdict::recommend::one_server(f2), (None, false));
}
