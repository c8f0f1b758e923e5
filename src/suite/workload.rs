//! The loads the harness drives, behind one abstraction: a [`Workload`] is an
//! HTTP load (closed loop at N connections, or open loop at a rate) or a
//! ws-chat load (clients in rooms at a message rate). [`drive`] runs either
//! against a target while sampling the server's CPU and memory, and returns a
//! [`Measured`] that warm-ups, points and capacity searches all read through
//! the same [`Outcome`] — one code path for both protocols.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::load::config::{ResponseCheck, Stop};
use crate::load::report::WsReport;
use crate::load::ws::{self, WsConfig};
use crate::load::{LoadConfig, LoadReport};

use super::config::SuiteConfig;
use super::target::Target;
use crate::results::{Flag, PointKind, ServerUsage};

/// Share of the target rate below which a load is flagged `RateNotReached`.
pub const RATE_REACHED: f64 = 0.95;
/// How often memory is sampled during a load.
pub const RSS_EVERY: Duration = Duration::from_millis(100);

/// One load: what to send, how hard.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Path and query for HTTP (`/json`); `/ws/chat` for ws.
    pub path: String,
    /// Closed loop (`Peak`, `Io`), open loop (`FixedRate`) or ws-chat (`Ws`).
    pub kind: PointKind,
}

impl Workload {
    pub fn new(path: &str, kind: PointKind) -> Workload {
        Workload {
            path: path.to_string(),
            kind,
        }
    }

    /// The same workload at another level: connections, requests/s or clients
    /// (ws keeps 10 clients a room).
    pub fn at_level(&self, level: f64) -> Workload {
        let kind = match &self.kind {
            PointKind::Peak { .. } => PointKind::Peak {
                connections: level.round().max(1.0) as usize,
            },
            PointKind::Io { .. } => PointKind::Io {
                connections: level.round().max(1.0) as usize,
            },
            PointKind::FixedRate { .. } => PointKind::FixedRate { rps: level },
            PointKind::Ws {
                msg_rate_per_client,
                ..
            } => {
                let clients = level.round().max(1.0) as usize;
                PointKind::Ws {
                    clients,
                    rooms: clients.div_ceil(super::ws::CLIENTS_PER_ROOM),
                    msg_rate_per_client: *msg_rate_per_client,
                }
            }
        };
        Workload {
            path: self.path.clone(),
            kind,
        }
    }

    pub fn is_ws(&self) -> bool {
        matches!(self.kind, PointKind::Ws { .. })
    }

    /// True when the offered load is set by a plan (open loop, ws), so the
    /// throughput says nothing about the server's speed.
    pub fn is_planned(&self) -> bool {
        matches!(
            self.kind,
            PointKind::FixedRate { .. } | PointKind::Ws { .. }
        )
    }
}

/// How a drive is run.
#[derive(Debug, Clone, Copy)]
pub struct DriveOpts {
    /// Recorded window.
    pub window: Duration,
    /// Unrecorded load before the window (HTTP: connections and caches; ws:
    /// messages sent on plan after connecting, read but not recorded).
    pub preroll: Duration,
    /// Keep the raw latency histogram in the report.
    pub keep_histogram: bool,
    /// Per-request timeout (HTTP).
    pub timeout: Duration,
    /// ws: how long receivers keep reading after the last send (deliveries
    /// not in by then are lost).
    pub drain: Duration,
}

impl DriveOpts {
    pub fn window(window: Duration) -> DriveOpts {
        DriveOpts {
            window,
            preroll: Duration::ZERO,
            keep_histogram: false,
            timeout: Duration::from_secs(5),
            drain: Duration::from_secs(1),
        }
    }
}

/// What a drive measured.
#[derive(Debug)]
pub struct Measured {
    pub load: Option<LoadReport>,
    pub ws: Option<WsReport>,
    pub usage: ServerUsage,
    /// The load failed outright (nothing listening, ...).
    pub error: Option<anyhow::Error>,
    /// The server exited during the load: its last output lines.
    pub crashed: Option<Vec<String>>,
}

/// What a load's flags and a capacity step are decided from, whatever the protocol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub generator_saturated: bool,
    pub generator_utilization: f64,
    /// Open loop and ws: (target, achieved) rate.
    pub rate: Option<(f64, f64)>,
    /// Failures that make the load unusable (ws: lost, refused, malformed).
    pub errors: u64,
    /// Completed requests (ws: deliveries) per second.
    pub throughput: f64,
    /// p99 latency (ws: delivery latency), microseconds.
    pub p99_us: u64,
    /// False when nothing completed (no response, no delivery).
    pub produced: bool,
}

