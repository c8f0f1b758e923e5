//! The `ws-chat` checks (`spec/ws-chat.md`): two clients in room A, one in
//! room B; echo, byte-for-byte broadcast, room isolation, order, binary
//! frames ignored, and a room that keeps working after a member leaves.
//! Every wait is bounded so a bad server cannot hang `verify`.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use super::checks::Ctx;
use super::http::fmt_dur;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a room member waits for a frame that must arrive.
pub const WS_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a member of another room listens for a frame that must not arrive.
const QUIET: Duration = Duration::from_millis(300);

struct Member {
    name: &'static str,
    ws: Ws,
    /// Frames this member may see in between (the other members' joins).
    noise: HashSet<String>,
}

/// Runs the ws-chat checks against `ws://HOST:PORT/ws/chat`.
pub async fn run(cx: &mut Ctx<'_>, timeout: Duration) {
    let tag = unique_tag();
    let room_a = format!("verify-a-{tag}");
    let room_b = format!("verify-b-{tag}");
    let mut members = Vec::new();
    for (name, room) in [("A1", &room_a), ("A2", &room_a), ("B1", &room_b)] {
        let url = format!("ws://{}/ws/chat?room={room}", cx.target.authority());
        match tokio::time::timeout(timeout, connect_async(url.as_str())).await {
            Err(_) => {
                cx.record(
                    "connect",
                    Err(format!(
                        "{name}: no WebSocket handshake within {}",
                        fmt_dur(timeout)
                    )),
                );
                return;
            }
            Ok(Err(e)) => {
                cx.record(
                    "connect",
                    Err(format!("{name}: expected 101 Switching Protocols, got {e}")),
                );
                return;
            }
            Ok(Ok((ws, _))) => members.push(Member {
                name,
                ws,
                noise: HashSet::new(),
            }),
        }
    }
    cx.record("connect (A1, A2 in room A; B1 in room B)", Ok(()));
    let [a1, a2, b1] = &mut members[..] else {
        return;
    };

    // Each member's own first message proves it has joined; others in its
    // room may or may not see it, depending on when they joined.
    let hellos: Vec<String> = ["A1", "A2", "B1"]
        .iter()
        .map(|n| message(&tag, &format!("join-{n}")))
        .collect();
    a1.noise.extend(hellos[..2].iter().cloned());
    a2.noise.extend(hellos[..2].iter().cloned());
    b1.noise.insert(hellos[2].clone());
    for (m, hello) in [&mut *a1, &mut *a2, &mut *b1].into_iter().zip(&hellos) {
        let echoed = send_and_expect(m, hello, timeout).await;
        if !cx.record(format!("echo to the sender ({})", m.name), echoed) {
            return;
        }
    }

    let m1 = message(&tag, "m1");
    if let Err(e) = send(a1, &m1).await {
        cx.record("A1 sends", Err(e));
        return;
    }
    let echo = expect(a1, &m1, timeout).await;
    cx.record("echo byte-for-byte (A1 → A1)", echo);
    let fan = expect(a2, &m1, timeout).await;
    cx.record("broadcast byte-for-byte (A1 → A2)", fan);
    let isolated = match next_text(b1, QUIET).await {
        Ok(None) => Ok(()),
        Ok(Some(got)) => Err(format!(
            "expected nothing in room B within {}, got {got:?}",
            fmt_dur(QUIET)
        )),
        Err(e) => Err(e),
    };
    cx.record("rooms isolated (A1 ↛ B1)", isolated);

    // Binary frames are ignored; text frames arrive in the order sent.
    let burst: Vec<String> = (2..=4).map(|i| message(&tag, &format!("m{i}"))).collect();
    let mut sent = a1.ws.send(Message::binary(b"ignored".to_vec())).await;
    for m in &burst {
        if sent.is_ok() {
            sent = a1.ws.send(Message::text(m.clone())).await;
        }
    }
    if let Err(e) = sent {
        cx.record("A1 sends", Err(format!("sending failed: {e}")));
        return;
    }
    let mut ordered = Ok(());
    for m in &burst {
        ordered = expect(a2, m, timeout).await;
        if ordered.is_err() {
            break;
        }
    }
    cx.record(
        "order kept, binary ignored (A1 → A2: bin, m2, m3, m4)",
        ordered,
    );
    let mut own = Ok(());
    for m in &burst {
        own = expect(a1, m, timeout).await;
        if own.is_err() {
            break;
        }
    }
    cx.record("order kept (A1 → A1: m2, m3, m4)", own);

    // A2 leaves; the room must keep working for A1.
    let _ = tokio::time::timeout(timeout, a2.ws.close(None)).await;
    let _ = tokio::time::timeout(QUIET, async { while a2.ws.next().await.is_some() {} }).await;
    let m5 = message(&tag, "m5");
    let after = send_and_expect(a1, &m5, timeout).await;
    cx.record("echo after a member left (A2 closed, A1 → A1)", after);

    for m in members.iter_mut() {
        let _ = tokio::time::timeout(Duration::from_millis(200), m.ws.close(None)).await;
    }
}

/// A chat message: spaced, with a non-ASCII field, so a server that parses
/// and re-serialises it is caught by the byte-for-byte comparison.
fn message(tag: &str, id: &str) -> String {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!(r#"{{ "id": "{tag}-{id}", "ts": {ts}, "note": "héllo — ✓", "n": 1.50 }}"#)
}

fn unique_tag() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

async fn send(m: &mut Member, text: &str) -> Result<(), String> {
    m.ws.send(Message::text(text.to_string()))
        .await
        .map_err(|e| format!("{}: sending failed: {e}", m.name))
}

async fn send_and_expect(m: &mut Member, text: &str, timeout: Duration) -> Result<(), String> {
    send(m, text).await?;
    expect(m, text, timeout).await
}

/// The next text frame (other than known noise) must be `want`, byte for byte.
async fn expect(m: &mut Member, want: &str, timeout: Duration) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next_text(m, left)
            .await
            .map_err(|e| format!("{}: {e}", m.name))?
        {
            None => {
                return Err(format!(
                    "{}: expected {want:?} within {}, got nothing",
                    m.name,
                    fmt_dur(timeout)
                ));
            }
            Some(got) if got == want => return Ok(()),
            Some(got) if m.noise.contains(&got) => {}
            Some(got) => {
                return Err(format!("{}: expected {want:?}, got {got:?}", m.name));
            }
        }
    }
}

/// The next text frame within `wait` (`None`: nothing came); a binary frame,
/// a close or a broken connection is an error.
async fn next_text(m: &mut Member, wait: Duration) -> Result<Option<String>, String> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let frame = match tokio::time::timeout_at(deadline, m.ws.next()).await {
            Err(_) => return Ok(None),
            Ok(None) => return Err("the server closed the connection".into()),
            Ok(Some(Err(e))) => return Err(format!("connection failed: {e}")),
            Ok(Some(Ok(frame))) => frame,
        };
        match frame {
            Message::Text(text) => return Ok(Some(text.as_str().to_string())),
            Message::Binary(b) => {
                return Err(format!(
                    "expected only text frames, got a binary frame of {} bytes",
                    b.len()
                ));
            }
            Message::Close(c) => {
                return Err(format!("the server closed the WebSocket ({c:?})"));
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
}
