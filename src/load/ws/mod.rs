//! WebSocket chat load (`ringside load --ws`): N clients spread over R rooms
//! of `/ws/chat` (spec/ws-chat.md), each sending at a planned rate (open
//! loop), and fan-out delivery latency measured from each message's
//! *intended* send time to its receipt at every member of the room.
//!
//! Deliveries are counted against what was expected (each sent message ×
//! members of its room at send time), so lost messages show; every task ends
//! at the deadline (duration + drain), whatever the server does.

pub mod cli;
mod client;
mod lanes;
mod stamp;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::load::record;
use crate::load::report::{RunInfo, WS_SCHEMA, WsReport};
use crate::load::shard::AgentPlan;
use crate::load::sys;

pub use client::IdleClients;

/// A validated WebSocket chat load.
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// `ws://127.0.0.1:PORT/ws/chat`; the engine appends `?room=room-K`.
    pub url: url::Url,
    /// Client connections.
    pub clients: usize,
    /// Rooms; client i joins room `i % rooms`.
    pub rooms: usize,
    /// Messages each client sends per second (0: connect and stay silent).
    pub msg_rate_per_client: f64,
    /// Recorded sending window.
    pub duration: Duration,
    /// Sending before the recorded window, on the same plan, not recorded:
    /// what a load does right after thousands of handshakes is not the
    /// steady state at that load (`load --ws --warmup`, capacity steps).
    pub warmup: Duration,
    /// How long receivers keep reading after the last planned send; a
    /// delivery not received by then counts as lost.
    pub drain: Duration,
    /// Per-connection handshake timeout.
    pub connect_timeout: Duration,
    /// Handshakes in flight at once.
    pub connect_concurrency: usize,
    /// Keep the raw delivery-latency histogram in the report.
    pub keep_histogram: bool,
    /// This process as one agent of a split run: it drives whole rooms (see
    /// `load::shard`); `clients` and `rooms` describe the whole run.
    pub agent: AgentPlan,
    /// `load --ws -d D`: the whole run, handshakes included, ends within
    /// D + drain + this grace of its start (`None`: the harness's loads,
    /// which connect for as long as their clients need).
    pub deadline_grace: Option<Duration>,
    /// Cores the generator's threads are pinned to (`None`: not pinned).
    /// Threads beyond them add no capacity: the generator's utilisation is
    /// its CPU time over the smaller of threads and cores. The clients run
    /// on one thread a core (else one a worker of the calling runtime).
    pub cores: Option<usize>,
    /// The cores themselves, to pin the client threads to (`None`: the
    /// threads keep the affinity they are started with).
    pub cpus: Option<Vec<usize>>,
}

impl WsConfig {
    /// `clients` clients in `rooms` rooms, each sending `rate` messages/s for `duration`.
    pub fn new(url: url::Url, clients: usize, rooms: usize, rate: f64, duration: Duration) -> Self {
        WsConfig {
            url,
            clients,
            rooms,
            msg_rate_per_client: rate,
            duration,
            warmup: Duration::ZERO,
            drain: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(5),
            connect_concurrency: 64,
            keep_histogram: false,
            agent: AgentPlan::default(),
            deadline_grace: None,
            cores: None,
            cpus: None,
        }
    }

    /// The (global) indexes of the clients this agent drives: all of them, or
    /// those whose room is this agent's.
    pub fn own_clients(&self) -> Vec<usize> {
        let rooms = self.rooms.max(1);
        (0..self.clients)
            .filter(|i| self.agent.shard.is_none_or(|s| s.owns_room(i % rooms)))
            .collect()
    }

    /// The URL client `i` connects to.
    pub fn room_url(&self, i: usize) -> url::Url {
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .clear()
            .append_pair("room", &format!("room-{}", i % self.rooms.max(1)));
        url
    }

    fn validate(&self) -> anyhow::Result<()> {
        use crate::error::bad_input_msg;
        if !matches!(self.url.scheme(), "ws" | "http") {
            return Err(bad_input_msg(format!(
                "WebSocket URL `{}` must use ws:// (wss is not supported)",
                self.url
            )));
        }
        if self.clients == 0 {
            return Err(bad_input_msg("--clients must be at least 1"));
        }
        if self.rooms == 0 || self.rooms > self.clients {
            return Err(bad_input_msg(format!(
                "--rooms must be between 1 and --clients ({}), got {}",
                self.clients, self.rooms
            )));
        }
        if let Some(shard) = self.agent.shard
            && (self.rooms as u64) < u64::from(shard.count)
        {
            return Err(bad_input_msg(format!(
                "--rooms {} cannot be split over {} agents: each agent drives whole rooms, so \
                 give at least {} rooms",
                self.rooms, shard.count, shard.count
            )));
        }
        if !self.msg_rate_per_client.is_finite() || self.msg_rate_per_client < 0.0 {
            return Err(bad_input_msg(format!(
                "--msg-rate must be a non-negative number of messages per second, got {}",
                self.msg_rate_per_client
            )));
        }
        Ok(())
    }
}

