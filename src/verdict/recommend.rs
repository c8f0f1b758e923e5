//! Ranks the measured stacks for a [`Profile`]: a weighted score over the
//! measured criteria (each normalised to the best stack), plus the user's
//! stated weights for what the run cannot measure, kept apart in the output;
//! and the servers, cores and monthly cost each stack needs for the expected
//! rate. A profile whose main scenario was not measured ranks nothing and
//! says what to run; CPU cost comes from the fixed offered rate (not from
//! saturation, where event loops batch); servers from capacity at SLO with
//! the profile's headroom (peak throughput when no search ran, said so).

use serde::Serialize;

use crate::stats::Estimate;
use crate::verdict::figures::{Figures, Lang};
use crate::verdict::format::{fmt_int, fmt_ratio, fmt_us};
use crate::verdict::profile::{Criterion, Profile};

/// Hours in a month of the cost figure (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// One criterion's contribution to one stack's score.
#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    pub criterion: Criterion,
    /// Normalised weight (over the criteria measured in this run).
    pub weight: f64,
    /// The stack's figure, formatted; `None` when the stack lacks it.
    pub figure: Option<String>,
    /// 0..1: the figure relative to the best stack's.
    pub relative: f64,
}

/// What the expected rate needs of a stack.
#[derive(Debug, Clone, Serialize)]
pub struct Sizing {
    /// CPU µs per request at the fixed offered rate (at peak when no fixed point ran).
    pub cpu_us_per_req: f64,
    /// True when `cpu_us_per_req` is from the fixed offered rate.
    pub cpu_at_fixed_rate: bool,
    /// rate × cpu_us_per_req / 1e6: cores fully busy.
    pub busy_cores: f64,
    /// What one server (one worker on one core, as measured) carries within
    /// the SLO: capacity at SLO when searched, else peak throughput.
    pub one_server_rps: Option<f64>,
    /// True when `one_server_rps` is capacity at SLO (false: peak throughput,
    /// an optimistic stand-in).
    pub from_capacity: bool,
    /// Which capacity `one_server_rps` is when `from_capacity`: the low
    /// end of its 95 % interval, else the lowest trial's pass
    /// ([`crate::verdict::figures::CapacityFigure::conservative`]).
    pub capacity_basis: Option<&'static str>,
    /// Unit of `one_server_rps` and of the profile's rate: `req/s`, or
    /// `deliveries/s` (ws-chat).
    pub unit: &'static str,
    /// Servers for the rate with the profile's headroom: rate ÷ (one server × (1 − headroom)).
    pub servers: u32,
    /// servers × the cores each used.
    pub cores: u32,
    pub cost_per_month: f64,
}

/// One stack's place in the ranking.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    pub rank: usize,
    pub stack: String,
    pub lang: Lang,
    /// Final score 0..1 = (1 − stated share) × measured + stated.
    pub score: f64,
    /// Weighted measured score 0..1.
    pub measured: f64,
    /// Points from stated factors (0..stated share).
    pub stated: f64,
    pub contributions: Vec<Contribution>,
    pub sizing: Option<Sizing>,
    /// p99 on the main scenario at the fixed offered rate (the same for every stack), with that rate.
    pub p99: Option<(f64, Estimate)>,
    /// True when that p99 is within the SLO.
    pub meets_slo: Option<bool>,
    /// One or two sentences from the evidence.
    pub why: String,
}

/// A ranking for one profile.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub profile: Profile,
    pub slo_ms: f64,
    pub ranking: Vec<Ranked>,
    /// Weighted criteria no stack had in this run, and the scenarios that provide them.
    pub not_measured: Vec<(Criterion, String)>,
    /// The profile's main scenario was not measured: nothing is ranked, and
    /// this says what to run.
    pub main_missing: Option<String>,
}

