//! Building [`Figures`] from a results file: trials per cell, the run's
//! noise per family of figures, estimates, capacity brackets, scaling,
//! idle memory, per-stack figures and the tables' ranks.

use std::collections::BTreeMap;

use crate::results::{CapacityRecord, Flag, Point, PointKind, Results, RoundKind, StackStatus};
use crate::scenario::Scenario;
use crate::stats::{Comparison, Estimate, Noise};

use super::trials::{Evidence, Trial, trials, usable};
use super::{
    Family, Figures, IdleFigures, IoCurve, Lang, NoiseFloor, Scaling, ScenarioFigures,
    StackFigures, StackInfo, bounded_compare,
};

/// Bytes per idle connection below which the measurement cannot tell.
pub const IDLE_RESOLUTION: f64 = 256.0;

/// The trials of one stack × scenario: at its peak level and at its fixed rate.
struct Cell {
    stack: String,
    lang: Lang,
    scenario: Scenario,
    level: Option<usize>,
    peak: Vec<Trial>,
    rate: Option<f64>,
    fixed: Vec<Trial>,
    planned: bool,
    points: Vec<Point>,
}

fn level_of(kind: &PointKind) -> Option<usize> {
    match kind {
        PointKind::Peak { connections } | PointKind::Io { connections } => Some(*connections),
        PointKind::Ws { clients, .. } => Some(*clients),
        PointKind::FixedRate { .. } => None,
    }
}

fn cell(stack: &str, lang: Lang, sc: Scenario, pts: Vec<&Point>, base: Option<f64>) -> Cell {
    let mut by_level: BTreeMap<usize, Vec<&Point>> = BTreeMap::new();
    let mut by_rate: BTreeMap<u64, (f64, Vec<&Point>)> = BTreeMap::new();
    for p in &pts {
        match (&p.kind, level_of(&p.kind)) {
            (PointKind::FixedRate { rps }, _) => by_rate
                .entry(rps.to_bits())
                .or_insert_with(|| (*rps, Vec::new()))
                .1
                .push(p),
            (_, Some(l)) => by_level.entry(l).or_default().push(p),
            _ => {}
        }
    }
    let med = |ts: &[Trial]| {
        let v: Vec<f64> = ts.iter().filter_map(|t| t.throughput).collect();
        crate::stats::median(&v).unwrap_or(0.0)
    };
    let levels: Vec<(usize, Vec<Trial>)> = by_level
        .into_iter()
        .map(|(l, ps)| (l, trials(&ps)))
        .collect();
    let chosen = if sc == Scenario::Io {
        levels.into_iter().next_back()
    } else {
        levels
            .into_iter()
            .max_by(|a, b| med(&a.1).total_cmp(&med(&b.1)))
    };
    let (level, peak) = chosen.map_or((None, Vec::new()), |(l, t)| (Some(l), t));
    let rate = by_rate
        .values()
        .map(|(r, _)| *r)
        .find(|r| Some(*r) == base)
        .or_else(|| by_rate.values().map(|(r, _)| *r).reduce(f64::max));
    let fixed = rate
        .and_then(|r| by_rate.get(&r.to_bits()))
        .map_or(Vec::new(), |(_, ps)| trials(ps));
    Cell {
        stack: stack.to_string(),
        lang,
        scenario: sc,
        level,
        peak,
        rate,
        fixed,
        planned: sc == Scenario::WsChat,
        points: pts.into_iter().cloned().collect(),
    }
}

/// Values of one figure over a cell's clean trials.
fn clean(ts: &[Trial], f: impl Fn(&Trial) -> Option<f64>) -> Vec<f64> {
    ts.iter()
        .filter(|t| t.evidence == Evidence::Clean)
        .filter_map(f)
        .collect()
}