impl Measured {
    /// The protocol-independent outcome; `None` when the load failed outright.
    pub fn outcome(&self) -> Option<Outcome> {
        if let Some(l) = &self.load {
            return Some(Outcome {
                generator_saturated: l.generator.saturated,
                generator_utilization: l.generator.utilization,
                rate: l.target_rps.zip(l.achieved_rps),
                errors: l.errors.total(),
                throughput: l.throughput_rps,
                p99_us: l.latency.p99_us,
                produced: l.requests > 0,
            });
        }
        self.ws.as_ref().map(|r| Outcome {
            generator_saturated: r.generator.saturated,
            generator_utilization: r.generator.utilization,
            rate: Some((r.target_msg_rps, r.achieved_msg_rps)),
            errors: ws_errors(r),
            throughput: r.delivered_per_s,
            p99_us: r.latency.p99_us,
            produced: r.delivered > 0,
        })
    }
}

/// What went wrong in a ws load: lost deliveries, failed connections,
/// malformed frames. Drops are not counted on their own: a member dropped
/// while messages were still being sent shows as lost deliveries, and one
/// closed as the run ends harmed nothing.
pub fn ws_errors(r: &WsReport) -> u64 {
    r.lost + r.connect_failed + r.malformed
}

/// Flags of a load and its validity. Errors, a crash or nothing measured
/// make a point invalid; a saturated generator, a missed rate, shared cores
/// or an unsettled warm-up only flag it (and keep it out of every verdict).
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

/// The HTTP load configuration of a workload.
pub fn http_config(
    cfg: &SuiteConfig,
    base: &str,
    w: &Workload,
    opts: &DriveOpts,
) -> anyhow::Result<LoadConfig> {
    let url = url::Url::parse(&format!("{base}{}", w.path))?;
    let s = &cfg.settings;
    let mut lc = match &w.kind {
        PointKind::Peak { connections } | PointKind::Io { connections } => {
            LoadConfig::closed(url, *connections, opts.window)
        }
        PointKind::FixedRate { rps } => {
            let conns = if w.path.starts_with("/io") {
                s.io_connections
            } else {
                s.open_connections.max(1)
            };
            LoadConfig::open(url, conns, *rps, opts.window)
        }
        PointKind::Ws { .. } => anyhow::bail!("a ws-chat workload is not an HTTP load"),
    };
    lc.stop = Stop::Duration(opts.window);
    lc.warmup = opts.preroll;
    lc.cpus = Some(s.generator_cpus.clone());
    lc.threads = s.generator_cpus.len().max(1);
    lc.keep_histogram = opts.keep_histogram;
    lc.timeout = opts.timeout;
    // A point waits for its slowest request (up to the timeout): one cut
    // short would read as an error and void the point.
    lc.grace = opts.timeout;
    lc.check = Some(ResponseCheck {
        status: Some(200),
        body_contains: None,
    });
    Ok(lc)
}

/// The ws-chat configuration of a workload.
pub fn ws_config(base: &str, w: &Workload, opts: &DriveOpts) -> anyhow::Result<WsConfig> {
    let PointKind::Ws {
        clients,
        rooms,
        msg_rate_per_client,
    } = w.kind
    else {
        anyhow::bail!("an HTTP workload is not a ws-chat load");
    };
    let mut wc = WsConfig::new(
        super::ws::ws_url(base)?,
        clients,
        rooms.min(clients).max(1),
        msg_rate_per_client,
        opts.window,
    );
    wc.keep_histogram = opts.keep_histogram;
    wc.drain = opts.drain;
    wc.warmup = opts.preroll;
    Ok(wc)
}

/// Drives `w` at `target` while sampling the server: CPU before and after
/// (whole process tree), memory every [`RSS_EVERY`].
pub async fn drive(
    target: &mut dyn Target,
    cfg: &SuiteConfig,
    w: &Workload,
    opts: &DriveOpts,
) -> Measured {
    let base = target.base_url();
    let (report, mut usage) = if w.is_ws() {
        match ws_config(&base, w, opts) {
            Ok(mut wc) => {
                // The harness's runtime threads run on the generator's cores.
                wc.cores = Some(cfg.settings.generator_cpus.len()).filter(|n| *n > 0);
                wc.cpus = wc.cores.map(|_| cfg.settings.generator_cpus.clone());
                let bound = opts.preroll + opts.window + wc.drain + wc.connect_timeout;
                let (r, u) = sampled(&*target, ws::execute(&wc), bound).await;
                (r.map(Either::Ws), u)
            }
            Err(e) => (Err(e), ServerUsage::default()),
        }
    } else {
        match http_config(cfg, &base, w, opts) {
            Ok(mut lc) => {
                if let Some(streams) = target.http2_streams() {
                    super::h2::apply(&mut lc, streams);
                }
                let bound = opts.preroll + opts.window + opts.timeout;
                let (r, u) = sampled(&*target, crate::load::execute(&lc), bound).await;
                (r.map(Either::Http), u)
            }
            Err(e) => (Err(e), ServerUsage::default()),
        }
    };
    let crashed = (!target.is_alive()).then(|| target.stderr_tail(20));
    let (load, ws, error) = match report {
        Ok(Either::Http(l)) => (Some(l), None, None),
        Ok(Either::Ws(r)) => (None, Some(r), None),
        Err(e) => (None, None, Some(e)),
    };
    let done = load
        .as_ref()
        .map(|l| l.requests)
        .or(ws.as_ref().map(|r| r.delivered))
        .unwrap_or(0);
    if !usage.cpu_source.is_empty() && done > 0 {
        // Windows exclude the pre-roll (ws: the warm-up), whose CPU is in
        // `cpu_us` too: charge it by the pre-roll's share of the wall time.
        let window = load
            .as_ref()
            .map(|l| l.duration_s)
            .or(ws.as_ref().map(|r| r.duration_s));
        let recorded = window.map_or(1.0, |w| {
            let total = opts.preroll.as_secs_f64() + w;
            if total > 0.0 { w / total } else { 1.0 }
        });
        usage.cpu_us_per_req = Some(usage.cpu_us as f64 * recorded / done as f64);
    }
    Measured {
        load,
        ws,
        usage,
        error,
        crashed,
    }
}

