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
use super::sockets;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a room member waits for a frame that must arrive.
pub const WS_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a member of another room listens for a frame that must not arrive.
const QUIET: Duration = Duration::from_millis(300);

struct Member {
    name: String,
    ws: Ws,
    /// Frames this member may see in between (the other members' joins).
    noise: HashSet<String>,
    /// The server process holding the connection (looked up with several workers).
    pid: Option<u32>,
}

/// Most members added to room A while looking for a second server process.
const EXTRA_MEMBERS: usize = 20;

impl Member {
    /// The server process holding this member's connection, when `/proc` tells.
    fn server_pid(&self, server_port: u16) -> Option<u32> {
        let MaybeTlsStream::Plain(stream) = self.ws.get_ref() else {
            return None;
        };
        let port = stream.local_addr().ok()?.port();
        sockets::server_side_pid(port, server_port)
    }
}

/// Connects one member to `room`.
async fn join(cx: &Ctx<'_>, name: String, room: &str, timeout: Duration) -> Result<Member, String> {
    let url = format!("ws://{}/ws/chat?room={room}", cx.target.authority());
    match tokio::time::timeout(timeout, connect_async(url.as_str())).await {
        Err(_) => Err(format!(
            "{name}: no WebSocket handshake within {}",
            fmt_dur(timeout)
        )),
        Ok(Err(e)) => Err(format!("{name}: expected 101 Switching Protocols, got {e}")),
        Ok(Ok((ws, _))) => Ok(Member {
            name,
            ws,
            noise: HashSet::new(),
            pid: None,
        }),
    }
}

/// Runs the ws-chat checks against `ws://HOST:PORT/ws/chat` with
/// `room_a` (at least 2) members in room A and one in room B. With more than
/// 2, members are added (up to [`EXTRA_MEMBERS`]) until they are held by two
/// server processes or more, so rooms kept per worker process are caught.
pub async fn run(cx: &mut Ctx<'_>, timeout: Duration, room_a: usize) {
    let room_a = room_a.max(2);
    let tag = unique_tag();
    let rooms = [format!("verify-a-{tag}"), format!("verify-b-{tag}")];
    let mut members = Vec::new();
    for i in 1..=room_a {
        match join(cx, format!("A{i}"), &rooms[0], timeout).await {
            Ok(m) => members.push(m),
            Err(e) => {
                cx.record("connect", Err(e));
                return;
            }
        }
    }
    let mut spread = String::new();
    if room_a > 2 {
        let port = cx.target.port;
        for m in members.iter_mut() {
            m.pid = m.server_pid(port);
        }
        let mut pids: HashSet<u32> = members.iter().filter_map(|m| m.pid).collect();
        while pids.len() == 1 && members.len() < room_a + EXTRA_MEMBERS {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let name = format!("A{}", members.len() + 1);
            match join(cx, name, &rooms[0], timeout).await {
                Ok(mut m) => {
                    m.pid = m.server_pid(port);
                    pids.extend(m.pid);
                    members.push(m);
                }
                Err(e) => {
                    cx.record("connect", Err(e));
                    return;
                }
            }
        }
        if !pids.is_empty() {
            let n = pids.len();
            spread = format!(" over {n} server process{}", if n == 1 { "" } else { "es" });
        }
    }
    let room_a = members.len();
    match join(cx, "B1".to_string(), &rooms[1], timeout).await {
        Ok(m) => members.push(m),
        Err(e) => {
            cx.record("connect", Err(e));
            return;
        }
    }
    cx.record(
        format!("connect (A1..A{room_a} in room A{spread}; B1 in room B)"),
        Ok(()),
    );
    let (a, b) = members.split_at_mut(room_a);
    let b1 = &mut b[0];

    // Each member's own first message proves it has joined; others in its
    // room may or may not see it, depending on when they joined.
    let a_hellos: Vec<String> = a
        .iter()
        .map(|m| message(&tag, &format!("join-{}", m.name)))
        .collect();
    let b_hello = message(&tag, "join-B1");
    for m in a.iter_mut() {
        m.noise = a_hellos.iter().cloned().collect();
    }
    b1.noise.insert(b_hello.clone());
    let hellos = a_hellos.iter().chain(std::iter::once(&b_hello));
    for (m, hello) in a.iter_mut().chain(std::iter::once(&mut *b1)).zip(hellos) {
        let echoed = send_and_expect(m, hello, timeout).await;
        if !cx.record(format!("echo to the sender ({})", m.name), echoed) {
            return;
        }
    }

    let (a1, others) = a.split_first_mut().expect("room A has two members or more");
    let m1 = message(&tag, "m1");
    if let Err(e) = send(a1, &m1).await {
        cx.record("A1 sends", Err(e));
        return;
    }
    let echo = expect(a1, &m1, timeout).await;
    cx.record("echo byte-for-byte (A1 → A1)", echo);
    let mut fan = Ok(());
    for m in others.iter_mut() {
        fan = expect(m, &m1, timeout).await.map_err(|e| match (a1.pid, m.pid) {
            (Some(p1), Some(pm)) if p1 != pm => format!(
                "{e} (A1 is served by process {p1}, {} by {pm}: are rooms kept per worker process?)",
                m.name
            ),
            _ => e,
        });
        if fan.is_err() {
            break;
        }
    }
    let last = others.len() + 1;
    let fan_to = if last == 2 {
        "A2".to_string()
    } else {
        format!("A2..A{last}")
    };
    cx.record(format!("broadcast byte-for-byte (A1 → {fan_to})"), fan);
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
    'members: for m in others.iter_mut() {
        for text in &burst {
            ordered = expect(m, text, timeout).await;
            if ordered.is_err() {
                break 'members;
            }
        }
    }
    cx.record(
        format!("order kept, binary ignored (A1 → {fan_to}: bin, m2, m3, m4)"),
        ordered,
    );
    let mut own = Ok(());
    for text in &burst {
        own = expect(a1, text, timeout).await;
        if own.is_err() {
            break;
        }
    }
    cx.record("order kept (A1 → A1: m2, m3, m4)", own);

    // A2 leaves; the room must keep working for A1.
    let a2 = &mut others[0];
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