/// The first offered rate the run was configured with for `sc`: the one
/// its latency is compared at (`None`: the run's own rates; the highest measured).
fn configured_rate(results: &Results, sc: Scenario) -> Option<f64> {
    let s = &results.settings;
    s.fixed_rates_by_scenario
        .get(sc.name())
        .and_then(|v| v.first())
        .or(s.fixed_rates_rps.first())
        .copied()
}

fn estimate(
    level: f64,
    ts: &[Trial],
    noise: Option<&Noise>,
    f: impl Fn(&Trial) -> Option<f64>,
) -> (Option<Estimate>, Evidence) {
    let (use_, ev) = usable(ts);
    let v: Vec<f64> = use_.iter().filter_map(|t| f(t)).collect();
    (Estimate::of_at(&v, noise, level), ev)
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
        } => format!("target not reached: {achieved_rps:.0} of {target_rps:.0} sent per second"),
        Flag::Errors { count } => format!("{count} errors"),
        Flag::ServerCrashed { stderr_tail } => match stderr_tail.last() {
            Some(line) => format!("server crashed ({line})"),
            None => "server crashed".to_string(),
        },
        Flag::SharedCores => "server and generator shared cores".to_string(),
        Flag::Unsettled { after_s } => {
            format!("throughput had not settled after {after_s:.0} s of warm-up")
        }
        Flag::MixedHardware { machines } => {
            format!("the merged shards ran on {machines} kinds of machine")
        }
        Flag::Stalled {
            longest_s,
            pauses,
            stalled_s,
            recurred,
        } => {
            let how = if *pauses > 1 {
                format!(" ({pauses} pauses, {stalled_s:.1} s in all)")
            } else {
                String::new()
            };
            if *recurred {
                format!(
                    "server stalled for {longest_s:.1} s{how} again when measured again: \
                     the server's behaviour, not evidence"
                )
            } else {
                format!("server stalled for {longest_s:.1} s{how}; measured again")
            }
        }
        Flag::SharedMachine => {
            "measured with --shared-machine: another ringside may have measured at the same time"
                .to_string()
        }
        Flag::ForeignCpu { share } => format!(
            "other processes used {:.0} % of the measured cores: figures low and noisy",
            share * 100.0
        ),
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

/// One note per trial, load and kind of flag (slices collapsed; the worst
/// generator load kept).
pub(crate) fn notes_of(pts: &[Point]) -> Vec<String> {
    let mut notes: BTreeMap<(u32, String, u32, String), String> = BTreeMap::new();
    for p in pts {
        let mut what: Vec<(String, String)> = p
            .flags
            .iter()
            .map(|f| {
                let key = serde_json::to_value(f)
                    .ok()
                    .and_then(|v| v.get("flag").and_then(|k| k.as_str()).map(String::from))
                    .unwrap_or_default();
                (key, flag_text(f))
            })
            .collect();
        if !p.valid {
            what.push(("invalid".into(), "excluded from the figures".to_string()));
        }
        for (key, text) in what {
            let k = (p.trial, load_label(&p.kind), p.workers, key);
            let workers = if p.scenario == Scenario::Workers {
                format!(", {} workers", p.workers)
            } else {
                String::new()
            };
            let line = format!("trial {}, {}{workers}: {text}", p.trial, k.1);
            notes
                .entry(k)
                .and_modify(|old| {
                    if line > *old {
                        *old = line.clone()
                    }
                })
                .or_insert(line);
        }
    }
    notes.into_values().collect()
}

