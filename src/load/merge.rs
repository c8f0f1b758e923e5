//! Exact merging of agents' reports (`ringside merge`): the raw HdrHistograms
//! are added (so the merged percentiles are those of every request, not an
//! average of percentiles), counts, rates, errors, bytes and statuses are
//! summed, and the per-second series are added second by second, each
//! agent's placed by its window's wall-clock start.
//!
//! Reports that do not belong together are refused (exit 2, naming the file
//! and the field): another mode, method, target or plan, a shard index given
//! twice, a shard count that differs, no raw histogram. Agents whose windows
//! do not overlap, or whose starts lie further apart than a bound (a late
//! start, or clocks that disagree), are merged but flagged in the warnings.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;

use super::record;
use super::report::{AgentInfo, GeneratorUsage, LoadReport, RunInfo, WsReport};
use super::shard::{Shard, parse_rfc3339};
use crate::error::bad_input_msg;

/// A report with the name of the file (or `-`) it came from.
#[derive(Debug, Clone)]
pub struct Named<T> {
    pub name: String,
    pub report: T,
}

/// What the checks of [`merge_runs`] give back.
struct MergedRun {
    run: RunInfo,
    /// Each input's earliest window start, in input order.
    anchors: Vec<SystemTime>,
    /// The earliest window start of all.
    start: SystemTime,
    warnings: Vec<String>,
}

fn refuse(name: &str, field: &str, reason: impl std::fmt::Display) -> anyhow::Error {
    bad_input_msg(format!("{name}: field `{field}` {reason}"))
}

fn label(agent: &AgentInfo) -> String {
    let shard = agent.shard.map_or("-".into(), |s| s.to_string());
    format!(
        "agent {shard} ({})",
        agent.pod.as_deref().unwrap_or(&agent.hostname)
    )
}

