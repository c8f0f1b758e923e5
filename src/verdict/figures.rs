//! The figures of a run, per stack and scenario, reduced from the raw points of
//! a results file: medians and spreads of valid trials, and a note for every
//! flagged point. Pure: no I/O. The claims, the recommendation, the comparison
//! and every exporter read these, so all agree on one number.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::scenario::Scenario;
use crate::suite::results::{Flag, Point, PointKind, Results, StackStatus};
use crate::verdict::stats::Spread;

/// The language family a stack belongs to, from `StackRecord::language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Node,
    Python,
    Rust,
    Other,
}

impl Lang {
    pub fn from_language(language: &str) -> Lang {
        match language.to_ascii_lowercase().as_str() {
            "javascript" | "typescript" | "node" | "nodejs" | "node.js" => Lang::Node,
            "python" => Lang::Python,
            "rust" => Lang::Rust,
            _ => Lang::Other,
        }
    }

    /// Human name: `Node.js`, `Python`, `Rust`, `other`.
    pub fn label(self) -> &'static str {
        match self {
            Lang::Node => "Node.js",
            Lang::Python => "Python",
            Lang::Rust => "Rust",
            Lang::Other => "other",
        }
    }
}

/// A stack of the run and whether it was measured.
#[derive(Debug, Clone, Serialize)]
pub struct StackInfo {
    pub name: String,
    pub lang: Lang,
    pub framework: String,
    pub measured: bool,
}

/// One stack × one load scenario (HTTP endpoints, io and ws-chat).
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioFigures {
    pub stack: String,
    pub lang: Lang,
    pub scenario: Scenario,
    /// Peak throughput, requests/s (ws-chat: deliveries/s), at the connection
    /// count whose median was highest.
    pub throughput_rps: Option<Spread>,
    /// The connection count (ws: clients) of `throughput_rps`.
    pub connections: Option<usize>,
    /// p99 latency at the highest fixed offered rate measured, microseconds.
    pub p99_us: Option<Spread>,
    /// The offered rate of `p99_us`, requests/s (`None` for closed-loop figures).
    pub p99_rate_rps: Option<f64>,
    /// Capacity at SLO (highest passing offered load); `Some(0)` trials when even the lowest step failed.
    pub capacity: Option<Spread>,
    /// `rps` or `clients`.
    pub capacity_unit: Option<String>,
    /// True when every trial's search passed its largest step (`limited_by`
    /// `max`): the real capacity is higher and the figure cannot rank stacks.
    pub capacity_censored: bool,
    /// Server CPU microseconds per request (ws: per delivered message).
    pub cpu_us_per_req: Option<Spread>,
    /// Peak RSS of the server under load, bytes.
    pub rss_peak_bytes: Option<Spread>,
    /// RSS of the server before load, bytes.
    pub rss_idle_bytes: Option<Spread>,
    /// `io`: requests in flight actually achieved at the highest io connection count.
    pub concurrency_achieved: Option<Spread>,
    /// Worker processes of the measured points.
    pub workers: u32,
    pub valid_points: usize,
    pub total_points: usize,
    /// One line per flagged or invalid point, e.g. `trial 2, 256 conns: generator-bound (97 % CPU)`.
    pub notes: Vec<String>,
}

/// `workers`: peak throughput at 1 worker and at N.
#[derive(Debug, Clone, Serialize)]
pub struct Scaling {
    pub stack: String,
    pub lang: Lang,
    pub target: String,
    pub workers_n: u32,
    pub one: Spread,
    pub many: Spread,
    /// `many.median / one.median`.
    pub speedup: f64,
    /// `many.min / one.max`: the speed-up the trials guarantee.
    pub speedup_low: f64,
    pub notes: Vec<String>,
}

/// `io`: concurrency achieved against connections offered, one point per connection count.
#[derive(Debug, Clone, Serialize)]
pub struct IoCurve {
    pub stack: String,
    pub lang: Lang,
    /// (connections offered, requests in flight achieved: median of trials).
    pub points: Vec<(usize, f64)>,
}

/// `idle`: memory per idle connection.
#[derive(Debug, Clone, Serialize)]
pub struct IdleFigures {
    pub stack: String,
    pub lang: Lang,
    /// `http` or `ws`.
    pub kind: String,
    pub bytes_per_connection: Spread,
    pub connections_open: usize,
    pub connections_requested: usize,
}