pub(super) fn figures(results: &Results) -> Figures {
    let finalists: Vec<&String> = results
        .rounds
        .iter()
        .filter(|r| r.kind == RoundKind::Final)
        .flat_map(|r| &r.stacks)
        .collect();
    let stacks: Vec<StackInfo> = results
        .stacks
        .iter()
        .map(|s| StackInfo {
            name: s.name.clone(),
            lang: Lang::of(s),
            runtime: s.runtime.clone().unwrap_or_default(),
            framework: s.framework.clone(),
            versions: crate::report::runtimes::versions_of(s).replace('—', ""),
            variant: s.variant.clone(),
            threads: s.threads,
            worker_threads: s.worker_threads,
            measured: s.status == StackStatus::Measured,
            finalist: finalists.contains(&&s.name),
        })
        .collect();

    let mut cells = Vec::new();
    for sc in Scenario::ALL.iter().copied().filter(|s| s.is_endpoint()) {
        for st in &stacks {
            let pts: Vec<&Point> = results
                .points
                .iter()
                .filter(|p| p.stack == st.name && p.scenario == sc && p.workers == 1)
                .collect();
            let has_cap = results
                .capacity
                .iter()
                .any(|c| c.stack == st.name && c.scenario == sc);
            if pts.is_empty() && !has_cap {
                continue;
            }
            cells.push(cell(
                &st.name,
                st.lang,
                sc,
                pts,
                configured_rate(results, sc),
            ));
        }
    }

    let mut idle_groups: Vec<(
        String,
        Lang,
        crate::results::IdleKind,
        Vec<&crate::results::IdleRecord>,
    )> = Vec::new();
    for rec in &results.stacks {
        let mut kinds: BTreeMap<crate::results::IdleKind, Vec<&crate::results::IdleRecord>> =
            BTreeMap::new();
        for r in rec.idle.iter().filter(|r| r.connections_open > 0) {
            kinds.entry(r.kind).or_default().push(r);
        }
        for (k, rs) in kinds {
            idle_groups.push((rec.name.clone(), Lang::of(rec), k, rs));
        }
    }
    // Memory growth per idle connection, at the measurement's resolution:
    // below 256 B a connection (0.5 MiB over 2000 connections) counts as 256 B.
    let per_conn = |r: &crate::results::IdleRecord| r.bytes_per_connection.max(IDLE_RESOLUTION);

    // The run's noise, per family: cells with two or more clean trials.
    let mut thr_cells = Vec::new();
    let mut cpu_cells = Vec::new();
    let mut lat_cells = Vec::new();
    let mut mem_cells = Vec::new();
    let mut core_cells = Vec::new();
    for c in &cells {
        core_cells.push(clean(&c.peak, |t| t.cores_used));
        if !c.planned {
            thr_cells.push(clean(&c.peak, |t| t.throughput));
        }
        cpu_cells.push(clean(&c.peak, |t| t.cpu_us_per_req));
        cpu_cells.push(clean(&c.fixed, |t| t.cpu_us_per_req));
        lat_cells.push(clean(&c.fixed, |t| t.p99_us));
        mem_cells.push(clean(&c.fixed, |t| t.rss_peak_bytes));
    }
    let idle_cells: Vec<(super::idle_noise::Group, Vec<f64>)> = idle_groups
        .iter()
        .map(|(_, lang, _, rs)| {
            let v = rs.iter().map(|r| per_conn(r)).collect();
            (super::idle_noise::group(*lang, rs), v)
        })
        .collect();
    let idle_by_group = super::idle_noise::per_group(&idle_cells);
    // The run's idle noise (ratios' floor): the widest group's.
    let idle_noise = idle_by_group
        .values()
        .copied()
        .max_by(|a, b| a.sd_log.total_cmp(&b.sd_log));

    for rec in &results.stacks {
        mem_cells.push(rec.rss_fresh_bytes.iter().map(|b| *b as f64).collect());
    }
    let pool = |v: &[Vec<f64>]| Noise::pooled(v.iter().map(|c| c.as_slice()));
    let noise = NoiseFloor {
        throughput: pool(&thr_cells),
        cpu: pool(&cpu_cells),
        latency: pool(&lat_cells),
        memory: pool(&mem_cells),
        idle: idle_noise,
        cores: {
            // The workers cells too: one process and N, each its own cell.
            for st in &stacks {
                for w in workers_levels(results, &st.name) {
                    let ps: Vec<&Point> = results
                        .points
                        .iter()
                        .filter(|p| {
                            p.stack == st.name && p.scenario == Scenario::Workers && p.workers == w
                        })
                        .collect();
                    core_cells.push(trials(&ps).iter().filter_map(|t| t.cores_used).collect());
                }
            }
            pool(&core_cells)
        },
        capacity: super::capacity::noise(&results.capacity, None),
    };

    let mut scenarios: BTreeMap<Scenario, Vec<ScenarioFigures>> = BTreeMap::new();
    for c in &cells {
        let n = |f: Family| noise.of(f);
        let lv = super::looks::level(results, &c.stack, c.scenario);
        let (throughput_rps, throughput_evidence) = estimate(
            lv,
            &c.peak,
            n(Family::Throughput).filter(|_| !c.planned),
            |t| t.throughput,
        );
        let latency_trials = if c.fixed.is_empty() {
            &c.peak
        } else {
            &c.fixed
        };
        let (p99_us, latency_evidence) =
            estimate(lv, latency_trials, n(Family::Latency), |t| t.p99_us);
        let (p50_us, _) = estimate(lv, latency_trials, n(Family::Latency), |t| t.p50_us);
        let caps: Vec<&CapacityRecord> = results
            .capacity
            .iter()
            .filter(|r| r.stack == c.stack && r.scenario == c.scenario && r.workers == 1)
            .collect();
        scenarios
            .entry(c.scenario)
            .or_default()
            .push(ScenarioFigures {
                stack: c.stack.clone(),
                lang: c.lang,
                scenario: c.scenario,
                throughput_rps,
                throughput_evidence,
                connections: c.level,
                p50_us,
                p99_us,
                p99_rate_rps: c.rate,
                latency_evidence,
                fixed_evidence: usable(&c.fixed).1,
                cpu_us_per_req: estimate(lv, &c.peak, n(Family::Cpu), |t| t.cpu_us_per_req).0,
                cpu_fixed_us_per_req: estimate(lv, &c.fixed, n(Family::Cpu), |t| t.cpu_us_per_req)
                    .0,
                rss_peak_bytes: estimate(lv, &c.peak, n(Family::Memory), |t| t.rss_peak_bytes).0,
                rss_fixed_bytes: estimate(lv, &c.fixed, n(Family::Memory), |t| t.rss_peak_bytes).0,
                rss_idle_bytes: estimate(lv, &c.peak, n(Family::Memory), |t| t.rss_idle_bytes).0,
                memory_kind: super::trials::worst_memory_kind(
                    c.fixed
                        .iter()
                        .chain(&c.peak)
                        .map(|t| t.memory_kind.as_str()),
                )
                .into(),
                // Throughput × a constant: the throughput noise applies.
                concurrency_achieved: estimate(lv, &c.peak, n(Family::Throughput), |t| {
                    t.concurrency
                })
                .0,
                cores_used: estimate(lv, &c.peak, n(Family::Cores), |t| t.cores_used).0,
                capacity: super::capacity::figure(
                    &caps,
                    super::capacity::noise(
                        &results.capacity,
                        Some((c.stack.as_str(), c.scenario, 1)),
                    )
                    .as_ref(),
                    lv,
                ),
                workers: 1,
                valid_points: c.points.iter().filter(|p| p.valid).count(),
                total_points: c.points.len(),
                rank: None,
                ahead_of: Vec::new(),
                notes: notes_of(&c.points),
                stalls: super::StallSummary::of(&c.points),
            });
    }
    let limits = super::bounds::Limits::of(results);
    for c in &cells {
        if let Some(f) = scenarios
            .get_mut(&c.scenario)
            .and_then(|v| v.iter_mut().find(|f| f.stack == c.stack))
        {
            let pts: Vec<&Point> = c.points.iter().collect();
            super::bounds::apply(f, &pts, &limits);
        }
    }
    let floor = noise.floor(Family::Throughput);
    for (sc, figs) in scenarios.iter_mut() {
        rank(*sc, figs, floor);
    }

    let io_curves = io_curves(results, &stacks);
    let scaling = scaling(results, &stacks, &noise);
    let idle = idle_groups
        .into_iter()
        .filter_map(|(stack, lang, kind, rs)| {
            let v: Vec<f64> = rs.iter().map(|r| per_conn(r)).collect();
            let level = super::looks::level(results, &stack, Scenario::Idle);
            let noise = idle_by_group.get(&super::idle_noise::group(lang, &rs));
            Some(IdleFigures {
                stack,
                lang,
                kind,
                bytes_per_connection: Estimate::of_at(&v, noise, level)?,
                resolved: rs.iter().all(|r| r.bytes_per_connection >= IDLE_RESOLUTION),
                connections_open: rs.iter().map(|r| r.connections_open).min().unwrap_or(0),
                connections_requested: rs[0].connections_requested,
            })
        })
        .collect();
    let per_stack = results
        .stacks
        .iter()
        .map(|rec| {
            let fresh: Vec<f64> = rec.rss_fresh_bytes.iter().map(|b| *b as f64).collect();
            let warm: Vec<&crate::results::WarmupRecord> = results
                .warmups
                .iter()
                .filter(|w| w.stack == rec.name)
                .collect();
            let steady: Vec<f64> = warm
                .iter()
                .filter(|w| w.first && w.scenario != Scenario::Workers)
                .filter(|w| matches!(w.outcome, crate::stats::Steadiness::Settled { .. }))
                .map(|w| w.took_s)
                .collect();
            StackFigures {
                stack: rec.name.clone(),
                lang: Lang::of(rec),
                fresh_bytes: Estimate::of_at(
                    &fresh,
                    noise.of(Family::Memory),
                    super::looks::stack_level(results, &rec.name),
                ),
                startup_ms: Estimate::of(&rec.startup_ms, None),
                steady_after_s: Estimate::of(&steady, None),
                warmups_unsettled: warm
                    .iter()
                    .filter(|w| matches!(w.outcome, crate::stats::Steadiness::Never { .. }))
                    .count(),
                warmups: warm.len(),
            }
        })
        .collect();

    Figures {
        stacks,
        db: results.settings.db,
        suite: results.settings.suite.clone(),
        rounds: results.rounds.clone(),
        noise,
        scenarios,
        scaling,
        io_curves,
        idle,
        per_stack,
        slo_ms: results.settings.slo_ms,
        server_cores: results.settings.server_cpus.len(),
        workers_cores: results
            .machine
            .cores
            .max(results.settings.server_cpus.len()),
    }
}