/// Counters shared by every client task of one run.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub sent: AtomicU64,
    pub late_sends: AtomicU64,
    pub expected: AtomicU64,
    pub delivered: AtomicU64,
    pub malformed: AtomicU64,
    pub dropped: AtomicU64,
}

/// Shared state of one run: counters, room membership, histogram shards.
pub(crate) struct Shared {
    pub counters: Counters,
    /// Live members of each room.
    pub members: Vec<AtomicU64>,
    /// Delivery latency shards (one lock per shard keeps contention low).
    pub shards: Vec<std::sync::Mutex<hdrhistogram::Histogram<u64>>>,
    /// Time zero of the send plan; `ts` in messages is microseconds since it.
    pub t0: Instant,
    /// Start of the recorded window (`t0` + warm-up): messages planned
    /// before it are sent and read but not counted.
    pub record_from: Instant,
    /// End of sending.
    pub send_end: Instant,
    /// End of the run: every task stops by then.
    pub deadline: Instant,
}

/// Time the writers take to close their connections after the deadline.
const CLOSE_TIME: Duration = Duration::from_millis(300);

const SHARDS: usize = 16;

/// Runs one chat load to completion: connect every client, send on plan,
/// drain, close. Called inside a tokio runtime.
pub async fn execute(cfg: &WsConfig) -> anyhow::Result<WsReport> {
    cfg.validate()?;
    sys::raise_nofile_limit();
    cfg.agent
        .wait_until_before_start(crate::load::shard::CONNECT_LEAD)
        .await;
    let connected_at = Instant::now();

    // `-d D` holds: past this instant nothing waits (handshakes included).
    let hard = cfg
        .deadline_grace
        .map(|g| Instant::now() + cfg.warmup + cfg.duration + cfg.drain + g);
    let own = cfg.own_clients();
    let lanes = lanes::start(cfg, &own, lanes::count(cfg, own.len()), hard)?;
    let threads = lanes.len();
    let mut connected = Vec::with_capacity(own.len());
    let mut starts = Vec::with_capacity(threads);
    let mut ends = Vec::with_capacity(threads);
    for lane in lanes {
        starts.push(lane.go);
        ends.push(lane.done);
        match lane.connected.await {
            Ok(Ok(outcomes)) => connected.extend(outcomes),
            Ok(Err(e)) => anyhow::bail!(e),
            Err(_) => anyhow::bail!("a WebSocket client thread ended before connecting"),
        }
    }
    connected.sort_unstable_by_key(|(i, _)| *i);
    let connecting = connected_at.elapsed();
    let attempts = connected.len();
    let connect_failed = connected.iter().filter(|(_, c)| c.is_err()).count() as u64;
    if let Some((_, Err(first))) = connected.iter().find(|(_, c)| c.is_err())
        && connect_failed == attempts as u64
    {
        anyhow::bail!(
            "no WebSocket client could connect ({attempts} attempts failed; first: {first}) — is the server running and does it serve {}?",
            cfg.url.path()
        );
    }

    let mut members: Vec<AtomicU64> = (0..cfg.rooms).map(|_| AtomicU64::new(0)).collect();
    for (i, c) in &connected {
        if c.is_ok() {
            *members[i % cfg.rooms].get_mut() += 1;
        }
    }
    // The plan starts at `--start-at` (if still ahead), else just after connecting.
    let now = (Instant::now(), SystemTime::now());
    let ahead = cfg
        .agent
        .start_at
        .and_then(|at| at.duration_since(now.1).ok())
        .unwrap_or(Duration::from_millis(20));
    let (t0, t0_wall) = (now.0 + ahead, now.1 + ahead);
    let record_from = t0 + cfg.warmup;
    let mut send_end = record_from + cfg.duration;
    let mut deadline = send_end + cfg.drain;
    if let Some(hard) = hard
        && deadline + CLOSE_TIME > hard
    {
        deadline = hard.checked_sub(CLOSE_TIME).unwrap_or(hard).max(t0);
        send_end = send_end.min(deadline);
    }
    let shared = Arc::new(Shared {
        counters: Counters::default(),
        members,
        shards: (0..SHARDS)
            .map(|_| std::sync::Mutex::new(record::new_histogram()))
            .collect(),
        t0,
        record_from,
        send_end,
        deadline,
    });

    let cpu_before = sys::process_cpu_time();
    let started = Instant::now();
    for go in starts {
        let _ = go.send(shared.clone());
    }
    // The generator is judged while it sends, its busiest part: the drain
    // after it would dilute a saturated generator's share below the line.
    let send_end = shared.send_end;
    let sending = tokio::spawn(async move {
        tokio::time::sleep_until(send_end).await;
        (sys::process_cpu_time(), Instant::now())
    });
    for done in ends {
        // Every client ends by the deadline on its own; the lane gives up
        // on a stuck one a second later, this waits a little longer.
        let _ = tokio::time::timeout_at(shared.deadline + Duration::from_secs(2), done).await;
    }
    let cpu = sys::process_cpu_time().saturating_sub(cpu_before);
    let window = shared.deadline.saturating_duration_since(t0);
    // (A panicked sampler leaves the whole run's figures.)
    let busy = match sending.await {
        Ok((at_end, at)) => (
            at_end.saturating_sub(cpu_before),
            at.saturating_duration_since(started),
        ),
        Err(_) => (cpu, window),
    };
    let mut report = build_report(cfg, &shared, attempts, connect_failed, busy, threads);
    if deadline < record_from + cfg.duration + cfg.drain {
        report.warnings.push(format!(
            "connecting took {:.1} s: the run was cut at its deadline ({} + {} drain + {} grace); sends and deliveries after it are missing",
            connecting.as_secs_f64(),
            humantime::format_duration(cfg.duration),
            humantime::format_duration(cfg.drain),
            humantime::format_duration(cfg.deadline_grace.unwrap_or_default()),
        ));
    }
    report.run = Some(RunInfo {
        method: "GET".into(),
        urls: vec![cfg.url.to_string()],
        requests_planned: None,
        shard: cfg.agent.shard,
        agents: vec![crate::load::shard::agent_info(
            &cfg.agent,
            t0_wall,
            SystemTime::now(),
            report.delivered,
        )],
        protocol: Some("websocket".into()),
        streams_per_connection: None,
    });
    Ok(report)
}