#[allow(clippy::large_enum_variant)]
enum Either {
    Http(LoadReport),
    Ws(WsReport),
}

/// Runs `load` while sampling the target's memory every [`RSS_EVERY`] and its
/// CPU before and after. `bound` is the load's expected length (the sampler
/// stops by itself 30 s after it).
pub async fn sampled<T>(
    target: &dyn Target,
    load: impl std::future::Future<Output = anyhow::Result<T>>,
    bound: Duration,
) -> (anyhow::Result<T>, ServerUsage) {
    let before = target.sample();
    let started = Instant::now();
    let peak = AtomicU64::new(before.map_or(0, |s| s.rss_bytes));
    let pss = AtomicBool::new(before.is_none_or(|s| s.pss));
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
                if !s.pss {
                    pss.store(false, Ordering::Relaxed);
                }
            }
            tokio::time::sleep(RSS_EVERY).await;
        }
    };
    let (report, ()) = tokio::join!(load, sampler);
    let after = target.sample();
    let wall = started.elapsed();
    if let Some(s) = after {
        peak.fetch_max(s.rss_bytes, Ordering::Relaxed);
    }
    let mut usage = ServerUsage {
        cpu_source: target.cpu_source(),
        wall_us: wall.as_micros() as u64,
        ..ServerUsage::default()
    };
    if let (Some(b), Some(a)) = (before, after) {
        usage.cpu_us = a.cpu_us.saturating_sub(b.cpu_us);
        usage.rss_idle_bytes = b.rss_bytes;
        usage.rss_peak_bytes = peak.load(Ordering::Relaxed);
        usage.memory_kind = if pss.load(Ordering::Relaxed) && a.pss {
            "private+shared".into()
        } else {
            "vmrss".into()
        };
        if !usage.cpu_source.is_empty() && usage.wall_us > 0 {
            usage.cores_used = Some(usage.cpu_us as f64 / usage.wall_us as f64);
        }
    }
    (report, usage)
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
            per_100ms: Vec::new(),
            generator: GeneratorUsage::default(),
            warnings: Vec::new(),
            histogram_b64: None,
            histogram_uncorrected_b64: None,
            run: None,
        }
    }

    fn measured(load: LoadReport) -> Measured {
        Measured {
            load: Some(load),
            ws: None,
            usage: ServerUsage::default(),
            error: None,
            crashed: None,
        }
    }

    #[test]
    fn errors_invalidate_and_missed_rate_only_flags() {
        let m = measured(report(100, 0, Some(1000.0), Some(900.0)));
        let (f, valid) = point_flags(m.outcome(), false, None);
        assert!(valid);
        assert_eq!(
            f,
            vec![Flag::RateNotReached {
                target_rps: 1000.0,
                achieved_rps: 900.0
            }]
        );
        let m = measured(report(100, 3, None, None));
        let (f, valid) = point_flags(m.outcome(), true, None);
        assert!(!valid);
        assert_eq!(f, vec![Flag::Errors { count: 3 }, Flag::SharedCores]);
        let (f, valid) = point_flags(None, false, Some(vec!["boom".into()]));
        assert!(!valid);
        assert_eq!(
            f,
            vec![Flag::ServerCrashed {
                stderr_tail: vec!["boom".into()]
            }]
        );
    }

    #[test]
    fn levels_change_the_load_not_its_kind() {
        let w = Workload::new("/json", PointKind::FixedRate { rps: 100.0 });
        assert_eq!(w.at_level(250.0).kind, PointKind::FixedRate { rps: 250.0 });
        let ws = Workload::new(
            "/ws/chat",
            PointKind::Ws {
                clients: 100,
                rooms: 10,
                msg_rate_per_client: 1.0,
            },
        );
        assert_eq!(
            ws.at_level(341.6).kind,
            PointKind::Ws {
                clients: 342,
                rooms: 35,
                msg_rate_per_client: 1.0
            }
        );
        assert!(
            ws.is_planned()
                && !Workload::new("/json", PointKind::Peak { connections: 1 }).is_planned()
        );
    }
}