fn figure(fig: &Figures, stack: &str, c: Criterion, p: &Profile) -> Option<(f64, String)> {
    let main = p.main_scenario;
    let sf = |sc| fig.scenario(sc).iter().find(|f| f.stack == stack);
    let rate = |s: Option<Estimate>| s.map(|s| (s.median, format!("{} req/s", fmt_int(s.median))));
    match c {
        Criterion::Json => rate(sf(crate::scenario::Scenario::Json)?.throughput_rps),
        Criterion::Db => c
            .scenarios(main)
            .into_iter()
            .find_map(|sc| sf(sc)?.throughput_rps.map(|s| (sc, s)))
            .map(|(sc, s)| (s.median, format!("{} req/s on {sc}", fmt_int(s.median)))),
        Criterion::Latency => sf(main)?
            .p99_us
            .map(|s| (s.median, format!("p99 {}", fmt_us(s.median)))),
        Criterion::Capacity => {
            let f = sf(main)?;
            f.capacity
                .as_ref()
                .map(|c| (c.low, format!("{} {}", fmt_int(c.low), c.unit)))
        }
        Criterion::CpuCost => {
            let f = sf(main)?;
            f.cpu_fixed_us_per_req
                .or(f.cpu_us_per_req)
                .map(|s| (s.median, format!("{:.0} CPU-µs/req", s.median)))
        }
        Criterion::Memory => {
            let f = sf(main)?;
            f.rss_fixed_bytes
                .or(f.rss_peak_bytes)
                .map(|s| (s.median, crate::verdict::format::fmt_bytes(s.median)))
        }
        Criterion::Io => rate(sf(crate::scenario::Scenario::Io)?.throughput_rps),
        Criterion::IdleMemory => fig
            .idle
            .iter()
            .filter(|i| i.stack == stack)
            .min_by(|a, b| a.kind.cmp(&b.kind))
            .map(|i| {
                let b = i.bytes_per_connection.median;
                (b, format!("{}/conn", crate::verdict::format::fmt_bytes(b)))
            }),
        Criterion::WsChat => {
            let f = sf(crate::scenario::Scenario::WsChat)?;
            // Deliveries/s at the fixed load are the load offered, the same
            // for every stack that kept up: only capacity ranks.
            f.capacity
                .as_ref()
                .filter(|c| c.low > 0.0)
                .map(|c| (c.low, format!("{} clients at SLO", fmt_int(c.low))))
        }
        Criterion::Cpu => rate(sf(crate::scenario::Scenario::Cpu)?.throughput_rps),
        Criterion::Numeric => rate(sf(crate::scenario::Scenario::Numeric)?.throughput_rps),
        Criterion::Scaling => fig.scaling.iter().find(|s| s.stack == stack).and_then(|s| {
            let c = s.cores_many?;
            Some((
                c.median,
                format!(
                    "{:.2} cores used with {} workers{}",
                    c.median,
                    s.workers_n,
                    s.speedup
                        .map(|r| format!(", {} throughput", fmt_ratio(r.value)))
                        .unwrap_or_default()
                ),
            ))
        }),
        Criterion::Startup => fig
            .stack_figures(stack)
            .and_then(|s| s.startup_ms)
            .map(|s| (s.median, format!("starts in {}", fmt_us(s.median * 1000.0)))),
    }
}

