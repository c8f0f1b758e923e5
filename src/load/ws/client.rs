//! Client tasks of the WebSocket chat load: bounded-concurrency connects,
//! a planned writer and a recording reader per client, idle connections.
//! The tasks run on their lane's runtime (`super::lanes`).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::{SHARDS, Shared, WsConfig};
use crate::load::record;
use crate::load::recorder::LATE;

type Ws = WebSocketStream<TcpStream>;

/// The outcome of connecting each client this agent drives: its (global)
/// index and a stream or the reason it failed.
pub(crate) type Connected = Vec<(usize, Result<Ws, String>)>;

/// Bytes a connection reads at once. tungstenite zero-fills this much of its
/// read buffer before every read, so its default (128 KiB) cost the chat
/// generator ~45 % of its CPU (a memset for each ~50-byte frame, measured
/// with perf at 2,000 clients); frames of the contract are far smaller.
const READ_BUFFER: usize = 4096;

/// Opens one WebSocket connection (TCP_NODELAY, no TLS).
async fn connect_one(mut url: url::Url) -> Result<Ws, String> {
    if url.scheme() == "http" {
        let _ = url.set_scheme("ws");
    }
    let host = url.host_str().ok_or("URL has no host")?.to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let stream = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("connect {host}:{port}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let (ws, _) = tokio_tungstenite::client_async_with_config(url.as_str(), stream, Some(config))
        .await
        .map_err(|e| format!("WebSocket handshake with {url}: {e}"))?;
    Ok(ws)
}

/// Connects the clients `own` (global indexes), at most
/// `connect_concurrency` at a time, in client order.
/// Handshakes still unanswered at `hard` fail there.
pub(crate) async fn connect_all(cfg: &WsConfig, hard: Option<Instant>, own: &[usize]) -> Connected {
    let permits = Arc::new(tokio::sync::Semaphore::new(cfg.connect_concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (slot, &i) in own.iter().enumerate() {
        let url = cfg.room_url(i);
        let permits = permits.clone();
        let limit = cfg.connect_timeout;
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let own = Instant::now() + limit;
            let until = hard.map_or(own, |h| h.min(own));
            let ws = match timeout_at(until, connect_one(url)).await {
                Ok(res) => res,
                Err(_) if until < own => Err("handshake unanswered at the run's deadline".into()),
                Err(_) => Err(format!("handshake took longer than {limit:?}")),
            };
            (slot, ws)
        });
    }
    let mut out: Connected = own
        .iter()
        .map(|&i| (i, Err("not attempted".into())))
        .collect();
    while let Some(joined) = set.join_next().await {
        if let Ok((slot, ws)) = joined {
            out[slot].1 = ws;
        }
    }
    out
}

/// Spawns a writer and a reader per connected client; every task ends by
/// `shared.deadline`.
pub(crate) fn spawn_all(
    cfg: &WsConfig,
    connected: Connected,
    shared: &Arc<Shared>,
) -> Vec<JoinHandle<()>> {
    let interval = (cfg.msg_rate_per_client > 0.0)
        .then(|| Duration::from_secs_f64(1.0 / cfg.msg_rate_per_client));
    let n = cfg.clients as f64;
    let mut handles = Vec::with_capacity(connected.len() * 2);
    for (i, ws) in connected {
        let Ok(ws) = ws else { continue };
        let room = i % cfg.rooms;
        // Spread the clients' first sends evenly over one interval so the
        // offered load is smooth, not a burst every interval.
        let phase = interval.map(|iv| iv.mul_f64(i as f64 / n));
        let (sink, stream) = ws.split();
        handles.push(tokio::spawn(read_loop(
            stream,
            room,
            i % SHARDS,
            shared.clone(),
        )));
        handles.push(tokio::spawn(write_loop(
            sink,
            i,
            room,
            phase,
            interval,
            shared.clone(),
        )));
    }
    handles
}

async fn write_loop(
    mut sink: futures_util::stream::SplitSink<Ws, Message>,
    client: usize,
    room: usize,
    phase: Option<Duration>,
    interval: Option<Duration>,
    sh: Arc<Shared>,
) {
    if let (Some(phase), Some(interval)) = (phase, interval) {
        for k in 0u64.. {
            let intended = sh.t0 + phase + interval.mul_f64(k as f64);
            if intended >= sh.send_end {
                break;
            }
            // Same rule as the HTTP engine: a writer that was idle sleeps until
            // the plan's time (tokio's timer ticks in milliseconds) and stamps
            // its actual send, so timer granularity is not charged to the
            // server; a writer still blocked by an earlier send when this
            // message was due stamps the intended time, so back-pressure is.
            let queued = Instant::now() > intended;
            sleep_until(intended).await;
            let now = Instant::now();
            let recorded = intended >= sh.record_from;
            if recorded && now.saturating_duration_since(intended) > LATE {
                sh.counters.late_sends.fetch_add(1, Ordering::Relaxed);
            }
            let from = if queued { intended } else { now };
            let mut ts = from.duration_since(sh.t0).as_micros();
            if !recorded {
                // Stays a warm-up message for the readers, sent late or not.
                ts = ts.min(
                    sh.record_from
                        .duration_since(sh.t0)
                        .as_micros()
                        .saturating_sub(1),
                );
            }
            let text = format!(r#"{{"id":"{client}-{k}","ts":{ts}}}"#);
            // Members are counted at send time: a member that leaves later
            // still should have received what was sent before.
            let members = sh.members[room].load(Ordering::Relaxed);
            match timeout_at(sh.deadline, sink.send(Message::text(text))).await {
                Ok(Ok(())) if recorded => {
                    sh.counters.sent.fetch_add(1, Ordering::Relaxed);
                    sh.counters.expected.fetch_add(members, Ordering::Relaxed);
                }
                Ok(Ok(())) => {}
                _ => break,
            }
        }
    }
    // Close only after the readers have stopped at the deadline, so our own
    // close is never counted as a dropped connection.
    sleep_until(sh.deadline + Duration::from_millis(100)).await;
    let _ = timeout(Duration::from_millis(200), sink.close()).await;
}

async fn read_loop(
    mut stream: futures_util::stream::SplitStream<Ws>,
    room: usize,
    shard: usize,
    sh: Arc<Shared>,
) {
    let window_us = sh.deadline.duration_since(sh.t0).as_micros() as u64;
    let warmup_us = sh.record_from.duration_since(sh.t0).as_micros() as u64;
    // One timer for the whole run (a timeout around each read would arm
    // and disarm one per frame).
    let over = sleep_until(sh.deadline);
    tokio::pin!(over);
    loop {
        let frame = tokio::select! {
            biased;
            _ = &mut over => return, // the run is over
            frame = stream.next() => frame,
        };
        match frame {
            Some(Ok(Message::Text(text))) => {
                let now = Instant::now();
                match super::stamp::parse_ts(text.as_str()) {
                    // A warm-up message: read, not recorded.
                    Some(ts) if ts < warmup_us => {}
                    Some(ts) if ts <= window_us => {
                        let intended = sh.t0 + Duration::from_micros(ts);
                        let mut hist = sh.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
                        record::record(&mut hist, now.saturating_duration_since(intended));
                        drop(hist);
                        sh.counters.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        sh.counters.malformed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                sh.members[room].fetch_sub(1, Ordering::Relaxed);
                sh.counters.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Some(Ok(_)) => {} // binary, ping, pong: not part of the chat
        }
    }
}

/// Idle WebSocket connections held open (for memory per connection); closed on drop.
pub struct IdleClients {
    streams: Vec<Ws>,
    /// Connections that failed, with the first failure's reason.
    pub failed: usize,
    pub first_error: Option<String>,
}

impl IdleClients {
    /// Opens `clients` connections spread over `rooms` rooms of `url`.
    pub async fn open(
        url: url::Url,
        clients: usize,
        rooms: usize,
        connect_timeout: Duration,
    ) -> IdleClients {
        let mut cfg = WsConfig::new(
            url,
            clients.max(1),
            rooms.clamp(1, clients.max(1)),
            0.0,
            Duration::ZERO,
        );
        cfg.connect_timeout = connect_timeout;
        let mut streams = Vec::with_capacity(clients);
        let mut failed = 0;
        let mut first_error = None;
        for (_, res) in connect_all(&cfg, None, &cfg.own_clients()).await {
            match res {
                Ok(ws) => streams.push(ws),
                Err(e) => {
                    failed += 1;
                    first_error.get_or_insert(e);
                }
            }
        }
        IdleClients {
            streams,
            failed,
            first_error,
        }
    }

    /// Connections currently held open.
    pub fn open_count(&self) -> usize {
        self.streams.len()
    }
}
