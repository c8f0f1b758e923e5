//! One measured point: drive a load at a target while sampling the server's
//! CPU (before/after, whole process tree) and RSS (every ~100 ms), then turn
//! the load report into a [`Point`] with its [`Flag`]s.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::load::config::{ResponseCheck, Stop};
use crate::load::{LoadConfig, LoadReport};
use crate::scenario::Scenario;

use super::config::SuiteConfig;
use super::results::{Flag, Point, PointKind, ServerUsage};
use super::target::Target;

/// Share of the target rate below which a point is flagged `RateNotReached`.
pub const RATE_REACHED: f64 = 0.95;
/// How often RSS is sampled during a point.
pub const RSS_EVERY: Duration = Duration::from_millis(100);

/// What to measure.
#[derive(Debug, Clone)]
pub struct PointSpec {
    pub stack: String,
    pub scenario: Scenario,
    /// Path and query (`/json`).
    pub path: String,
    pub kind: PointKind,
    pub workers: u32,
    pub trial: u32,
    /// True when the server may run on the generator's cores.
    pub shared_cores: bool,
}

/// The load configuration of a point (or a capacity step / warm-up).
pub fn load_config(
    cfg: &SuiteConfig,
    base: &str,
    path: &str,
    kind: &PointKind,
    duration: Duration,
) -> anyhow::Result<LoadConfig> {
    let url = url::Url::parse(&format!("{base}{path}"))?;
    let s = &cfg.settings;
    let mut lc = match kind {
        PointKind::Peak { connections } | PointKind::Io { connections } => {
            LoadConfig::closed(url, *connections, duration)
        }
        PointKind::FixedRate { rps } => {
            let conns = if path.starts_with("/io") {
                s.io_connections
            } else {
                s.open_connections.max(1)
            };
            LoadConfig::open(url, conns, *rps, duration)
        }
        PointKind::Ws { .. } => anyhow::bail!("ws points are not HTTP loads"),
    };
    lc.stop = Stop::Duration(duration);
    lc.cpus = Some(s.generator_cpus.clone());
    lc.threads = s.generator_cpus.len().max(1);
    lc.keep_histogram = true;
    lc.timeout = Duration::from_secs(5);
    lc.check = Some(ResponseCheck {
        status: Some(200),
        body_contains: None,
    });
    Ok(lc)
}

/// Drives `lc` while sampling the target; returns the report (or the load
/// error) and the server's usage over the window.
pub async fn drive(
    target: &dyn Target,
    lc: &LoadConfig,
) -> (anyhow::Result<LoadReport>, ServerUsage) {
    let bound = match lc.stop {
        Stop::Duration(d) => d,
        Stop::Requests(_) => Duration::from_secs(3600),
    };
    let (report, mut usage) = sampled(target, crate::load::execute(lc), bound).await;
    if let Ok(r) = &report
        && !usage.cpu_source.is_empty()
        && r.requests > 0
    {
        usage.cpu_us_per_req = Some(usage.cpu_us as f64 / r.requests as f64);
    }
    (report, usage)
}

/// Runs `load` while sampling the target's RSS every [`RSS_EVERY`] and its
/// CPU before and after. `bound` is the load's expected length (the sampler
/// stops by itself 30 s after it).
pub async fn sampled<T>(
    target: &dyn Target,
    load: impl std::future::Future<Output = anyhow::Result<T>>,
    bound: Duration,
) -> (anyhow::Result<T>, ServerUsage) {
    let before = target.sample();
    let peak = AtomicU64::new(before.map_or(0, |s| s.rss_bytes));
    let done = AtomicBool::new(false);
    let load = async {
        let r = load.await;
        done.store(true, Ordering::SeqCst);
        r
    };
    let sampler = async {
        let cap = (bound + Duration::from_secs(30)).as_millis() / RSS_EVERY.as_millis();
        for _ in 0..cap {
            if done.load(Ordering::SeqCst) {
                break;
            }
            if let Some(s) = target.sample() {
                peak.fetch_max(s.rss_bytes, Ordering::Relaxed);
            }
            tokio::time::sleep(RSS_EVERY).await;
        }
    };
    let (report, ()) = tokio::join!(load, sampler);
    let after = target.sample();
    if let Some(s) = after {
        peak.fetch_max(s.rss_bytes, Ordering::Relaxed);
    }
    let mut usage = ServerUsage {
        cpu_source: target.cpu_source(),
        ..ServerUsage::default()
    };
    if let (Some(b), Some(a)) = (before, after) {
        usage.cpu_us = a.cpu_us.saturating_sub(b.cpu_us);
        usage.rss_idle_bytes = b.rss_bytes;
        usage.rss_peak_bytes = peak.load(Ordering::Relaxed);
    }
    (report, usage)
}

