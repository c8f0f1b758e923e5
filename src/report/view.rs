//! The report's view: a serialisable context of already-formatted values and
//! precomputed chart geometry, built once from a results file and read by the
//! HTML and Markdown templates (and written as-is by the JSON exporter).

use serde::Serialize;

use crate::report::charts::{self, BarChart, BarInput, LineChart, short};
use crate::results::{Results, StackStatus};
use crate::scenario::Scenario;
use crate::stats::Comparison;
use crate::verdict::claims::{ClaimVerdict, ledger};
use crate::verdict::figures::{Family, Figures, Lang, ScenarioFigures, bounded_compare};
use crate::verdict::format::{fmt_bytes, fmt_est, fmt_int, fmt_ratio, fmt_ratio_ci, fmt_us};
use crate::verdict::profile::{BUILTIN, builtin};
use crate::verdict::recommend::{Recommendation, recommend};

use crate::report::plots::{self, CHART_W};

#[derive(Debug, Clone, Serialize)]
pub struct Kv {
    pub key: String,
    pub value: String,
}

fn kv(key: &str, value: impl Into<String>) -> Kv {
    Kv {
        key: key.into(),
        value: value.into(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LegendEntry {
    pub stack: String,
    pub lang: String,
    pub color: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRow {
    pub stack: String,
    pub lang: String,
    pub color: String,
    pub throughput: String,
    /// `min–max` of the trials ("" with one trial).
    pub throughput_range: String,
    pub p99: String,
    pub p99_range: String,
    pub capacity: String,
    pub cpu_us_per_req: String,
    pub rss: String,
    pub vs_node: String,
    pub vs_python: String,
    pub notes: Vec<String>,
    /// Rank by throughput (`=2` when shared), `–` without a figure.
    pub rank: String,
    /// Trials the throughput is made of.
    pub trials: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioView {
    pub name: String,
    pub about: String,
    pub throughput_unit: String,
    pub p99_at: String,
    pub rows: Vec<ScenarioRow>,
    pub throughput_chart: Option<BarChart>,
    pub latency_chart: Option<LineChart>,
    pub has_notes: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankView {
    pub rank: usize,
    pub stack: String,
    pub lang: String,
    pub color: String,
    pub score: String,
    pub measured: String,
    pub stated: String,
    pub cores: String,
    pub cost: String,
    pub p99: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecommendationView {
    pub profile: String,
    /// One line for the summary: top stack, then the best Node.js and Python stacks.
    pub top: String,
    pub node_vs_python: String,
    pub description: String,
    pub main_scenario: String,
    pub basis: String,
    pub ranking: Vec<RankView>,
    pub not_measured: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StackView {
    pub name: String,
    pub lang: String,
    pub color: String,
    pub framework: String,
    pub runtime: String,
    pub db_driver: String,
    pub status: String,
    pub reason: String,
    pub packages: String,
    pub problems: Vec<String>,
    pub stderr_tail: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FootprintRow {
    pub stack: String,
    pub dependencies: String,
    pub install: String,
    pub source_lines: String,
    pub source_files: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScalingRow {
    pub stack: String,
    pub one: String,
    pub many: String,
    pub speedup: String,
    pub notes: Vec<String>,
}

/// Everything the templates show.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub title: String,
    pub subtitle: String,
    pub complete: bool,
    /// The noise floor and the rounds, one sentence each.
    pub method: Vec<String>,
    /// Too thin for verdicts (`--quick`, or no measured noise).
    pub thin: bool,
    pub headline: Vec<String>,
    pub ledger: Vec<ClaimVerdict>,
    pub recommendations: Vec<RecommendationView>,
    pub legend: Vec<LegendEntry>,
    pub scenarios: Vec<ScenarioView>,
    pub scaling_chart: Option<BarChart>,
    pub scaling_rows: Vec<ScalingRow>,
    pub io_chart: Option<LineChart>,
    /// io measured at one connection count: achieved in flight as bars.
    pub io_bars: Option<BarChart>,
    pub idle_chart: Option<BarChart>,
    pub startup_chart: Option<BarChart>,
    pub footprint: Vec<FootprintRow>,
    /// One stack on several runtime versions: what upgrading is worth.
    pub runtime_rows: Vec<crate::report::runtimes::RuntimeRow>,
    /// HTTP/2 deployments beside their HTTP/1.1 partner: what the protocol does.
    pub protocol_rows: Vec<crate::report::protocols::ProtocolRow>,
    /// Every stack's runtime and exact version: `node-http: node 26.12.1`.
    pub runtimes: String,
    pub stacks: Vec<StackView>,
    pub not_measured_stacks: Vec<StackView>,
    pub machine: Vec<Kv>,
    pub settings: Vec<Kv>,
    pub command: String,
    pub ringside_version: String,
    /// The figures behind everything shown (for `verdict.json`).
    #[serde(skip)]
    pub figures: Figures,
    /// The rankings unformatted (for `verdict.json`).
    #[serde(skip)]
    pub rankings: Vec<Recommendation>,
}

fn color(lang: Lang, idx: usize) -> String {
    let palette: &[&str] = match lang {
        Lang::Node => &["#2f855a", "#48bb78", "#276749", "#68d391"],
        Lang::Python => &["#2b6cb0", "#4299e1", "#2c5282", "#63b3ed"],
        Lang::Rust => &["#c05621", "#dd6b20"],
        Lang::OtherJs => &["#b7791f", "#d69e2e", "#975a16"],
        Lang::Other => &["#6b46c1", "#805ad5", "#718096"],
    };
    palette[idx % palette.len()].to_string()
}

fn about(sc: Scenario) -> &'static str {
    match sc {
        Scenario::Plaintext => "Framework overhead: a fixed text body.",
        Scenario::Json => "Framework overhead: a small object serialised to JSON per request.",
        Scenario::Db => "One random World row from the database.",
        Scenario::Queries => "N World rows, one query each.",
        Scenario::Fortunes => {
            "Fortune rows rendered through an HTML template with escaping and sorting."
        }
        Scenario::Updates => "N World rows read and updated.",
        Scenario::Io => {
            "Each request waits on a slow downstream without blocking, at high concurrency: the concurrency model at work."
        }
        Scenario::Cpu => "Pure-language compute, no libraries.",
        Scenario::Numeric => "Numeric aggregation: numpy in Python, typed arrays in Node.js.",
        Scenario::WsChat => {
            "WebSocket rooms; every message is broadcast to its room. Throughput is deliveries/s."
        }
        _ => "",
    }
}

/// Shell-quotes an argv for copying.
fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The 95 % interval `low–high` ("" without one; a figure too noisy to
/// judge says so).
fn range(s: &crate::stats::Estimate, show: fn(f64) -> String) -> String {
    if s.too_noisy() {
        crate::verdict::format::fmt_too_noisy(s)
    } else if s.has_interval() {
        format!("{}–{}", show(s.low), show(s.high))
    } else {
        String::new()
    }
}

/// The offered rates the run's fixed-rate points were measured at, per
/// scenario (`json 500 req/s, db 200 req/s`), from the points themselves;
/// `none` when the run measured none.
fn fixed_rates_line(results: &Results) -> String {
    let mut by_sc: Vec<(Scenario, Vec<f64>)> = Vec::new();
    for p in &results.points {
        if let crate::results::PointKind::FixedRate { rps } = p.kind {
            match by_sc.iter_mut().find(|(s, _)| *s == p.scenario) {
                Some((_, v)) if !v.contains(&rps) => v.push(rps),
                Some(_) => {}
                None => by_sc.push((p.scenario, vec![rps])),
            }
        }
    }
    if by_sc.is_empty() {
        return "none".into();
    }
    by_sc.sort_by_key(|(s, _)| *s);
    by_sc
        .iter()
        .map(|(s, v)| {
            let rates: Vec<String> = v.iter().map(|r| fmt_int(*r)).collect();
            format!("{s} {} req/s", rates.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn ratio_to(f: &ScenarioFigures, best: Option<f64>) -> String {
    match (f.throughput_rps, best) {
        (Some(s), Some(b)) if b > 0.0 => fmt_ratio(s.median / b),
        _ => "—".to_string(),
    }
}

impl ReportView {
    /// Builds the view of a results file.
    pub fn new(results: &Results) -> ReportView {
        let fig = Figures::from_results(results);
        let ledger = ledger(&fig);
        let recs: Vec<Recommendation> = BUILTIN
            .iter()
            .filter_map(|name| builtin(name).ok())
            .map(|p| recommend(&fig, &p))
            .collect();

        let mut per_lang = std::collections::BTreeMap::<Lang, usize>::new();
        let legend: Vec<LegendEntry> = fig
            .stacks
            .iter()
            .map(|s| {
                let i = per_lang.entry(s.lang).or_default();
                let c = color(s.lang, *i);
                *i += 1;
                LegendEntry {
                    stack: s.name.clone(),
                    lang: s.lang.label().to_string(),
                    color: c,
                }
            })
            .collect();
        let color_of = |stack: &str| {
            legend
                .iter()
                .find(|l| l.stack == stack)
                .map_or("#718096".to_string(), |l| l.color.clone())
        };

        let scenarios = fig
            .scenarios
            .iter()
            .map(|(sc, figs)| scenario_view(results, &fig, *sc, figs, &color_of))
            .collect();

        let scaling_chart = plots::scaling_chart(&fig, &color_of);
        let (io_chart, io_bars) = plots::io_charts(&fig, &color_of);
        let idle_chart = plots::idle_chart(&fig, &color_of);
        let startup_chart = plots::startup_chart(&fig, &color_of);
        let scaling_rows = fig
            .scaling
            .iter()
            .map(|s| ScalingRow {
                stack: plots::scaling_label(&fig, s),
                one: format!(
                    "{} · {}",
                    s.cores_one
                        .map_or("—".into(), |c| format!("{:.2} cores", c.median)),
                    s.one.map_or("—".into(), |e| fmt_est(&e, "req/s"))
                ),
                many: format!(
                    "{} · {} ({} workers)",
                    s.cores_many
                        .map_or("—".into(), |c| format!("{:.2} cores", c.median)),
                    s.many.map_or("—".into(), |e| fmt_est(&e, "req/s")),
                    s.workers_n
                ),
                speedup: s.speedup.map_or("—".into(), |r| fmt_ratio_ci(&r)),
                notes: s.notes.clone(),
            })
            .collect();

        let footprint = results
            .stacks
            .iter()
            .filter_map(|s| {
                let f = s.footprint.as_ref()?;
                Some(FootprintRow {
                    stack: s.name.clone(),
                    dependencies: fmt_int(f.dependencies as f64),
                    install: fmt_bytes(f.install_bytes as f64),
                    source_lines: fmt_int(f.source_lines as f64),
                    source_files: fmt_int(f.source_files as f64),
                })
            })
            .collect();

        let stack_views: Vec<StackView> = results
            .stacks
            .iter()
            .map(|s| {
                let (status, reason, stderr_tail) = match &s.status {
                    StackStatus::Measured => ("measured".to_string(), String::new(), Vec::new()),
                    StackStatus::Skipped { reason } => {
                        ("skipped".to_string(), reason.clone(), Vec::new())
                    }
                    StackStatus::Failed {
                        stage,
                        reason,
                        stderr_tail,
                    } => (
                        format!("failed at {stage}"),
                        reason.clone(),
                        stderr_tail.clone(),
                    ),
                };
                let mut problems: Vec<String> = s
                    .verify_failures
                    .iter()
                    .map(|(sc, why)| format!("{sc}: failed verification, not measured — {why}"))
                    .collect();
                problems.extend(
                    s.unsupported
                        .iter()
                        .map(|(sc, why)| format!("{sc}: unsupported — {why}")),
                );
                problems.extend(s.failures.iter().map(|f| match f.scenario {
                    Some(sc) => format!("{sc}: {}", f.message),
                    None => f.message.clone(),
                }));
                StackView {
                    name: s.name.clone(),
                    lang: Lang::of(s).label().to_string(),
                    color: color_of(&s.name),
                    framework: s.framework.clone(),
                    runtime: s.runtime_version.clone().unwrap_or_else(|| "—".into()),
                    db_driver: s.db_driver.clone().unwrap_or_else(|| "—".into()),
                    status,
                    reason,
                    packages: s
                        .packages
                        .iter()
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    problems,
                    stderr_tail,
                }
            })
            .collect();
        let (stacks, not_measured_stacks): (Vec<_>, Vec<_>) = stack_views
            .into_iter()
            .partition(|s| s.status == "measured");

        let m = &results.machine;
        let machine = vec![
            kv("host", &m.hostname),
            kv("CPU", format!("{} ({} cores)", m.cpu_model, m.cores)),
            kv("memory", fmt_bytes(m.memory_bytes as f64)),
            kv("OS", format!("{} · kernel {}", m.os, m.kernel)),
        ];
        let st = &results.settings;
        let list = |v: &[usize]| {
            v.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut settings = vec![
            kv("suite", &st.suite),
            kv(
                "scenarios",
                st.scenarios
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            kv("database", st.db.name()),
            kv(
                "rounds",
                format!(
                    "{} ({} screening, {} final)",
                    results.rounds.len(),
                    results
                        .rounds
                        .iter()
                        .filter(|r| r.kind == crate::results::RoundKind::Screening)
                        .count(),
                    results
                        .rounds
                        .iter()
                        .filter(|r| r.kind == crate::results::RoundKind::Final)
                        .count()
                ) + &st
                    .plan
                    .fitted
                    .as_ref()
                    .map(|f| format!("; {}", f.sentence()))
                    .unwrap_or_default(),
            ),
            kv(
                "measured window",
                format!(
                    "{} slice(s) of {} s per peak load, {} s per fixed-rate point; warm-up to steady state, at most {} s",
                    st.plan.slices, st.plan.slice_s, st.plan.fixed_s, st.warmup_s
                ),
            ),
            kv("closed-loop connections", list(&st.concurrency)),
            kv("fixed offered rates", fixed_rates_line(results)),
            kv("SLO", format!("p99 ≤ {} ms, no errors", st.slo_ms)),
            kv(
                "cores",
                format!(
                    "server {} · generator {}",
                    list(&st.server_cpus),
                    list(&st.generator_cpus)
                ),
            ),
            kv("workers scenario", format!("1 vs {} workers", st.workers_n)),
            kv("io connections", fmt_int(st.io_connections as f64)),
            kv("idle connections", fmt_int(st.idle_connections as f64)),
        ];
        settings.extend(st.extra.iter().map(|(k, v)| kv(k, v.to_string())));

        let when = results.started_at.format("%Y-%m-%d %H:%M UTC").to_string();
        let measured = fig.stacks.iter().filter(|s| s.measured).count();
        let subtitle = format!(
            "{when} · {} · {} stacks measured, {} scenarios, {} rounds · database {}",
            m.hostname,
            measured,
            fig.scenarios.len()
                + usize::from(!fig.scaling.is_empty())
                + usize::from(!fig.idle.is_empty()),
            results.rounds.len(),
            st.db.name()
        );

        ReportView {
            title: "Node.js or Python? — ringside report".into(),
            subtitle,
            complete: results.finished_at.is_some(),
            method: crate::report::terminal::method_lines(&fig),
            thin: fig.thin(),
            headline: headline(&fig),
            ledger,
            recommendations: recs
                .iter()
                .map(|r| recommendation_view(r, &color_of))
                .collect(),
            legend,
            scenarios,
            scaling_chart,
            scaling_rows,
            io_chart,
            io_bars,
            idle_chart,
            startup_chart,
            footprint,
            runtime_rows: crate::report::runtimes::rows(results, &fig),
            protocol_rows: crate::report::protocols::rows(results, &fig),
            runtimes: crate::report::runtimes::summary(results),
            stacks,
            not_measured_stacks,
            machine,
            settings,
            command: shell_join(&results.command),
            ringside_version: results.ringside_version.clone(),
            figures: fig.clone(),
            rankings: recs.clone(),
        }
    }
}

fn headline(fig: &Figures) -> Vec<String> {
    let mut out = Vec::new();
    for sc in [Scenario::Json, Scenario::Db, Scenario::Io] {
        let n = fig.best(sc, Lang::Node, |f| f.throughput_rps);
        let p = fig.best(sc, Lang::Python, |f| f.throughput_rps);
        if let (Some(n), Some(p)) = (n, p) {
            let (fast, slow, r) = if n.1.median >= p.1.median {
                (n, p, n.1.median / p.1.median)
            } else {
                (p, n, p.1.median / n.1.median)
            };
            let tie = bounded_compare(
                &n.1,
                n.0.throughput_evidence,
                &p.1,
                p.0.throughput_evidence,
                fig.noise.floor(Family::Throughput),
            ) == Comparison::Tie;
            out.push(format!(
                "{sc}: {} {} {} by {} ({} vs {} req/s){}",
                fast.0.stack,
                if tie { "ties with" } else { "beats" },
                slow.0.stack,
                fmt_ratio(r),
                fmt_int(fast.1.median),
                fmt_int(slow.1.median),
                if tie {
                    ", inside the interval or the noise floor"
                } else {
                    ""
                }
            ));
        }
    }
    out
}

fn scenario_view(
    results: &Results,
    fig: &Figures,
    sc: Scenario,
    figs: &[ScenarioFigures],
    color_of: &dyn Fn(&str) -> String,
) -> ScenarioView {
    if sc == Scenario::WsChat {
        return super::ws_view::ws_chat_view(results, fig, figs, color_of);
    }
    let best = |lang| fig.best(sc, lang, |f| f.throughput_rps).map(|b| b.1.median);
    let (best_node, best_py) = (best(Lang::Node), best(Lang::Python));
    let unit = "req/s";
    let rows: Vec<ScenarioRow> = figs
        .iter()
        .map(|f| ScenarioRow {
            stack: f.stack.clone(),
            lang: f.lang.label().to_string(),
            color: color_of(&f.stack),
            throughput: f.throughput_rps.map_or("—".into(), |s| fmt_int(s.median)),
            throughput_range: f
                .throughput_rps
                .map_or(String::new(), |s| range(&s, fmt_int)),
            p99: f.p99_us.map_or("—".into(), |s| fmt_us(s.median)),
            p99_range: f.p99_us.map_or(String::new(), |s| range(&s, fmt_us)),
            capacity: f.capacity.as_ref().map_or("—".into(), |c| c.text(true)),
            cpu_us_per_req: f
                .cpu_fixed_us_per_req
                .or(f.cpu_us_per_req)
                .map_or("—".into(), |s| format!("{:.0}", s.median)),
            rss: f
                .rss_fixed_bytes
                .or(f.rss_peak_bytes)
                .map_or("—".into(), |s| fmt_bytes(s.median)),
            vs_node: ratio_to(f, best_node),
            vs_python: ratio_to(f, best_py),
            notes: with_lost(&f.notes, results, &f.stack, sc),
            rank: match f.rank {
                Some(r) if figs.iter().filter(|o| o.rank == Some(r)).count() > 1 => format!("={r}"),
                Some(r) => r.to_string(),
                None => "–".into(),
            },
            trials: crate::report::lost::cell(results, &f.stack, sc, f.throughput_rps.map(|e| e.n)),
        })
        .collect();
    let bars: Vec<BarInput> = figs
        .iter()
        .filter_map(|f| {
            let s = f.throughput_rps?;
            Some(BarInput {
                label: f.stack.clone(),
                color: color_of(&f.stack),
                value: s.median,
                min: s.low,
                max: s.high,
                value_label: format!("{} {unit}", fmt_int(s.median)),
                flagged: !f.notes.is_empty(),
            })
        })
        .collect();
    let conns = figs.iter().find_map(|f| f.connections);
    let throughput_chart = (!bars.is_empty()).then(|| {
        charts::bar_chart(
            &format!(
                "Peak throughput, {unit} (median of valid trials; whiskers: 95 % interval){}",
                match (sc, conns) {
                    (Scenario::Io, Some(c)) => format!(" at {c} connections"),
                    _ => String::new(),
                }
            ),
            unit,
            CHART_W,
            bars,
            &[],
            short,
        )
    });
    let p99_at = match figs.iter().find_map(|f| f.p99_rate_rps) {
        Some(r) => format!("p99 at {} req/s", fmt_int(r)),
        None => "p99 at peak".into(),
    };
    ScenarioView {
        name: sc.name().to_string(),
        about: about(sc).to_string(),
        throughput_unit: unit.to_string(),
        p99_at,
        has_notes: rows.iter().any(|r| !r.notes.is_empty()),
        rows,
        throughput_chart,
        latency_chart: plots::latency_chart(results, sc, figs, color_of),
    }
}

/// A row's notes with the note of its lost trials ("1 trial(s) lost: …") last.
pub(crate) fn with_lost(
    notes: &[String],
    results: &Results,
    stack: &str,
    sc: Scenario,
) -> Vec<String> {
    let mut v = notes.to_vec();
    v.extend(crate::report::lost::note(results, stack, sc));
    v
}

fn recommendation_view(
    r: &Recommendation,
    color_of: &dyn Fn(&str) -> String,
) -> RecommendationView {
    let c = &r.profile.constraints;
    let best = |lang: Lang| r.ranking.iter().find(|k| k.lang == lang);
    let node_vs_python = match (best(Lang::Node), best(Lang::Python)) {
        (Some(n), Some(p)) => format!(
            "best Node.js: {} {:.2} · best Python: {} {:.2}",
            n.stack, n.score, p.stack, p.score
        ),
        _ => "needs a measured Node.js and Python stack".to_string(),
    };
    RecommendationView {
        top: r
            .ranking
            .first()
            .map_or("—".into(), |k| format!("{} ({:.2})", k.stack, k.score)),
        node_vs_python,
        profile: r.profile.name.clone(),
        description: r.profile.description.clone(),
        main_scenario: r.profile.main_scenario.name().to_string(),
        basis: format!(
            "{} {} on {} at {} per core-hour, {:.0} % headroom, SLO p99 ≤ {} ms",
            fmt_int(c.peak_rps),
            if r.profile.main_scenario == Scenario::WsChat {
                "deliveries/s"
            } else {
                "req/s"
            },
            r.profile.main_scenario,
            format_args!("${:.3}", c.price_per_core_hour),
            c.headroom * 100.0,
            r.slo_ms
        ),
        ranking: r
            .ranking
            .iter()
            .map(|k| RankView {
                rank: k.rank,
                stack: k.stack.clone(),
                lang: k.lang.label().to_string(),
                color: color_of(&k.stack),
                score: format!("{:.2}", k.score),
                measured: format!("{:.2}", k.measured),
                stated: format!("{:.2}", k.stated),
                cores: k
                    .sizing
                    .as_ref()
                    .map_or("—".into(), |s| s.cores.to_string()),
                cost: k
                    .sizing
                    .as_ref()
                    .map_or("—".into(), |s| format!("${:.0}", s.cost_per_month)),
                p99: k.p99.map_or("—".into(), |(_, s)| fmt_us(s.median)),
                why: k.why.clone(),
            })
            .collect(),
        not_measured: r
            .main_missing
            .iter()
            .cloned()
            .chain(
                r.not_measured.iter().map(|(c, scs)| {
                    format!("{} (run: ringside run --scenarios {scs})", c.describe())
                }),
            )
            .collect(),
    }
}