/// Ranks the stacks of one scenario: 1 + the stacks decisively ahead.
fn rank(sc: Scenario, figs: &mut [ScenarioFigures], floor: f64) {
    let ahead = |a: &ScenarioFigures, b: &ScenarioFigures| -> bool {
        if sc == Scenario::WsChat {
            return match (&a.capacity, &b.capacity) {
                (Some(x), Some(y)) => x.ahead_of(y, floor),
                _ => false,
            };
        }
        match (&a.throughput_rps, &b.throughput_rps) {
            (Some(x), Some(y)) => {
                bounded_compare(x, a.throughput_evidence, y, b.throughput_evidence, floor)
                    == Comparison::Higher
            }
            _ => false,
        }
    };
    let has = |f: &ScenarioFigures| {
        if sc == Scenario::WsChat {
            f.capacity.is_some()
        } else {
            f.throughput_rps.is_some()
        }
    };
    let ranks: Vec<Option<usize>> = figs
        .iter()
        .map(|f| has(f).then(|| 1 + figs.iter().filter(|o| has(o) && ahead(o, f)).count()))
        .collect();
    for (f, r) in figs.iter_mut().zip(ranks) {
        f.rank = r;
    }
}

/// The worker counts a stack's `workers` points were measured at.
fn workers_levels(results: &Results, stack: &str) -> Vec<u32> {
    let mut v: Vec<u32> = results
        .points
        .iter()
        .filter(|p| p.stack == stack && p.scenario == Scenario::Workers)
        .map(|p| p.workers)
        .collect();
    v.sort();
    v.dedup();
    v
}