/// Ranks the measured stacks of `fig` for `profile`.
pub fn recommend(fig: &Figures, profile: &Profile) -> Recommendation {
    let slo_ms = profile.constraints.slo_ms.unwrap_or(fig.slo_ms);
    let main_measured = fig
        .scenario(profile.main_scenario)
        .iter()
        .any(|f| f.throughput_rps.is_some() || f.capacity.is_some());
    // A profile is ranked on its main scenario, or not at all.
    let stacks: Vec<_> = fig
        .stacks
        .iter()
        .filter(|s| s.measured && main_measured)
        .filter(|s| {
            fig.scenario(profile.main_scenario)
                .iter()
                .any(|f| f.stack == s.name)
        })
        .collect();

    // Per criterion: every stack's figure; criteria no stack has drop out.
    let mut table = Vec::new();
    let mut not_measured = Vec::new();
    for (&c, &w) in profile.weights.iter().filter(|(_, w)| **w > 0.0) {
        let values: Vec<Option<(f64, String)>> = stacks
            .iter()
            .map(|s| figure(fig, &s.name, c, profile))
            .collect();
        if values.iter().all(Option::is_none) {
            let scs: Vec<&str> = c
                .scenarios(profile.main_scenario)
                .iter()
                .map(|s| s.name())
                .collect();
            not_measured.push((c, scs.join(",")));
        } else {
            table.push((c, w, values));
        }
    }
    let total_w: f64 = table.iter().map(|(_, w, _)| w).sum();
    let stated_share = profile.stated.iter().fold(0.0, |a, s| a + s.weight);

    let mut ranking: Vec<Ranked> = stacks
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let contributions: Vec<Contribution> = table
                .iter()
                .map(|(c, w, values)| {
                    let present: Vec<f64> = values.iter().flatten().map(|v| v.0).collect();
                    let best = if c.higher_is_better() {
                        present.iter().copied().fold(f64::MIN, f64::max)
                    } else {
                        present.iter().copied().fold(f64::MAX, f64::min)
                    };
                    let relative = match &values[i] {
                        None => 0.0,
                        Some((v, _)) if c.higher_is_better() => {
                            if best > 0.0 {
                                v / best
                            } else {
                                1.0
                            }
                        }
                        Some((v, _)) => {
                            if *v > 0.0 {
                                best / v
                            } else {
                                1.0
                            }
                        }
                    };
                    Contribution {
                        criterion: *c,
                        weight: if total_w > 0.0 { w / total_w } else { 0.0 },
                        figure: values[i].as_ref().map(|v| v.1.clone()),
                        relative: relative.clamp(0.0, 1.0),
                    }
                })
                .collect();
            let measured = contributions
                .iter()
                .fold(0.0, |a, c| a + c.weight * c.relative);
            let stated: f64 = profile
                .stated
                .iter()
                .filter(|f| Lang::from_parts(&f.favours, None) == s.lang)
                .map(|f| f.weight)
                .fold(0.0, |a, b| a + b);
            let main = fig
                .scenario(profile.main_scenario)
                .iter()
                .find(|f| f.stack == s.name);
            let sizing = main.and_then(|f| sizing(f, profile, fig.server_cores));
            let p99 = main.and_then(|f| Some((f.p99_rate_rps.unwrap_or(0.0), f.p99_us?)));
            Ranked {
                rank: 0,
                stack: s.name.clone(),
                lang: s.lang,
                score: (1.0 - stated_share) * measured + stated,
                measured,
                stated,
                // Only a fixed offered rate makes latency comparable with an SLO.
                meets_slo: p99
                    .filter(|(rate, _)| *rate > 0.0)
                    .map(|(_, s)| s.median <= slo_ms * 1000.0),
                p99,
                sizing,
                why: String::new(),
                contributions,
            }
        })
        .collect();
    // A stack with no figure on any criterion (it crashed, or failed every
    // verification) has nothing measured to rank.
    ranking.retain(|r| r.contributions.iter().any(|c| c.figure.is_some()));
    ranking.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.stack.cmp(&b.stack))
    });
    for (i, r) in ranking.iter_mut().enumerate() {
        r.rank = i + 1;
        r.why = explain(r, slo_ms);
    }
    let main_missing = (!main_measured).then(|| {
        format!(
            "the profile's main scenario, {}, was not measured in this run, so nothing is ranked: run `ringside run --scenarios {}`",
            profile.main_scenario, profile.main_scenario
        )
    });
    Recommendation {
        profile: profile.clone(),
        slo_ms,
        ranking,
        not_measured,
        main_missing,
    }
}

fn explain(r: &Ranked, slo_ms: f64) -> String {
    let mut by_impact: Vec<&Contribution> = r.contributions.iter().collect();
    by_impact.sort_by(|a, b| (b.weight * b.relative).total_cmp(&(a.weight * a.relative)));
    let strong: Vec<String> = by_impact
        .iter()
        .filter(|c| c.relative >= 0.8)
        .take(2)
        .filter_map(|c| {
            Some(format!(
                "{} ({})",
                c.criterion.describe(),
                c.figure.as_ref()?
            ))
        })
        .collect();
    let weak: Vec<String> = by_impact
        .iter()
        .rev()
        .filter(|c| c.relative < 0.5 && c.weight >= 0.1)
        .take(2)
        .map(|c| match &c.figure {
            Some(f) => format!(
                "{} ({f}, {:.0} % of the best)",
                c.criterion.describe(),
                c.relative * 100.0
            ),
            None => format!("{} (not measured for this stack)", c.criterion.describe()),
        })
        .collect();
    let mut parts = Vec::new();
    if !strong.is_empty() {
        parts.push(format!("strong on {}", strong.join(" and ")));
    }
    if !weak.is_empty() {
        parts.push(format!("weak on {}", weak.join(" and ")));
    }
    if r.meets_slo == Some(false) {
        parts.push(format!("misses the {slo_ms:.0} ms SLO at the fixed rate"));
    }
    if let Some(s) = &r.sizing
        && let Some(one) = s.one_server_rps
        && s.servers as f64 > s.busy_cores.ceil().max(1.0)
    {
        parts.push(format!(
            "one server carries {} {} here ({}), so the rate needs {} servers, more than its CPU time alone suggests",
            fmt_int(one),
            s.unit,
            match (s.from_capacity, s.capacity_basis) {
                (true, Some(basis)) => format!("capacity at SLO, {basis}"),
                (true, None) => "capacity at SLO".into(),
                (false, _) => "peak throughput".into(),
            },
            s.servers
        ));
    }
    if r.stated > 0.0 {
        parts.push(format!("+{:.2} from stated factors", r.stated));
    }
    if parts.is_empty() {
        "middle of the field on every weighted criterion".to_string()
    } else {
        let mut s = parts.join("; ");
        if let Some(first) = s.get(0..1) {
            s = first.to_uppercase() + &s[1..];
        }
        s
    }
}