/// What a point's flags are decided from, whatever the protocol.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub generator_saturated: bool,
    pub generator_utilization: f64,
    /// Open loop: (target, achieved) rate.
    pub rate: Option<(f64, f64)>,
    /// Failures that make the point unusable.
    pub errors: u64,
    /// False when nothing completed (no response, no delivery).
    pub produced: bool,
}

/// Flags of a point and its validity. Errors, a crash or nothing measured
/// make a point invalid; a saturated generator or a missed rate only flag it.
pub fn point_flags(
    outcome: Option<Outcome>,
    shared_cores: bool,
    crashed: Option<Vec<String>>,
) -> (Vec<Flag>, bool) {
    let mut flags = Vec::new();
    let mut valid = outcome.is_some_and(|o| o.produced);
    if let Some(o) = outcome {
        if o.generator_saturated {
            flags.push(Flag::GeneratorSaturated {
                utilization: o.generator_utilization,
            });
        }
        if let Some((target, achieved)) = o.rate
            && achieved < RATE_REACHED * target
        {
            flags.push(Flag::RateNotReached {
                target_rps: target,
                achieved_rps: achieved,
            });
        }
        if o.errors > 0 {
            flags.push(Flag::Errors { count: o.errors });
            valid = false;
        }
    }
    if let Some(tail) = crashed {
        flags.push(Flag::ServerCrashed { stderr_tail: tail });
        valid = false;
    }
    if shared_cores {
        flags.push(Flag::SharedCores);
    }
    (flags, valid)
}

/// [`point_flags`] of an HTTP point from its load report.
pub fn flags_for(
    load: Option<&LoadReport>,
    shared_cores: bool,
    crashed: Option<Vec<String>>,
) -> (Vec<Flag>, bool) {
    let outcome = load.map(|l| Outcome {
        generator_saturated: l.generator.saturated,
        generator_utilization: l.generator.utilization,
        rate: l.target_rps.zip(l.achieved_rps),
        errors: l.errors.total(),
        produced: l.requests > 0,
    });
    point_flags(outcome, shared_cores, crashed)
}

/// Little's law: requests in flight = throughput (req/s) × mean latency (s),
/// at most the connections offered (window edges can push the product past it).
pub fn concurrency_achieved(load: &LoadReport) -> f64 {
    (load.throughput_rps * load.latency.mean_us / 1e6).min(load.connections as f64)
}

/// Measures one point. A load that fails outright (server gone) gives an
/// invalid point and the error, so the caller can record the failure.
pub async fn measure_point(
    target: &mut dyn Target,
    cfg: &SuiteConfig,
    spec: &PointSpec,
    duration: Duration,
) -> anyhow::Result<(Point, Option<anyhow::Error>)> {
    let base = target.base_url();
    let lc = load_config(cfg, &base, &spec.path, &spec.kind, duration)?;
    settle(&*target).await;
    let (report, mut usage) = drive(&*target, &lc).await;
    let crashed = (!target.is_alive()).then(|| target.stderr_tail(20));
    let (load, err) = match report {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e)),
    };
    if let (Some(l), PointKind::Io { .. }) = (&load, &spec.kind) {
        usage.concurrency_achieved = Some(concurrency_achieved(l));
    }
    let (flags, valid) = flags_for(load.as_ref(), spec.shared_cores, crashed);
    let point = Point {
        stack: spec.stack.clone(),
        scenario: spec.scenario,
        target: spec.path.clone(),
        kind: spec.kind.clone(),
        workers: spec.workers,
        trial: spec.trial,
        load,
        ws: None,
        server: usage,
        flags,
        valid,
    };
    Ok((point, err))
}

