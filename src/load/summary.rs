//! From per-thread tallies to the [`LoadReport`]: merging, the recording
//! window, rates, the generator's own usage, and the warnings a reader must
//! see (generator-bound, rate not reached, errors, error statuses).

use std::collections::BTreeMap;
use std::time::Duration;

use super::config::{LoadConfig, Schedule, Stop};
use super::engine::{Origin, ThreadResult};
use super::plan::Plan;
use super::record;
use super::recorder::Recorder;
use super::report::{ErrorCounts, GeneratorUsage, LOAD_SCHEMA, LoadReport, RunInfo};
use super::sys;

/// Achieved/target below this ratio is reported as a rate not reached.
pub const RATE_SHORTFALL: f64 = 0.95;

/// Merges thread results into the report. `origin` is when the run's clock started.
pub fn build_report(
    cfg: &LoadConfig,
    threads: usize,
    origin: Origin,
    results: Vec<ThreadResult>,
) -> LoadReport {
    let (origin_wall, origin) = (origin.wall, origin.at);
    let record_start = origin + cfg.warmup;
    let mut rec = Recorder::new(
        record_start,
        None,
        matches!(cfg.schedule, Schedule::Open(_)),
    );
    let mut cpu = Duration::ZERO;
    let mut ended = origin;
    let mut opened = 0;
    for r in &results {
        rec.merge(&r.rec);
        cpu += r.cpu;
        ended = ended.max(r.ended);
        opened += r.opened;
    }

    let plan = Plan::for_config(cfg);
    let interrupted = crate::proc::guard::interrupt_signal();
    let window = match (cfg.stop, &plan) {
        // Interrupted: the rates are over the part of the window that ran.
        (Stop::Duration(d), _) if interrupted.is_some() => {
            ended.saturating_duration_since(record_start).min(d)
        }
        (Stop::Duration(d), _) => d,
        (Stop::Requests(_), Some(plan)) => plan.recorded_rate(cfg.warmup).0,
        (Stop::Requests(_), None) => rec.last_done.map_or(Duration::ZERO, |d| {
            d.saturating_duration_since(record_start)
        }),
    };
    let window_s = window.as_secs_f64();
    let per_s = |count: f64| {
        if window_s > 0.0 {
            count / window_s
        } else {
            0.0
        }
    };
    // An agent sends every N-th planned request: its offered rate is 1/N of the plan's.
    let share_of_plan = cfg.agent.shard.map_or(1.0, |s| f64::from(s.count));
    let target_rps = plan
        .as_ref()
        .map(|p| p.recorded_rate(cfg.warmup).1 / share_of_plan);
    let requests = rec.completed();
    let achieved_rps = plan.as_ref().map(|_| per_s(rec.sends_in_window as f64));

    let status_counts: BTreeMap<u16, u64> = rec
        .status
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(code, n)| (code as u16, *n))
        .collect();
    let wall = ended.saturating_duration_since(origin);
    // An agent always keeps its raw histograms: `ringside merge` adds them.
    let keep = cfg.keep_histogram || cfg.agent.shard.is_some();
    let generator = sys::generator_usage(cpu, wall, threads, cfg.cpus.as_ref().map(Vec::len));
    let mut warnings = warnings(
        cfg,
        &rec,
        &status_counts,
        &generator,
        target_rps,
        achieved_rps,
    );
    if opened < cfg.connections {
        warnings.insert(
            0,
            format!(
                "only {opened} of {} connections could be opened",
                cfg.connections
            ),
        );
    }
    if rec.cut_at_deadline > 0 {
        warnings.push(format!(
            "{} requests were still unanswered at the deadline (the {} window + {} grace): counted as timeouts",
            rec.cut_at_deadline,
            humantime::format_duration(window),
            humantime::format_duration(cfg.grace)
        ));
    }
    let causes = super::bounds::take_os_errors();
    if !causes.is_empty() {
        warnings.push(format!("the OS refused connections: {}", causes.join(", ")));
    }
    if let Some(sig) = interrupted {
        warnings.insert(
            0,
            format!(
                "interrupted (signal {sig}) after {:.1} s: a partial measurement",
                window.as_secs_f64()
            ),
        );
    }

    LoadReport {
        schema: LOAD_SCHEMA.into(),
        mode: match cfg.schedule {
            Schedule::Closed => "closed".into(),
            Schedule::Open(_) => "open".into(),
        },
        connections: cfg.agent.share(cfg.connections as u64) as usize,
        connections_open: Some(opened),
        duration_s: window_s,
        requests,
        throughput_rps: per_s(requests as f64),
        target_rps,
        achieved_rps,
        late_sends: rec.late_sends,
        unsent: rec.unsent,
        max_send_lag_us: rec.max_lag_us,
        latency: record::stats(&rec.corrected),
        latency_uncorrected: rec.uncorrected.as_ref().map(record::stats),
        status_counts,
        errors: rec.errors.clone(),
        bytes_in: rec.bytes_in,
        bytes_out: rec.bytes_out,
        per_second: rec.per_second.whole_seconds(window),
        per_100ms: rec.per_tenth.whole_tenths(window),
        generator,
        warnings,
        histogram_b64: keep
            .then(|| record::to_base64(&rec.corrected).ok())
            .flatten(),
        histogram_uncorrected_b64: rec
            .uncorrected
            .as_ref()
            .filter(|_| keep)
            .and_then(|h| record::to_base64(h).ok()),
        run: Some(RunInfo {
            method: cfg.method.clone(),
            urls: cfg.urls.iter().map(ToString::to_string).collect(),
            requests_planned: match cfg.stop {
                Stop::Requests(n) => Some(n),
                Stop::Duration(_) => None,
            },
            shard: cfg.agent.shard,
            agents: vec![super::shard::agent_info(
                &cfg.agent,
                origin_wall + cfg.warmup,
                origin_wall + ended.saturating_duration_since(origin),
                requests,
            )],
            protocol: Some(cfg.protocol_name().into()),
            streams_per_connection: (cfg.protocol == super::config::Protocol::Http2)
                .then(|| cfg.streams_per_connection()),
        }),
    }
}