/// Checks that the inputs' run information belongs to one split run and
/// merges it: same method, URLs and plan; every agent a distinct shard of
/// the same count. Flags missing shards, skewed starts, disjoint windows.
fn merge_runs(
    inputs: &[(&str, Option<&RunInfo>)],
    max_skew: Duration,
) -> anyhow::Result<MergedRun> {
    let (first_name, _) = inputs
        .first()
        .ok_or_else(|| bad_input_msg("no report to merge"))?;
    let mut runs = Vec::with_capacity(inputs.len());
    for (name, run) in inputs {
        let run = run.ok_or_else(|| {
            refuse(name, "run", "is missing: not an agent's report (write one with `ringside load --shard I/N --json`)")
        })?;
        runs.push((*name, run));
    }
    let first = runs[0].1;
    let mut owner: BTreeMap<u32, &str> = BTreeMap::new();
    let mut agents = Vec::new();
    let mut anchors = Vec::with_capacity(runs.len());
    for (name, run) in &runs {
        if run.method != first.method {
            return Err(refuse(
                name,
                "run.method",
                format!(
                    "is `{}`, but {first_name} has `{}`: reports of different requests cannot be merged",
                    run.method, first.method
                ),
            ));
        }
        if run.urls != first.urls {
            return Err(refuse(
                name,
                "run.urls",
                format!(
                    "is {:?}, but {first_name} has {:?}: reports of different targets cannot be merged",
                    run.urls, first.urls
                ),
            ));
        }
        if (&run.protocol, run.streams_per_connection)
            != (&first.protocol, first.streams_per_connection)
        {
            return Err(refuse(
                name,
                "run.protocol",
                format!(
                    "is {:?} ({:?} streams), but {first_name} has {:?} ({:?}): reports of different \
                     protocols cannot be merged",
                    run.protocol,
                    run.streams_per_connection,
                    first.protocol,
                    first.streams_per_connection
                ),
            ));
        }
        if run.requests_planned != first.requests_planned {
            return Err(refuse(
                name,
                "run.requests_planned",
                format!(
                    "is {:?}, but {first_name} has {:?}: the agents ran different plans",
                    run.requests_planned, first.requests_planned
                ),
            ));
        }
        if run.agents.is_empty() {
            return Err(refuse(name, "run.agents", "is empty"));
        }
        let mut anchor = None::<SystemTime>;
        for agent in &run.agents {
            let shard = agent.shard.ok_or_else(|| {
                refuse(name, "run.shard", "is null: merge takes agents' reports (`ringside load --shard I/N`), not whole runs")
            })?;
            let count = agents
                .first()
                .map_or(shard.count, |a: &AgentInfo| a.shard.map_or(0, |s| s.count));
            if shard.count != count {
                return Err(refuse(
                    name,
                    "run.shard",
                    format!("is {shard}, but the other agents split the run {count} ways"),
                ));
            }
            if let Some(other) = owner.insert(shard.index, name) {
                return Err(refuse(
                    name,
                    "run.shard",
                    format!(
                        "{shard} duplicates the agent in {other}: each part of the run must be merged once"
                    ),
                ));
            }
            let start = parse_rfc3339(&agent.window_start).ok_or_else(|| {
                refuse(
                    name,
                    "run.agents.window_start",
                    format!("`{}` is not an RFC 3339 time", agent.window_start),
                )
            })?;
            anchor = Some(anchor.map_or(start, |a| a.min(start)));
            agents.push(agent.clone());
        }
        anchors.push(anchor.expect("at least one agent"));
    }
    agents.sort_by_key(|a| a.shard);

    let mut warnings = Vec::new();
    let count = agents[0].shard.map_or(1, |s| s.count);
    let missing: Vec<String> = (0..count)
        .filter(|i| !owner.contains_key(i))
        .map(|i| Shard { index: i, count }.to_string())
        .collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "shard(s) {} missing: this merge covers {} of the run's {count} parts, so its counts and rates are not the whole run's",
            missing.join(", "),
            agents.len()
        ));
    }
    let windows: Vec<(SystemTime, SystemTime)> = agents
        .iter()
        .map(|a| {
            let start = parse_rfc3339(&a.window_start).unwrap_or(SystemTime::UNIX_EPOCH);
            (
                start,
                parse_rfc3339(&a.ended_at).unwrap_or(start).max(start),
            )
        })
        .collect();
    let start = windows
        .iter()
        .map(|w| w.0)
        .min()
        .expect("at least one agent");
    let latest = windows
        .iter()
        .map(|w| w.0)
        .max()
        .expect("at least one agent");
    let skew = latest.duration_since(start).unwrap_or_default();
    if skew > max_skew {
        warnings.push(format!(
            "the agents' windows start {:.1} ms apart (bound {} ms): an agent started late or the \
             machines' clocks disagree, so the per-second series are aligned only to the nearest second",
            skew.as_secs_f64() * 1e3,
            max_skew.as_millis()
        ));
    }
    for (i, a) in windows.iter().enumerate() {
        for (j, b) in windows.iter().enumerate().skip(i + 1) {
            if a.1 < b.0 || b.1 < a.0 {
                warnings.push(format!(
                    "{} and {} recorded in windows that do not overlap ({} → {} and {} → {}): \
                     their sum is not one run's load",
                    label(&agents[i]),
                    label(&agents[j]),
                    agents[i].window_start,
                    agents[i].ended_at,
                    agents[j].window_start,
                    agents[j].ended_at
                ));
            }
        }
    }
    Ok(MergedRun {
        run: RunInfo {
            method: first.method.clone(),
            urls: first.urls.clone(),
            requests_planned: first.requests_planned,
            shard: None,
            agents,
            protocol: first.protocol.clone(),
            streams_per_connection: first.streams_per_connection,
        },
        anchors,
        start,
        warnings,
    })
}

fn histogram(name: &str, field: &str, b64: Option<&str>) -> anyhow::Result<Histogram<u64>> {
    let b64 = b64.ok_or_else(|| {
        refuse(name, field, "is missing: merging needs each agent's raw histogram (`ringside load --shard` always writes it)")
    })?;
    record::from_base64(b64).map_err(|e| refuse(name, field, format!("cannot be read: {e:#}")))
}

fn add_into(
    total: &mut Histogram<u64>,
    name: &str,
    field: &str,
    h: &Histogram<u64>,
) -> anyhow::Result<()> {
    total
        .add(h)
        .map_err(|e| refuse(name, field, format!("cannot be added: {e:?}")))
}

/// An agent's warnings, each prefixed with the agent (a merged input's are already).
fn agent_warnings(run: Option<&RunInfo>, warnings: &[String]) -> impl Iterator<Item = String> {
    let prefix = match run.map(|r| r.agents.as_slice()) {
        Some([agent]) => format!("{}: ", label(agent)),
        _ => String::new(),
    };
    warnings.iter().map(move |w| format!("{prefix}{w}"))
}

/// Sums two optional rates (None only when both are).
fn add_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        _ => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

