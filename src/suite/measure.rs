//! One measured point: a [`Workload`] driven at a target for its window,
//! turned into a [`Point`] with its [`Flag`]s; and the pause that lets a
//! server drain its backlog between loads.

use std::time::Duration;

use crate::scenario::Scenario;

use super::config::SuiteConfig;
use super::target::Target;
use super::workload::{DriveOpts, Measured, Workload, drive, point_flags};
use crate::results::{Flag, Point, PointKind};

/// What to measure.
#[derive(Debug, Clone)]
pub struct PointSpec {
    pub stack: String,
    pub scenario: Scenario,
    pub workload: Workload,
    pub workers: u32,
    pub trial: u32,
    pub slice: u32,
    /// True when the server may run on the generator's cores.
    pub shared_cores: bool,
    /// The warm-up before it never settled (seconds of warm-up).
    pub unsettled_after_s: Option<f64>,
    /// Seconds since the run started.
    pub at_s: f64,
}

/// The designed wait of an `io?ms=M` path, seconds.
pub fn io_wait_s(path: &str) -> Option<f64> {
    let q = path.split_once('?')?.1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix("ms="))
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|ms| *ms > 0.0)
        .map(|ms| ms / 1000.0)
}

/// Requests the server had in flight at once during an `io` load: each
/// request is designed to wait `wait_s`, so throughput × wait is the
/// concurrency the server achieved (at most the connections offered).
/// Unlike Little's law on the measured latency, this does not count time
/// a request spent queued in the server's backlog.
pub fn concurrency_achieved(throughput_rps: f64, wait_s: f64, connections: usize) -> f64 {
    (throughput_rps * wait_s).min(connections as f64)
}

/// Builds the point of a drive.
pub fn point_of(spec: &PointSpec, m: Measured) -> (Point, Option<anyhow::Error>) {
    let mut usage = m.usage.clone();
    if let (Some(l), PointKind::Io { connections }) = (&m.load, &spec.workload.kind)
        && let Some(wait) = io_wait_s(&spec.workload.path)
    {
        usage.concurrency_achieved =
            Some(concurrency_achieved(l.throughput_rps, wait, *connections));
    }
    let (mut flags, valid) = point_flags(m.outcome(), spec.shared_cores, m.crashed.clone());
    if let Some(after_s) = spec.unsettled_after_s {
        flags.push(Flag::Unsettled { after_s });
    }
    let point = Point {
        stack: spec.stack.clone(),
        scenario: spec.scenario,
        target: spec.workload.path.clone(),
        kind: spec.workload.kind.clone(),
        workers: spec.workers,
        trial: spec.trial,
        slice: spec.slice,
        at_s: spec.at_s,
        load: m.load,
        ws: m.ws,
        server: usage,
        foreign_cpu: None,
        flags,
        valid,
    };
    (point, m.error)
}

/// Measures one point after letting the server drain. A load that fails
/// outright gives an invalid point and the error, for the caller to record.
pub async fn measure_point(
    target: &mut dyn Target,
    cfg: &SuiteConfig,
    spec: &PointSpec,
    opts: &DriveOpts,
) -> (Point, Option<anyhow::Error>) {
    settle(&*target).await;
    let m = drive(target, cfg, &spec.workload, opts).await;
    point_of(spec, m)
}

/// Waits (at most 15 s) until the server answers `/health` promptly, so a
/// backlog left by the previous load (a sync worker still draining queued
/// requests) is not charged to the next point.
pub async fn settle(target: &dyn Target) {
    let Ok(base) = crate::verify::http::Target::parse(&target.base_url()) else {
        return;
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    for _ in 0..60 {
        if tokio::time::Instant::now() >= deadline {
            return;
        }
        let start = std::time::Instant::now();
        let one = crate::verify::http::get(&base, "/health", Duration::from_secs(5));
        match tokio::time::timeout_at(deadline, one).await {
            Ok(Ok(_)) if start.elapsed() < Duration::from_millis(50) => return,
            Ok(Err(_)) => return, // not answering at all: the crash check will tell
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_concurrency_counts_designed_waits_not_queueing() {
        assert_eq!(io_wait_s("/io?ms=50"), Some(0.05));
        assert_eq!(io_wait_s("/io?x=1&ms=20"), Some(0.02));
        assert_eq!(io_wait_s("/json"), None);
        // A sync worker: 20 req/s × 50 ms = 1 in flight, whatever the queue.
        assert!((concurrency_achieved(20.0, 0.05, 256) - 1.0).abs() < 1e-9);
        // An event loop that keeps 256 waiting: capped at the connections.
        assert_eq!(concurrency_achieved(5200.0, 0.05, 256), 256.0);
    }
}
