//! The WebSocket chat engine against in-process broadcast servers: exact
//! message counts, loss detection, dropped connections and malformed frames,
//! and every task stopping at the deadline.

// tungstenite's handshake callback returns its own large error type.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ringside::load::ws::{IdleClients, WsConfig, execute};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// How the test server misbehaves.
#[derive(Clone, Copy)]
enum Fault {
    None,
    /// Does not broadcast every Nth message received (counted globally).
    DropEvery(u64),
    /// Closes every connection after this long.
    CloseAfter(Duration),
    /// Sends this many non-JSON frames to each client on connect.
    Garbage(u64),
}

type Rooms = Arc<Mutex<HashMap<String, Vec<(u64, mpsc::UnboundedSender<Message>)>>>>;

async fn chat_server(fault: Fault) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let rooms: Rooms = Arc::default();
    let received = Arc::new(AtomicU64::new(0));
    let next_id = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (rooms, received, next_id) = (rooms.clone(), received.clone(), next_id.clone());
            tokio::spawn(async move {
                let mut room = String::from("lobby");
                let ws =
                    tokio_tungstenite::accept_hdr_async(tcp, |req: &Request, resp: Response| {
                        if let Some(q) = req.uri().query() {
                            room = q.trim_start_matches("room=").to_string();
                        }
                        Ok(resp)
                    })
                    .await;
                let Ok(ws) = ws else { return };
                let (mut sink, mut stream) = ws.split();
                let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
                let id = next_id.fetch_add(1, Ordering::SeqCst);
                rooms
                    .lock()
                    .await
                    .entry(room.clone())
                    .or_default()
                    .push((id, tx.clone()));
                if let Fault::Garbage(n) = fault {
                    for _ in 0..n {
                        let _ = tx.send(Message::text("not json"));
                    }
                }
                let writer = tokio::spawn(async move {
                    while let Some(msg) = rx.recv().await {
                        if sink.send(msg).await.is_err() {
                            return;
                        }
                    }
                });
                let reader = async {
                    while let Some(Ok(msg)) = stream.next().await {
                        if let Message::Text(_) = msg {
                            let n = received.fetch_add(1, Ordering::SeqCst) + 1;
                            if let Fault::DropEvery(every) = fault
                                && n % every == 0
                            {
                                continue;
                            }
                            for (_, member) in rooms.lock().await.get(&room).into_iter().flatten() {
                                let _ = member.send(msg.clone());
                            }
                        }
                    }
                };
                match fault {
                    Fault::CloseAfter(after) => {
                        let _ = tokio::time::timeout(after, reader).await;
                    }
                    _ => reader.await,
                }
                if let Some(members) = rooms.lock().await.get_mut(&room) {
                    members.retain(|(i, _)| *i != id);
                }
                drop(tx);
                writer.abort();
            });
        }
    });
    format!("ws://{addr}/ws/chat")
}

