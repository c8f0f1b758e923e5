//! `ws-chat` (spec/ws-chat.md): a map room → broadcast channel. Every text
//! frame a member sends goes, unchanged, to every member of its room, the
//! sender included, in the order the channel received them. A member that
//! falls more than [`ROOM_BACKLOG`] messages behind is disconnected, so no
//! slow member blocks its room.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast;

use crate::routes::AppState;

/// Messages a room buffers for its slowest member.
const ROOM_BACKLOG: usize = 1024;

/// The rooms with at least one member.
#[derive(Default, Clone)]
pub struct Rooms(Arc<Mutex<HashMap<String, broadcast::Sender<Utf8Bytes>>>>);

impl Rooms {
    fn join(&self, room: &str) -> (broadcast::Sender<Utf8Bytes>, broadcast::Receiver<Utf8Bytes>) {
        let mut rooms = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let tx = rooms
            .entry(room.to_string())
            .or_insert_with(|| broadcast::channel(ROOM_BACKLOG).0)
            .clone();
        let rx = tx.subscribe();
        (tx, rx)
    }

    fn leave(&self, room: &str, rx: broadcast::Receiver<Utf8Bytes>) {
        let mut rooms = self.0.lock().unwrap_or_else(|e| e.into_inner());
        drop(rx);
        if rooms.get(room).is_some_and(|tx| tx.receiver_count() == 0) {
            rooms.remove(room);
        }
    }
}

/// `GET /ws/chat?room=R`: `room` is 1..=64 characters, `lobby` when missing or empty.
pub async fn upgrade(
    ws: WebSocketUpgrade,
    Query(params): Query<HashMap<String, String>>,
    State(state): State<Arc<AppState>>,
) -> Response {
    let room = match params.get("room").map(String::as_str) {
        None | Some("") => "lobby".to_string(),
        Some(r) if r.chars().count() <= 64 => r.to_string(),
        Some(_) => return (StatusCode::BAD_REQUEST, "room: at most 64 characters").into_response(),
    };
    let rooms = state.rooms.clone();
    ws.on_upgrade(move |socket| member(socket, room, rooms))
}

async fn member(socket: WebSocket, room: String, rooms: Rooms) {
    let (tx, mut rx) = rooms.join(&room);
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            received = rx.recv() => match received {
                Ok(text) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                // Lagged: too slow for the room.
                Err(_) => break,
            },
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let _ = tx.send(text);
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                // Binary frames are ignored; pings are answered by the library.
                Some(Ok(_)) => {}
            },
        }
    }
    rooms.leave(&room, rx);
}