fn io_curves(results: &Results, stacks: &[StackInfo]) -> Vec<IoCurve> {
    let mut out = Vec::new();
    for st in stacks {
        let mut by_conns: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for p in results
            .points
            .iter()
            .filter(|p| p.stack == st.name && p.scenario == Scenario::Io && p.valid)
        {
            if let (PointKind::Io { connections }, Some(c)) =
                (&p.kind, p.server.concurrency_achieved)
            {
                by_conns.entry(*connections).or_default().push(c);
            }
        }
        if !by_conns.is_empty() {
            out.push(IoCurve {
                stack: st.name.clone(),
                lang: st.lang,
                points: by_conns
                    .into_iter()
                    .filter_map(|(c, v)| Some((c, crate::stats::median(&v)?)))
                    .collect(),
            });
        }
    }
    out
}

fn scaling(results: &Results, stacks: &[StackInfo], noise: &NoiseFloor) -> Vec<Scaling> {
    let mut out = Vec::new();
    for st in stacks {
        let pts: Vec<&Point> = results
            .points
            .iter()
            .filter(|p| p.stack == st.name && p.scenario == Scenario::Workers)
            .collect();
        let mut targets: Vec<&str> = pts.iter().map(|p| p.target.as_str()).collect();
        targets.sort();
        targets.dedup();
        for target in targets {
            let of = |w: u32| -> Vec<Trial> {
                let ps: Vec<&Point> = pts
                    .iter()
                    .copied()
                    .filter(|p| p.target == target && p.workers == w)
                    .collect();
                trials(&ps)
            };
            let many_n = pts
                .iter()
                .filter(|p| p.target == target)
                .map(|p| p.workers)
                .max()
                .unwrap_or(1);
            if many_n < 2 {
                continue;
            }
            let (one, many) = (of(1), of(many_n));
            // Every workers point shares the generator's cores, so throughput is
            // shown but flagged; cores used is what the claim reads.
            let lv = super::looks::level(results, &st.name, Scenario::Workers);
            let est = |ts: &[Trial], f: fn(&Trial) -> Option<f64>, fam: Option<&Noise>| {
                let v: Vec<f64> = ts.iter().filter_map(f).collect();
                Estimate::of_at(&v, fam, lv)
            };
            let thr_one = est(&one, |t| t.throughput, noise.throughput.as_ref());
            let thr_many = est(&many, |t| t.throughput, noise.throughput.as_ref());
            let wpts: Vec<Point> = pts
                .iter()
                .filter(|p| p.target == target)
                .map(|p| (*p).clone())
                .collect();
            out.push(Scaling {
                stack: st.name.clone(),
                lang: st.lang,
                target: target.to_string(),
                workers_n: many_n,
                speedup: thr_one
                    .zip(thr_many)
                    .map(|(a, b)| crate::stats::Ratio::of(&b, &a)),
                one: thr_one,
                many: thr_many,
                cores_one: est(&one, |t| t.cores_used, noise.cores.as_ref()),
                cores_many: est(&many, |t| t.cores_used, noise.cores.as_ref()),
                shared_generator: wpts.iter().any(|p| p.flags.contains(&Flag::SharedCores)),
                notes: notes_of(&wpts)
                    .into_iter()
                    .filter(|n| !n.ends_with("server and generator shared cores"))
                    .collect(),
            });
        }
    }
    out
}

#[cfg(test)]
#[path = "tests/mod.rs"]
mod tests;