fn config(url: &str, clients: usize, rooms: usize, rate: f64, secs: f64) -> WsConfig {
    let mut cfg = WsConfig::new(
        url.parse().unwrap(),
        clients,
        rooms,
        rate,
        Duration::from_secs_f64(secs),
    );
    cfg.drain = Duration::from_millis(500);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_up_sends_on_plan_but_counts_only_the_window() {
    let url = chat_server(Fault::None).await;
    // 6 clients in 2 rooms of 3, 20 msg/s each: 0.5 s of warm-up (60 sends,
    // read and dropped), then 1 s recorded: 120 sent, each seen by 3.
    let mut cfg = config(&url, 6, 2, 20.0, 1.0);
    cfg.warmup = Duration::from_millis(500);
    let started = std::time::Instant::now();
    let report = execute(&cfg).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(1_500),
        "the warm-up runs before the window: {:?}",
        started.elapsed()
    );
    assert_eq!(report.sent, 120);
    assert_eq!(report.expected_deliveries, 360);
    assert_eq!(report.delivered, 360);
    assert_eq!(report.lost, 0);
    assert_eq!(report.malformed, 0, "warm-up frames are not malformed");
    assert_eq!(report.latency.count, 360);
    assert_eq!(report.duration_s, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_every_delivery_exactly() {
    let url = chat_server(Fault::None).await;
    // 6 clients in 2 rooms of 3, 20 msg/s each for 1 s: 120 sent, each seen by 3.
    let report = execute(&config(&url, 6, 2, 20.0, 1.0)).await.unwrap();
    assert_eq!(report.connected, 6);
    assert_eq!(report.sent, 120);
    assert_eq!(report.expected_deliveries, 360);
    assert_eq!(report.delivered, 360);
    assert_eq!(report.lost, 0);
    assert_eq!(report.malformed, 0);
    assert_eq!(report.latency.count, 360);
    assert!(
        report.latency.p99_us < 200_000,
        "loopback fan-out p99 {} µs",
        report.latency.p99_us
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_split_the_rooms_and_merge_to_the_whole_run() {
    use ringside::load::merge::{Named, merge_ws};
    use ringside::load::shard::{AgentPlan, Shard};
    let url = chat_server(Fault::None).await;
    // 9 clients in 3 rooms of 3, 10 msg/s each for 1 s: 90 sent, each seen by 3.
    let start_at = std::time::SystemTime::now() + Duration::from_millis(300);
    let agent = |index| {
        let mut cfg = config(&url, 9, 3, 10.0, 1.0);
        cfg.agent = AgentPlan {
            shard: Some(Shard { index, count: 2 }),
            start_at: Some(start_at),
        };
        async move { execute(&cfg).await.unwrap() }
    };
    let (a, b) = tokio::join!(agent(0), agent(1));
    // Agent 0 drives rooms 0 and 2 (6 clients), agent 1 room 1 (3 clients).
    assert_eq!((a.clients, a.rooms, b.clients, b.rooms), (6, 2, 3, 1));
    assert!(a.histogram_b64.is_some() && b.histogram_b64.is_some());
    let named = |name: &str, report| Named {
        name: name.into(),
        report,
    };
    let merged = merge_ws(&[named("a", a), named("b", b)], Duration::from_millis(250)).unwrap();
    assert_eq!((merged.clients, merged.rooms, merged.connected), (9, 3, 9));
    assert_eq!(merged.sent, 90);
    assert_eq!(merged.expected_deliveries, 270);
    assert_eq!(merged.delivered, 270);
    assert_eq!(merged.lost, 0);
    assert_eq!(merged.latency.count, 270);
    assert!(merged.warnings.is_empty(), "{:?}", merged.warnings);
    let run = merged.run.unwrap();
    assert_eq!(run.agents.len(), 2);
    assert_eq!(run.agents[0].start_at, run.agents[1].start_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detects_a_server_that_drops_messages() {
    let url = chat_server(Fault::DropEvery(10)).await;
    // 120 messages reach the server, every 10th is not broadcast: 12 × 3 members lost.
    let report = execute(&config(&url, 6, 2, 20.0, 1.0)).await.unwrap();
    assert_eq!(report.sent, 120);
    assert_eq!(report.lost, 36);
    assert_eq!(report.delivered, 324);
    assert!(
        report.warnings.iter().any(|w| w.contains("lost")),
        "{:?}",
        report.warnings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_closes_connections_is_reported_not_hung_on() {
    let url = chat_server(Fault::CloseAfter(Duration::from_millis(300))).await;
    let started = std::time::Instant::now();
    let report = execute(&config(&url, 4, 1, 10.0, 1.5)).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(report.dropped, 4);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("closed or broken")),
        "{:?}",
        report.warnings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_are_counted() {
    let url = chat_server(Fault::Garbage(3)).await;
    let report = execute(&config(&url, 2, 1, 5.0, 0.5)).await.unwrap();
    assert_eq!(report.malformed, 6);
    assert_eq!(report.lost, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_end_with_a_clear_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("ws://127.0.0.1:{port}/ws/chat");
    let err = execute(&config(&url, 3, 1, 1.0, 0.5)).await.unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("no WebSocket client could connect"), "{msg}");
    assert!(msg.contains("3 attempts failed"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_clients_stay_open_until_dropped() {
    let url = chat_server(Fault::None).await;
    let idle = IdleClients::open(url.parse().unwrap(), 50, 5, Duration::from_secs(2)).await;
    assert_eq!(idle.open_count(), 50);
    assert_eq!(idle.failed, 0);
}

/// The clients run on one thread a pinned core (else one a worker of the
/// calling runtime); the report's threads, the generator's saturation
/// capacity, follow, and deliveries add up exactly over the threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_run_on_one_thread_a_pinned_core_and_count_exactly() {
    let url = chat_server(Fault::None).await;
    for (cores, threads) in [(Some(1), 1), (Some(3), 3), (None, 2)] {
        let mut cfg = config(&url, 6, 2, 20.0, 1.0);
        cfg.cores = cores;
        let report = execute(&cfg).await.unwrap();
        assert_eq!(report.generator.threads, threads, "cores {cores:?}");
        assert_eq!(report.connected, 6);
        assert_eq!(
            (report.sent, report.delivered),
            (120, 360),
            "cores {cores:?}"
        );
        assert_eq!((report.lost, report.malformed), (0, 0));
    }
}