/// The warnings of a run, most important first.
fn warnings(
    cfg: &LoadConfig,
    rec: &Recorder,
    status: &BTreeMap<u16, u64>,
    generator: &GeneratorUsage,
    target_rps: Option<f64>,
    achieved_rps: Option<f64>,
) -> Vec<String> {
    let mut out = Vec::new();
    if rec.completed() == 0 {
        out.push("no response was received in the recording window".into());
    }
    if generator.saturated {
        out.push(format!(
            "the generator was busy {:.0}% of its {} thread(s): these figures may be ringside's \
             limit, not the server's — give it more cores (--cpus, --threads)",
            generator.utilization * 100.0,
            generator.threads
        ));
    }
    if let (Some(target), Some(achieved)) = (target_rps, achieved_rps)
        && target > 0.0
        && achieved < RATE_SHORTFALL * target
    {
        out.push(format!(
            "the target rate was not reached: {achieved:.0} of {target:.0} req/s sent ({:.0}%), \
             {} sends late — the server (or the generator) could not keep up",
            100.0 * achieved / target,
            rec.late_sends
        ));
    }
    let failed = rec.errors.total();
    if failed > 0 {
        let unsent = if rec.unsent > 0 {
            format!(
                "; {} planned sends expired before a connection was free",
                rec.unsent
            )
        } else {
            String::new()
        };
        out.push(format!(
            "{failed} of {} requests failed ({}{unsent})",
            rec.sends + rec.unsent,
            describe_errors(&rec.errors)
        ));
    }
    let expects_status = cfg.check.as_ref().is_some_and(|c| c.status.is_some());
    let bad: u64 = status.range(400..).map(|(_, n)| n).sum();
    if bad > 0 && !expects_status {
        out.push(format!("{bad} responses had an error status (4xx/5xx)"));
    }
    out
}

/// `connect 3, timeout 1` — the non-zero kinds.
pub fn describe_errors(e: &ErrorCounts) -> String {
    [
        ("connect", e.connect),
        ("read", e.read),
        ("write", e.write),
        ("timeout", e.timeout),
        ("check", e.check),
        ("RST_STREAM", e.reset),
        ("GOAWAY", e.goaway),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(k, n)| format!("{k} {n}"))
    .collect::<Vec<_>>()
    .join(", ")
}