/// What one server carries within the SLO, in the unit of the profile's
/// rate, and whether that is capacity at the SLO: requests/s from a
/// capacity search (conservatively: the low end of the capacity's 95 %
/// interval, [`crate::verdict::figures::CapacityFigure::conservative`]),
/// else peak throughput (an optimistic stand-in). ws-chat's
/// capacity is in clients: deliveries/s at capacity are the clients times the
/// deliveries each client received at the fixed load (rooms of a fixed size,
/// messages at a fixed rate). ws-chat's deliveries/s at the fixed load are
/// the load offered, not what a server can carry: without a capacity there
/// is no figure.
pub fn one_server(f: &crate::verdict::figures::ScenarioFigures) -> (Option<f64>, bool) {
    // A conservative capacity: the low end of its 95 % interval (without
    // one, the worst trial's pass).
    let safe = |cap: &crate::verdict::figures::CapacityFigure| cap.conservative().0;
    match (&f.capacity, f.throughput_rps) {
        (Some(cap), _) if cap.low > 0.0 && cap.unit == "rps" => (Some(safe(cap)), true),
        (Some(cap), Some(t)) if cap.low > 0.0 && cap.unit == "clients" => {
            match f.connections.filter(|c| *c > 0) {
                Some(clients) => (Some(safe(cap) * t.median / clients as f64), true),
                None => (None, false),
            }
        }
        _ if f.scenario == crate::scenario::Scenario::WsChat => (None, false),
        (_, Some(t)) => (Some(t.median), false),
        _ => (None, false),
    }
}

/// Servers, cores and cost of `profile`'s rate on a stack's main-scenario figures.
fn sizing(
    f: &crate::verdict::figures::ScenarioFigures,
    profile: &Profile,
    cores_per_server: usize,
) -> Option<Sizing> {
    let c = &profile.constraints;
    let (cpu, at_fixed) = match (f.cpu_fixed_us_per_req, f.cpu_us_per_req) {
        (Some(x), _) => (x.median, true),
        (None, Some(x)) => (x.median, false),
        (None, None) => return None,
    };
    let (one, from_capacity) = one_server(f);
    let busy = c.peak_rps * cpu / 1e6;
    let servers = match one {
        Some(one) if one > 0.0 => (c.peak_rps / (one * (1.0 - c.headroom))).ceil().max(1.0) as u32,
        _ => (busy / (1.0 - c.headroom)).ceil().max(1.0) as u32,
    };
    let cores = servers * cores_per_server.max(1) as u32;
    Some(Sizing {
        cpu_us_per_req: cpu,
        cpu_at_fixed_rate: at_fixed,
        busy_cores: busy,
        one_server_rps: one,
        from_capacity,
        capacity_basis: f
            .capacity
            .as_ref()
            .filter(|_| from_capacity)
            .map(|c| c.conservative().1),
        unit: if f.scenario == crate::scenario::Scenario::WsChat {
            "deliveries/s"
        } else {
            "req/s"
        },
        servers,
        cores,
        cost_per_month: cores as f64 * c.price_per_core_hour * HOURS_PER_MONTH,
    })
}