fn build_report(
    cfg: &WsConfig,
    shared: &Shared,
    clients: usize,
    connect_failed: u64,
    (cpu, wall): (Duration, Duration),
    threads: usize,
) -> WsReport {
    let c = &shared.counters;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut hist = record::new_histogram();
    for shard in &shared.shards {
        let shard = shard.lock().unwrap_or_else(|e| e.into_inner());
        let _ = hist.add(&*shard);
    }
    let (sent, expected, delivered) = (load(&c.sent), load(&c.expected), load(&c.delivered));
    let secs = cfg.duration.as_secs_f64().max(1e-9);
    let connected = clients as u64 - connect_failed;
    let rooms = (0..cfg.rooms)
        .filter(|r| cfg.agent.shard.is_none_or(|s| s.owns_room(*r)))
        .count();
    let keep_histogram = cfg.keep_histogram || cfg.agent.shard.is_some();
    let target_msg_rps = cfg.msg_rate_per_client * connected as f64;
    let achieved_msg_rps = sent as f64 / secs;
    let generator = sys::generator_usage(cpu, wall, threads, cfg.cores);
    let lost = expected.saturating_sub(delivered);

    let mut warnings = Vec::new();
    if connect_failed > 0 {
        warnings.push(format!(
            "{connect_failed} of {clients} clients could not connect"
        ));
    }
    if load(&c.dropped) > 0 {
        warnings.push(format!(
            "{} connections were closed or broken before the end",
            load(&c.dropped)
        ));
    }
    if lost > 0 {
        warnings.push(format!(
            "{lost} of {expected} expected deliveries were lost (not received within {:?} after sending ended)",
            cfg.drain
        ));
    }
    if load(&c.malformed) > 0 {
        warnings.push(format!(
            "{} frames were not the contract's JSON messages",
            load(&c.malformed)
        ));
    }
    if target_msg_rps > 0.0 && achieved_msg_rps < 0.95 * target_msg_rps {
        warnings.push(format!(
            "target rate not reached: {achieved_msg_rps:.0} of {target_msg_rps:.0} messages/s sent"
        ));
    }
    if generator.saturated {
        warnings.push(format!(
            "the generator was saturated ({:.0}% of its threads' CPU): latency may be the generator's, not the server's",
            generator.utilization * 100.0
        ));
    }

    WsReport {
        schema: WS_SCHEMA.to_string(),
        clients,
        rooms,
        msg_rate_per_client: cfg.msg_rate_per_client,
        duration_s: cfg.duration.as_secs_f64(),
        connected,
        connect_failed,
        dropped: load(&c.dropped),
        sent,
        expected_deliveries: expected,
        delivered,
        lost,
        malformed: load(&c.malformed),
        late_sends: load(&c.late_sends),
        target_msg_rps,
        achieved_msg_rps,
        delivered_per_s: delivered as f64 / secs,
        latency: record::stats(&hist),
        generator,
        warnings,
        histogram_b64: if keep_histogram {
            record::to_base64(&hist).ok()
        } else {
            None
        },
        run: None,
    }
}