/// Waits (at most 15 s) until the server answers `/health` promptly, so a
/// backlog left by the previous load (a sync worker still draining queued
/// requests) is not charged to the next point.
pub async fn settle(target: &dyn Target) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(base) = url::Url::parse(&target.base_url()) else {
        return;
    };
    let (Some(host), Some(port)) = (
        base.host_str().map(String::from),
        base.port_or_known_default(),
    ) else {
        return;
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    for _ in 0..60 {
        if tokio::time::Instant::now() >= deadline {
            return;
        }
        let one = async {
            let start = std::time::Instant::now();
            let mut s = tokio::net::TcpStream::connect((host.as_str(), port))
                .await
                .ok()?;
            let req = format!("GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            s.write_all(req.as_bytes()).await.ok()?;
            let mut buf = [0u8; 512];
            let n = s.read(&mut buf).await.ok()?;
            (n > 0).then(|| start.elapsed())
        };
        match tokio::time::timeout_at(deadline, one).await {
            Ok(Some(took)) if took < Duration::from_millis(50) => return,
            Ok(None) => return, // not answering at all: the crash check will tell
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Warm-up: a closed-loop load, not recorded.
pub async fn warm_up(target: &dyn Target, cfg: &SuiteConfig, path: &str, connections: usize) {
    let d = cfg.warmup();
    if d.is_zero() {
        return;
    }
    let Ok(mut lc) = load_config(
        cfg,
        &target.base_url(),
        path,
        &PointKind::Peak { connections },
        d,
    ) else {
        return;
    };
    lc.keep_histogram = false;
    let _ = crate::load::execute(&lc).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::report::{ErrorCounts, GeneratorUsage, LatencyStats};

    pub(crate) fn report(
        requests: u64,
        errors: u64,
        target: Option<f64>,
        achieved: Option<f64>,
    ) -> LoadReport {
        LoadReport {
            schema: crate::load::report::LOAD_SCHEMA.into(),
            mode: if target.is_some() { "open" } else { "closed" }.into(),
            connections: 8,
            connections_open: None,
            duration_s: 1.0,
            requests,
            throughput_rps: requests as f64,
            target_rps: target,
            achieved_rps: achieved,
            late_sends: 0,
            unsent: 0,
            max_send_lag_us: 0,
            latency: LatencyStats {
                count: requests,
                mean_us: 2000.0,
                p50_us: 1500,
                p99_us: 9000,
                ..LatencyStats::default()
            },
            latency_uncorrected: None,
            status_counts: [(200, requests)].into_iter().collect(),
            errors: ErrorCounts {
                timeout: errors,
                ..ErrorCounts::default()
            },
            bytes_in: 0,
            bytes_out: 0,
            per_second: vec![requests],
            generator: GeneratorUsage::default(),
            warnings: Vec::new(),
            histogram_b64: None,
            histogram_uncorrected_b64: None,
            run: None,
        }
    }

    #[test]
    fn errors_invalidate_and_missed_rate_only_flags() {
        let (f, valid) = flags_for(
            Some(&report(100, 0, Some(1000.0), Some(900.0))),
            false,
            None,
        );
        assert!(valid);
        assert_eq!(
            f,
            vec![Flag::RateNotReached {
                target_rps: 1000.0,
                achieved_rps: 900.0
            }]
        );
        let (f, valid) = flags_for(Some(&report(100, 3, None, None)), true, None);
        assert!(!valid);
        assert_eq!(f, vec![Flag::Errors { count: 3 }, Flag::SharedCores]);
        let (f, valid) = flags_for(None, false, Some(vec!["boom".into()]));
        assert!(!valid);
        assert_eq!(
            f,
            vec![Flag::ServerCrashed {
                stderr_tail: vec!["boom".into()]
            }]
        );
    }

    #[test]
    fn littles_law() {
        let r = report(1000, 0, None, None);
        // 1000 req/s × 2 ms = 2 in flight.
        assert!((concurrency_achieved(&r) - 2.0).abs() < 1e-9);
    }
}
