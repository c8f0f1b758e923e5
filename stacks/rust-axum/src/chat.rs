//! `ws-chat` (spec/ws-chat.md): a map room → members, each member an
//! unbounded queue drained by its own writer. Every text frame a member sends
//! goes, unchanged, to every member of its room, the sender included, in the
//! order the room received them. The broadcaster never waits for a member: a
//! member with more than [`MAX_PENDING_BYTES`] queued is disconnected (the
//! back-pressure rule of spec/ws-chat.md, the same in every stack).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use crate::routes::AppState;

/// Bytes queued for one member beyond which it is disconnected.
const MAX_PENDING_BYTES: usize = 4 * 1024 * 1024;

struct Member {
    tx: mpsc::UnboundedSender<Utf8Bytes>,
    pending: Arc<AtomicUsize>,
}

type Room = HashMap<u64, Member>;

/// The rooms with at least one member.
#[derive(Default, Clone)]
pub struct Rooms {
    rooms: Arc<Mutex<HashMap<String, Room>>>,
    next_id: Arc<AtomicU64>,
}

impl Rooms {
    fn join(&self, room: &str, member: Member) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms.entry(room.to_string()).or_default().insert(id, member);
        id
    }

    fn leave(&self, room: &str, id: u64) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(members) = rooms.get_mut(room) {
            members.remove(&id);
            if members.is_empty() {
                rooms.remove(room);
            }
        }
    }

    /// Queues `text` for every member of `room`; drops the members too far behind.
    fn broadcast(&self, room: &str, text: Utf8Bytes) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let Some(members) = rooms.get_mut(room) else {
            return;
        };
        members.retain(|_, m| {
            if m.pending.load(Ordering::Relaxed) > MAX_PENDING_BYTES {
                return false; // dropping its sender ends its writer: disconnected
            }
            m.pending.fetch_add(text.len(), Ordering::Relaxed);
            m.tx.send(text.clone()).is_ok()
        });
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
    let (tx, mut rx) = mpsc::unbounded_channel::<Utf8Bytes>();
    let pending = Arc::new(AtomicUsize::new(0));
    let id = rooms.join(
        &room,
        Member {
            tx,
            pending: pending.clone(),
        },
    );
    let (mut sink, mut stream) = socket.split();
    let writer = async {
        while let Some(text) = rx.recv().await {
            let len = text.len();
            if sink.send(Message::Text(text)).await.is_err() {
                break;
            }
            pending.fetch_sub(len, Ordering::Relaxed);
        }
    };
    let reader = async {
        while let Some(frame) = stream.next().await {
            match frame {
                Ok(Message::Text(text)) => rooms.broadcast(&room, text),
                Ok(Message::Close(_)) | Err(_) => break,
                // Binary frames are ignored; pings are answered by the library.
                Ok(_) => {}
            }
        }
    };
    tokio::select! {
        () = writer => {}
        () = reader => {}
    }
    rooms.leave(&room, id);
}