/// Generators summed: CPU and threads add; utilisation is total CPU over
/// total thread capacity; saturated when any agent was.
fn add_generators<'a>(all: impl Iterator<Item = &'a GeneratorUsage>) -> GeneratorUsage {
    let (mut cpu_s, mut capacity_s, mut threads, mut saturated) = (0.0, 0.0, 0, false);
    for g in all {
        cpu_s += g.cpu_s;
        if g.utilization > 0.0 {
            capacity_s += g.cpu_s / g.utilization;
        }
        threads += g.threads;
        saturated |= g.saturated;
    }
    GeneratorUsage {
        cpu_s,
        threads,
        utilization: if capacity_s > 0.0 {
            cpu_s / capacity_s
        } else {
            0.0
        },
        saturated,
    }
}

/// Merges agents' HTTP load reports into one, as one `ringside load` of the
/// whole run would have written it.
pub fn merge_load(inputs: &[Named<LoadReport>], max_skew: Duration) -> anyhow::Result<LoadReport> {
    let runs: Vec<(&str, Option<&RunInfo>)> = inputs
        .iter()
        .map(|i| (i.name.as_str(), i.report.run.as_ref()))
        .collect();
    let merged = merge_runs(&runs, max_skew)?;
    let first = &inputs[0];
    let open = first.report.mode == "open";
    let mut corrected = record::new_histogram();
    let mut uncorrected = open.then(record::new_histogram);
    let mut out = LoadReport {
        connections: 0,
        connections_open: inputs
            .iter()
            .all(|i| i.report.connections_open.is_some())
            .then_some(0),
        duration_s: 0.0,
        requests: 0,
        throughput_rps: 0.0,
        target_rps: None,
        achieved_rps: None,
        late_sends: 0,
        unsent: 0,
        max_send_lag_us: 0,
        status_counts: BTreeMap::new(),
        errors: Default::default(),
        bytes_in: 0,
        bytes_out: 0,
        per_second: Vec::new(),
        per_100ms: Vec::new(),
        warnings: Vec::new(),
        ..first.report.clone()
    };
    for (input, anchor) in inputs.iter().zip(&merged.anchors) {
        let (name, r) = (input.name.as_str(), &input.report);
        if r.mode != first.report.mode {
            return Err(refuse(
                name,
                "mode",
                format!(
                    "is `{}`, but {} is `{}`: closed- and open-loop runs cannot be merged",
                    r.mode, first.name, first.report.mode
                ),
            ));
        }
        add_into(
            &mut corrected,
            name,
            "histogram_b64",
            &histogram(name, "histogram_b64", r.histogram_b64.as_deref())?,
        )?;
        if let Some(total) = &mut uncorrected {
            let h = histogram(
                name,
                "histogram_uncorrected_b64",
                r.histogram_uncorrected_b64.as_deref(),
            )?;
            add_into(total, name, "histogram_uncorrected_b64", &h)?;
        }
        out.connections += r.connections;
        out.connections_open = out
            .connections_open
            .zip(r.connections_open)
            .map(|(a, b)| a + b);
        out.duration_s = out.duration_s.max(r.duration_s);
        out.requests += r.requests;
        out.throughput_rps += r.throughput_rps;
        out.target_rps = add_opt(out.target_rps, r.target_rps);
        out.achieved_rps = add_opt(out.achieved_rps, r.achieved_rps);
        out.late_sends += r.late_sends;
        out.unsent += r.unsent;
        out.max_send_lag_us = out.max_send_lag_us.max(r.max_send_lag_us);
        for (code, n) in &r.status_counts {
            *out.status_counts.entry(*code).or_default() += n;
        }
        out.errors.add(&r.errors);
        out.bytes_in += r.bytes_in;
        out.bytes_out += r.bytes_out;
        add_series(
            &mut out.per_second,
            &r.per_second,
            second_offset(merged.start, *anchor),
        );
        out.warnings
            .extend(agent_warnings(r.run.as_ref(), &r.warnings));
    }
    if corrected.len() != out.requests {
        out.warnings.push(format!(
            "the histograms hold {} responses but the reports count {}",
            corrected.len(),
            out.requests
        ));
    }
    out.generator = add_generators(inputs.iter().map(|i| &i.report.generator));
    out.latency = record::stats(&corrected);
    out.latency_uncorrected = uncorrected.as_ref().map(record::stats);
    out.histogram_b64 = Some(record::to_base64(&corrected)?);
    out.histogram_uncorrected_b64 = uncorrected.as_ref().map(record::to_base64).transpose()?;
    out.warnings = [merged.warnings, out.warnings].concat();
    out.run = Some(merged.run);
    Ok(out)
}