/// Everything the verdict reads, reduced from one results file.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub stacks: Vec<StackInfo>,
    /// Load scenarios in catalogue order, stacks in results order.
    pub scenarios: BTreeMap<Scenario, Vec<ScenarioFigures>>,
    pub scaling: Vec<Scaling>,
    pub io_curves: Vec<IoCurve>,
    pub idle: Vec<IdleFigures>,
    /// Launch to first good response, milliseconds.
    pub startup_ms: Vec<(String, Spread)>,
    pub slo_ms: f64,
    pub server_cores: usize,
    /// Cores the N-worker points of `workers` could use (the harness gives them every core).
    pub workers_cores: usize,
}

impl Figures {
    /// Reduces a results file.
    pub fn from_results(results: &Results) -> Figures {
        let stacks: Vec<StackInfo> = results
            .stacks
            .iter()
            .map(|s| StackInfo {
                name: s.name.clone(),
                lang: Lang::from_language(&s.language),
                framework: s.framework.clone(),
                measured: s.status == StackStatus::Measured,
            })
            .collect();
        let lang_of = |name: &str| {
            stacks
                .iter()
                .find(|s| s.name == name)
                .map_or(Lang::Other, |s| s.lang)
        };

        let mut scenarios: BTreeMap<Scenario, Vec<ScenarioFigures>> = BTreeMap::new();
        for sc in Scenario::ALL {
            if !sc.is_endpoint() {
                continue;
            }
            for stack in &stacks {
                let pts: Vec<&Point> = results
                    .points
                    .iter()
                    .filter(|p| p.stack == stack.name && p.scenario == sc)
                    .collect();
                let caps: Vec<_> = results
                    .capacity
                    .iter()
                    .filter(|c| c.stack == stack.name && c.scenario == sc)
                    .collect();
                if pts.is_empty() && caps.is_empty() {
                    continue;
                }
                let mut f = scenario_figures(&stack.name, stack.lang, sc, &pts);
                if !caps.is_empty() {
                    let values: Vec<f64> = caps.iter().map(|c| c.capacity.unwrap_or(0.0)).collect();
                    f.capacity = Spread::of(&values);
                    f.capacity_unit = Some(caps[0].unit.clone());
                    f.capacity_censored = caps.iter().all(|c| c.limited_by == "max");
                    for c in caps.iter().filter(|c| c.capacity.is_none()) {
                        f.notes.push(format!(
                            "trial {}: capacity search failed at the lowest step (limited by {})",
                            c.trial, c.limited_by
                        ));
                    }
                }
                scenarios.entry(sc).or_default().push(f);
            }
        }

        let workers_n = results.settings.workers_n;
        let mut scaling = Vec::new();
        let mut io_curves = Vec::new();
        for stack in &stacks {
            let all_w: Vec<&Point> = results
                .points
                .iter()
                .filter(|p| p.stack == stack.name && p.scenario == Scenario::Workers)
                .collect();
            let mut targets: Vec<&str> = all_w.iter().map(|p| p.target.as_str()).collect();
            targets.sort();
            targets.dedup();
            for target in targets {
                let wpts: Vec<&Point> = all_w
                    .iter()
                    .copied()
                    .filter(|p| p.target == target)
                    .collect();
                let thr = |w: u32| {
                    let v: Vec<f64> = wpts
                        .iter()
                        .filter(|p| p.valid && p.workers == w)
                        .filter_map(|p| point_throughput(p))
                        .collect();
                    Spread::of(&v)
                };
                let many_n = wpts.iter().map(|p| p.workers).max().unwrap_or(workers_n);
                if let (Some(one), Some(many)) = (thr(1), thr(many_n))
                    && many_n > 1
                {
                    scaling.push(Scaling {
                        stack: stack.name.clone(),
                        lang: stack.lang,
                        target: target.to_string(),
                        workers_n: many_n,
                        speedup: if one.median > 0.0 {
                            many.median / one.median
                        } else {
                            0.0
                        },
                        speedup_low: if one.max > 0.0 {
                            many.min / one.max
                        } else {
                            0.0
                        },
                        one,
                        many,
                        notes: notes_of(&wpts),
                    });
                }
            }

            let mut by_conns: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
            for p in results
                .points
                .iter()
                .filter(|p| p.stack == stack.name && p.scenario == Scenario::Io && p.valid)
            {
                if let (PointKind::Io { connections }, Some(c)) =
                    (&p.kind, p.server.concurrency_achieved)
                {
                    by_conns.entry(*connections).or_default().push(c);
                }
            }
            if !by_conns.is_empty() {
                io_curves.push(IoCurve {
                    stack: stack.name.clone(),
                    lang: stack.lang,
                    points: by_conns
                        .into_iter()
                        .filter_map(|(c, v)| Some((c, crate::verdict::stats::median(&v)?)))
                        .collect(),
                });
            }
        }

        let mut idle = Vec::new();
        let mut startup_ms = Vec::new();
        for rec in &results.stacks {
            let mut kinds: BTreeMap<&str, Vec<&crate::suite::results::IdleRecord>> =
                BTreeMap::new();
            // A record with no connection open has no per-connection figure.
            for r in rec.idle.iter().filter(|r| r.connections_open > 0) {
                kinds.entry(r.kind.as_str()).or_default().push(r);
            }
            for (kind, rs) in kinds {
                let v: Vec<f64> = rs.iter().map(|r| r.bytes_per_connection).collect();
                if let Some(s) = Spread::of(&v) {
                    idle.push(IdleFigures {
                        stack: rec.name.clone(),
                        lang: lang_of(&rec.name),
                        kind: kind.to_string(),
                        bytes_per_connection: s,
                        connections_open: rs.iter().map(|r| r.connections_open).min().unwrap_or(0),
                        connections_requested: rs[0].connections_requested,
                    });
                }
            }
            if let Some(s) = Spread::of(&rec.startup_ms) {
                startup_ms.push((rec.name.clone(), s));
            }
        }

        Figures {
            stacks,
            scenarios,
            scaling,
            io_curves,
            idle,
            startup_ms,
            slo_ms: results.settings.slo_ms,
            server_cores: results.settings.server_cpus.len(),
            workers_cores: results
                .machine
                .cores
                .max(results.settings.server_cpus.len()),
        }
    }

