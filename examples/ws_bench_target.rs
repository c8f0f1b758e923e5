//! A fast WebSocket chat target for `bench/ws_clients.sh`: the ws-chat
//! contract (spec/ws-chat.md) with one tokio broadcast channel per room, so
//! the benchmark measures the generator, not the server.
//!
//! Usage: `ws_bench_target PORT` (listens on 127.0.0.1:PORT, runs until killed).

// tungstenite's handshake callback returns its own large error type.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

type Rooms = Arc<Mutex<HashMap<String, broadcast::Sender<Message>>>>;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(9090);
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind 127.0.0.1");
    let rooms: Rooms = Arc::default();
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let rooms = rooms.clone();
        tokio::spawn(async move {
            let mut room = String::from("lobby");
            // tungstenite zero-fills its whole read buffer (128 KiB by
            // default) before each read: 4 KiB keeps that off the target's core.
            let config = WebSocketConfig::default().read_buffer_size(4096);
            let Ok(ws) = tokio_tungstenite::accept_hdr_async_with_config(
                tcp,
                |req: &Request, resp: Response| {
                    if let Some(q) = req.uri().query() {
                        room = q.trim_start_matches("room=").to_string();
                    }
                    Ok(resp)
                },
                Some(config),
            )
            .await
            else {
                return;
            };
            let tx = rooms
                .lock()
                .unwrap()
                .entry(room)
                .or_insert_with(|| broadcast::channel(4096).0)
                .clone();
            let mut rx = tx.subscribe();
            let (mut sink, mut stream) = ws.split();
            let forward = tokio::spawn(async move {
                while let Ok(msg) = rx.recv().await {
                    if sink.send(msg).await.is_err() {
                        return;
                    }
                }
            });
            while let Some(Ok(msg)) = stream.next().await {
                if msg.is_text() {
                    let _ = tx.send(msg);
                }
            }
            forward.abort();
        });
    }
}