/// Merges agents' WebSocket chat reports (each agent drove whole rooms, so
/// sends, expected and received deliveries add up exactly).
pub fn merge_ws(inputs: &[Named<WsReport>], max_skew: Duration) -> anyhow::Result<WsReport> {
    let runs: Vec<(&str, Option<&RunInfo>)> = inputs
        .iter()
        .map(|i| (i.name.as_str(), i.report.run.as_ref()))
        .collect();
    let merged = merge_runs(&runs, max_skew)?;
    let first = &inputs[0];
    let mut hist = record::new_histogram();
    let zero = WsReport {
        clients: 0,
        rooms: 0,
        connected: 0,
        connect_failed: 0,
        dropped: 0,
        sent: 0,
        expected_deliveries: 0,
        delivered: 0,
        lost: 0,
        malformed: 0,
        late_sends: 0,
        target_msg_rps: 0.0,
        achieved_msg_rps: 0.0,
        delivered_per_s: 0.0,
        warnings: Vec::new(),
        ..first.report.clone()
    };
    let mut out = zero;
    for input in inputs {
        let (name, r) = (input.name.as_str(), &input.report);
        for (field, mine, theirs) in [
            (
                "msg_rate_per_client",
                r.msg_rate_per_client,
                first.report.msg_rate_per_client,
            ),
            ("duration_s", r.duration_s, first.report.duration_s),
        ] {
            if mine != theirs {
                return Err(refuse(
                    name,
                    field,
                    format!(
                        "is {mine}, but {} has {theirs}: the agents ran different plans",
                        first.name
                    ),
                ));
            }
        }
        add_into(
            &mut hist,
            name,
            "histogram_b64",
            &histogram(name, "histogram_b64", r.histogram_b64.as_deref())?,
        )?;
        out.clients += r.clients;
        out.rooms += r.rooms;
        out.connected += r.connected;
        out.connect_failed += r.connect_failed;
        out.dropped += r.dropped;
        out.sent += r.sent;
        out.expected_deliveries += r.expected_deliveries;
        out.delivered += r.delivered;
        out.lost += r.lost;
        out.malformed += r.malformed;
        out.late_sends += r.late_sends;
        out.target_msg_rps += r.target_msg_rps;
        out.achieved_msg_rps += r.achieved_msg_rps;
        out.delivered_per_s += r.delivered_per_s;
        out.warnings
            .extend(agent_warnings(r.run.as_ref(), &r.warnings));
    }
    out.generator = add_generators(inputs.iter().map(|i| &i.report.generator));
    out.latency = record::stats(&hist);
    out.histogram_b64 = Some(record::to_base64(&hist)?);
    out.warnings = [merged.warnings, out.warnings].concat();
    out.run = Some(merged.run);
    Ok(out)
}

/// Whole seconds from `start` to `anchor`, rounded (the agents' windows
/// start within the skew bound of each other when they used `--start-at`).
fn second_offset(start: SystemTime, anchor: SystemTime) -> usize {
    anchor
        .duration_since(start)
        .map_or(0, |d| d.as_secs_f64().round() as usize)
}

/// Adds `series`, shifted by `offset` seconds, into `total`.
fn add_series(total: &mut Vec<u64>, series: &[u64], offset: usize) {
    if total.len() < offset + series.len() {
        total.resize(offset + series.len(), 0);
    }
    for (i, n) in series.iter().enumerate() {
        total[offset + i] += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_align_by_second() {
        let mut total = Vec::new();
        add_series(&mut total, &[1, 2, 3], 0);
        add_series(&mut total, &[10, 20, 30], 1);
        assert_eq!(total, vec![1, 12, 23, 30]);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(second_offset(t0, t0 + Duration::from_millis(400)), 0);
        assert_eq!(second_offset(t0, t0 + Duration::from_millis(1600)), 2);
        assert_eq!(second_offset(t0 + Duration::from_secs(1), t0), 0);
    }

    #[test]
    fn generators_add_up() {
        let g = |cpu_s: f64, utilization: f64, saturated: bool| GeneratorUsage {
            cpu_s,
            threads: 1,
            utilization,
            saturated,
        };
        let total = add_generators([g(1.0, 0.5, false), g(3.0, 1.0, true)].iter());
        assert_eq!(
            (total.cpu_s, total.threads, total.saturated),
            (4.0, 2, true)
        );
        assert!((total.utilization - 4.0 / 5.0).abs() < 1e-12);
    }
}