    /// The figures of one scenario (empty when not measured).
    pub fn scenario(&self, sc: Scenario) -> &[ScenarioFigures] {
        self.scenarios.get(&sc).map_or(&[], Vec::as_slice)
    }

    pub fn lang_of(&self, stack: &str) -> Lang {
        self.stacks
            .iter()
            .find(|s| s.name == stack)
            .map_or(Lang::Other, |s| s.lang)
    }

    /// The stack of `lang` with the highest median of `metric` in `sc`.
    pub fn best(
        &self,
        sc: Scenario,
        lang: Lang,
        metric: impl Fn(&ScenarioFigures) -> Option<Spread>,
    ) -> Option<(&ScenarioFigures, Spread)> {
        self.scenario(sc)
            .iter()
            .filter(|f| f.lang == lang)
            .filter_map(|f| Some((f, metric(f)?)))
            .max_by(|a, b| a.1.median.total_cmp(&b.1.median))
    }
}

/// Throughput of a point: requests/s for HTTP, deliveries/s for ws.
pub fn point_throughput(p: &Point) -> Option<f64> {
    match (&p.load, &p.ws) {
        (Some(l), _) => Some(l.throughput_rps),
        (None, Some(w)) => Some(w.delivered_per_s),
        _ => None,
    }
}

fn point_p99(p: &Point) -> Option<f64> {
    match (&p.load, &p.ws) {
        (Some(l), _) => Some(l.latency.p99_us as f64),
        (None, Some(w)) => Some(w.latency.p99_us as f64),
        _ => None,
    }
}

fn load_label(kind: &PointKind) -> String {
    match kind {
        PointKind::Peak { connections } => format!("{connections} conns"),
        PointKind::FixedRate { rps } => format!("{rps:.0} req/s"),
        PointKind::Io { connections } => format!("io {connections} conns"),
        PointKind::Ws { clients, .. } => format!("{clients} clients"),
    }
}

/// Plain-language text of a flag.
pub fn flag_text(flag: &Flag) -> String {
    match flag {
        Flag::GeneratorSaturated { utilization } => format!(
            "generator-bound ({:.0} % generator CPU): the server may be faster",
            utilization * 100.0
        ),
        Flag::RateNotReached {
            target_rps,
            achieved_rps,
        } => format!("target not reached: {achieved_rps:.0} of {target_rps:.0} req/s sent"),
        Flag::Errors { count } => format!("{count} errors"),
        Flag::ServerCrashed { stderr_tail } => match stderr_tail.last() {
            Some(line) => format!("server crashed ({line})"),
            None => "server crashed".to_string(),
        },
        Flag::SharedCores => "server and generator shared cores".to_string(),
    }
}

