//! Lanes of the chat load: one thread a generator core, each with its own
//! single-threaded tokio runtime (pinned to the generator's cores when they
//! are given), connecting and then driving its share of the clients.
//!
//! A client's socket, reader and writer stay on one thread from handshake to
//! close: no wake-up crosses threads and nothing is work-stolen, which is
//! what a generator pinned to one core can afford (two runtime threads
//! sharing one core cost more than they add). The run's coordinator (in
//! `execute`) sees only each client's connect outcome, then hands every lane
//! the shared plan and counters, and waits for the lanes to finish.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::{Instant, timeout_at};

use super::{Shared, WsConfig, client};
use crate::load::sys;

/// Each client's (global index, connect outcome), the stream kept in its lane.
pub(crate) type Outcomes = Vec<(usize, Result<(), String>)>;

/// A lane thread as the coordinator sees it.
pub(crate) struct Lane {
    /// The lane's connect outcomes (closed if the lane could not start).
    pub connected: oneshot::Receiver<Result<Outcomes, String>>,
    /// Starts the lane's clients on the shared plan (dropped: the lane gives up).
    pub go: oneshot::Sender<Arc<Shared>>,
    /// Resolves when every client of the lane has ended.
    pub done: oneshot::Receiver<()>,
}

/// The number of lanes of a run: one a pinned core (else one a worker of
/// the calling runtime), never more than the clients.
pub(crate) fn count(cfg: &WsConfig, clients: usize) -> usize {
    let threads = cfg.cores.unwrap_or_else(|| {
        tokio::runtime::Handle::try_current().map_or(1, |h| h.metrics().num_workers())
    });
    threads.clamp(1, clients.max(1))
}

/// Starts `lanes` lane threads; lane `k` drives `own[j]` for `j % lanes == k`.
/// Handshakes still unanswered at `hard` fail there.
pub(crate) fn start(
    cfg: &WsConfig,
    own: &[usize],
    lanes: usize,
    hard: Option<Instant>,
) -> anyhow::Result<Vec<Lane>> {
    let lanes = lanes.max(1);
    let mut cfg = cfg.clone();
    cfg.connect_concurrency = cfg.connect_concurrency.div_ceil(lanes).max(1);
    let cfg = Arc::new(cfg);
    let mut out = Vec::with_capacity(lanes);
    for k in 0..lanes {
        let mine: Vec<usize> = own.iter().skip(k).step_by(lanes).copied().collect();
        let (connected_tx, connected) = oneshot::channel();
        let (go, go_rx) = oneshot::channel();
        let (done_tx, done) = oneshot::channel();
        let cfg = cfg.clone();
        std::thread::Builder::new()
            .name(format!("ws-lane-{k}"))
            .spawn(move || {
                if let Some(cpus) = &cfg.cpus {
                    let _ = sys::pin_current_thread(cpus);
                }
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(drive(&cfg, &mine, hard, connected_tx, go_rx)),
                    Err(e) => {
                        let _ = connected_tx.send(Err(format!("starting a WebSocket lane: {e}")));
                    }
                }
                let _ = done_tx.send(());
            })
            .map_err(|e| anyhow::anyhow!("starting a WebSocket client thread: {e}"))?;
        out.push(Lane {
            connected,
            go,
            done,
        });
    }
    Ok(out)
}

/// One lane's life: connect its clients, report, wait for the plan, run them.
async fn drive(
    cfg: &WsConfig,
    mine: &[usize],
    hard: Option<Instant>,
    report: oneshot::Sender<Result<Outcomes, String>>,
    go: oneshot::Receiver<Arc<Shared>>,
) {
    let connected = client::connect_all(cfg, hard, mine).await;
    let outcomes = connected
        .iter()
        .map(|(i, c)| (*i, c.as_ref().map(|_| ()).map_err(Clone::clone)))
        .collect();
    if report.send(Ok(outcomes)).is_err() {
        return;
    }
    let Ok(shared) = go.await else { return };
    let handles = client::spawn_all(cfg, connected, &shared);
    for handle in handles {
        // Every task ends by the deadline on its own; the extra second only
        // guards against a task stuck outside an await point.
        let _ = timeout_at(shared.deadline + Duration::from_secs(1), handle).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lane_a_pinned_core_never_more_than_the_clients() {
        let mut cfg = WsConfig::new(
            "ws://127.0.0.1:1/ws/chat".parse().unwrap(),
            4,
            1,
            1.0,
            Duration::from_secs(1),
        );
        cfg.cores = Some(1);
        assert_eq!(count(&cfg, 4), 1);
        cfg.cores = Some(8);
        assert_eq!(count(&cfg, 4), 4);
        assert_eq!(count(&cfg, 0), 1);
        cfg.cores = None;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(3)
            .build()
            .unwrap();
        assert_eq!(rt.block_on(async { count(&cfg, 100) }), 3);
        assert_eq!(count(&cfg, 100), 1, "outside a runtime");
    }
}