/// One note per flagged or invalid point.
fn notes_of(pts: &[&Point]) -> Vec<String> {
    let mut notes = Vec::new();
    for p in pts {
        if p.flags.is_empty() && p.valid {
            continue;
        }
        let mut what: Vec<String> = p.flags.iter().map(flag_text).collect();
        if !p.valid {
            what.push("excluded from the figures".to_string());
        }
        let workers = if p.scenario == Scenario::Workers {
            format!(", {} workers", p.workers)
        } else {
            String::new()
        };
        let note = format!(
            "trial {}, {}{}: {}",
            p.trial,
            load_label(&p.kind),
            workers,
            what.join("; ")
        );
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    notes
}

fn scenario_figures(stack: &str, lang: Lang, sc: Scenario, pts: &[&Point]) -> ScenarioFigures {
    let valid: Vec<&Point> = pts.iter().copied().filter(|p| p.valid).collect();

    // Peak (closed loop, io, ws): the load level with the highest median throughput.
    let mut by_level: BTreeMap<usize, Vec<&Point>> = BTreeMap::new();
    for p in &valid {
        let level = match p.kind {
            PointKind::Peak { connections } | PointKind::Io { connections } => connections,
            PointKind::Ws { clients, .. } => clients,
            PointKind::FixedRate { .. } => continue,
        };
        by_level.entry(level).or_default().push(p);
    }
    let peak = if sc == Scenario::Io {
        // io is about the highest concurrency, not the best one.
        by_level.iter().next_back()
    } else {
        by_level.iter().max_by(|a, b| {
            let m = |ps: &Vec<&Point>| {
                let v: Vec<f64> = ps.iter().filter_map(|p| point_throughput(p)).collect();
                crate::verdict::stats::median(&v).unwrap_or(0.0)
            };
            m(a.1).total_cmp(&m(b.1))
        })
    };
    let spread_of = |ps: &[&Point], f: &dyn Fn(&Point) -> Option<f64>| {
        let v: Vec<f64> = ps.iter().filter_map(|p| f(p)).collect();
        Spread::of(&v)
    };

    let (throughput_rps, connections, mut cost_pts) = match peak {
        Some((level, ps)) => (spread_of(ps, &point_throughput), Some(*level), ps.clone()),
        None => (None, None, Vec::new()),
    };

    // Latency at the highest fixed offered rate (or the ws peak level for ws-chat).
    let rates: Vec<f64> = valid
        .iter()
        .filter_map(|p| match p.kind {
            PointKind::FixedRate { rps } => Some(rps),
            _ => None,
        })
        .collect();
    let top_rate = rates
        .iter()
        .copied()
        .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
    let (p99_us, p99_rate_rps) = match top_rate {
        Some(rate) => {
            let at: Vec<&Point> = valid
                .iter()
                .copied()
                .filter(|p| matches!(p.kind, PointKind::FixedRate { rps } if rps == rate))
                .collect();
            if cost_pts.is_empty() {
                cost_pts = at.clone();
            }
            (spread_of(&at, &point_p99), Some(rate))
        }
        None if matches!(sc, Scenario::WsChat | Scenario::Io) => {
            (spread_of(&cost_pts, &point_p99), None)
        }
        None => (None, None),
    };

    ScenarioFigures {
        stack: stack.to_string(),
        lang,
        scenario: sc,
        throughput_rps,
        connections,
        p99_us,
        p99_rate_rps,
        capacity: None,
        capacity_unit: None,
        capacity_censored: false,
        cpu_us_per_req: spread_of(&cost_pts, &|p| p.server.cpu_us_per_req),
        rss_peak_bytes: spread_of(&cost_pts, &|p| Some(p.server.rss_peak_bytes as f64)),
        rss_idle_bytes: spread_of(&cost_pts, &|p| Some(p.server.rss_idle_bytes as f64)),
        concurrency_achieved: spread_of(&cost_pts, &|p| p.server.concurrency_achieved),
        workers: cost_pts.first().map_or(1, |p| p.workers),
        valid_points: valid.len(),
        total_points: pts.len(),
        notes: notes_of(pts),
    }
}
