//! Test servers for the verify tests: a conforming in-process implementation
//! of the contract (hyper on port 0, world and fortunes in memory) with
//! optional ws-chat quirks, and raw TCP servers that hang, close or answer
//! garbage. Each server stops when its handle drops.

#![allow(dead_code)]

pub mod broken;

/// The scenarios a conforming server claims: every endpoint scenario of the
/// catalogue (ws-chat included; not idle and the harness-only ones).
pub fn endpoints() -> Vec<ringside::scenario::Scenario> {
    ringside::scenario::Scenario::ALL
        .into_iter()
        .filter(|s| s.is_endpoint())
        .collect()
}

/// Every failed check of `report`, a line each, for an assertion's message.
pub fn failures(report: &ringside::verify::VerifyReport) -> String {
    report
        .failed()
        .map(|c| format!("{} / {}: {}", c.scenario, c.check, c.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names of the checks `report` ran for scenario `sc`.
pub fn checks_of(
    report: &ringside::verify::VerifyReport,
    sc: ringside::scenario::Scenario,
) -> Vec<&str> {
    report
        .checks
        .iter()
        .filter(|c| c.scenario == sc)
        .map(|c| c.check.as_str())
        .collect()
}

/// The HTTP scenarios a conforming server claims: [`endpoints`] without ws-chat.
pub fn http_scenarios() -> Vec<ringside::scenario::Scenario> {
    endpoints()
        .into_iter()
        .filter(|s| *s != ringside::scenario::Scenario::WsChat)
        .collect()
}

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

/// How the conforming server misbehaves, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    None,
    /// ws-chat: broadcast to the other members only.
    WsNoEcho,
    /// ws-chat: one room for everybody.
    WsOneRoom,
    /// ws-chat: parse and re-serialise each message (compact JSON).
    WsReserialize,
    /// No keep-alive: `Connection: close` on every response.
    NoKeepAlive,
    /// No `Server` header on `/json` (the fairness policy wants one everywhere).
    NoServerOnJson,
    /// HTTP/2 only, with prior knowledge (h2c): no HTTP/1.1, no WebSockets.
    H2c,
}

/// A running test server; aborted on drop.
pub struct Server {
    pub url: String,
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Tx = mpsc::UnboundedSender<Message>;

struct State {
    quirk: Quirk,
    world: Mutex<Vec<i64>>,
    rooms: Mutex<HashMap<String, HashMap<u64, Tx>>>,
    next_conn: AtomicU64,
    rng: AtomicU64,
}

impl State {
    fn random(&self) -> i64 {
        // xorshift64*: deterministic enough, no dependency.
        let mut x = self.rng.load(Ordering::Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.store(x, Ordering::Relaxed);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as i64 % 10000 + 1
    }
}

/// Starts the conforming server on `127.0.0.1:0`.
pub async fn serve(quirk: Quirk) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = Arc::new(State {
        quirk,
        world: Mutex::new((1..=10000).map(|i| (i * 7 % 10000) + 1).collect()),
        rooms: Mutex::new(HashMap::new()),
        next_conn: AtomicU64::new(1),
        rng: AtomicU64::new(0x9E37_79B9_7F4A_7C15),
    });
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| handle(state.clone(), req));
                if quirk == Quirk::H2c {
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
                    return;
                }
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(quirk != Quirk::NoKeepAlive)
                    .serve_connection(TokioIo::new(stream), svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Server {
        url: format!("http://127.0.0.1:{port}"),
        port,
        task,
    }
}

/// Starts the conforming server over TLS on `127.0.0.1:0` with `tls` (its
/// certificate and ALPN list): HTTP/2 when the client and `tls` agree on
/// `h2`, else HTTP/1.1 over TLS. The URL is `https://127.0.0.1:PORT`.
pub async fn serve_tls(tls: Arc<rustls::ServerConfig>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = Arc::new(State {
        quirk: Quirk::H2c,
        world: Mutex::new((1..=10000).map(|i| (i * 7 % 10000) + 1).collect()),
        rooms: Mutex::new(HashMap::new()),
        next_conn: AtomicU64::new(1),
        rng: AtomicU64::new(0x9E37_79B9_7F4A_7C15),
    });
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (state, acceptor) = (state.clone(), acceptor.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
                let svc = hyper::service::service_fn(move |req| handle(state.clone(), req));
                if h2 {
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
                } else {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                }
            });
        }
    });
    Server {
        url: format!("https://127.0.0.1:{port}"),
        port,
        task,
    }
}

fn param(query: &str, key: &str, default: i64, lo: i64, hi: i64) -> i64 {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .map_or(default, |v| v.clamp(lo, hi))
}

fn reply(ct: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    // hyper adds `Date`; the policy also wants `Server`.
    Response::builder()
        .header("content-type", ct)
        .header("server", "verify-fixture")
        .body(Full::new(body.into()))
        .unwrap()
}

fn json(v: serde_json::Value) -> Response<Full<Bytes>> {
    reply("application/json", serde_json::to_vec(&v).unwrap())
}

const FORTUNES: [(i64, &str); 12] = [
    (1, "fortune: No such file or directory"),
    (
        2,
        "A computer scientist is someone who fixes things that aren't broken.",
    ),
    (3, "After enough decimal places, nobody gives a damn."),
    (
        4,
        "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    ),
    (
        5,
        "A computer program does what you tell it to do, not what you want it to do.",
    ),
    (
        6,
        "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    ),
    (7, "Any program that runs right is obsolete."),
    (
        8,
        "A list is only as strong as its weakest link. — Donald Knuth",
    ),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (
        11,
        "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    ),
    (12, "フレームワークのベンチマーク"),
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let row = |id: i64, n: i64| serde_json::json!({"id": id, "randomNumber": n});
    let quirk = state.quirk;
    let mut resp = match path.as_str() {
        "/health" => reply("text/plain", "ok"),
        "/plaintext" => reply("text/plain", "Hello, World!"),
        "/json" => json(serde_json::json!({"message": "Hello, World!"})),
        "/db" => {
            let id = state.random();
            let n = state.world.lock().unwrap()[(id - 1) as usize];
            json(row(id, n))
        }
        "/queries" | "/updates" => {
            let q = param(&query, "q", 1, 1, 500);
            // /updates draws distinct ids (spec/fairness.md R7)
            let mut seen = std::collections::HashSet::new();
            let rows: Vec<_> = (0..q)
                .map(|_| {
                    let mut id = state.random();
                    while path == "/updates" && !seen.insert(id) {
                        id = state.random();
                    }
                    let mut world = state.world.lock().unwrap();
                    if path == "/updates" {
                        world[(id - 1) as usize] = state.random();
                    }
                    row(id, world[(id - 1) as usize])
                })
                .collect();
            json(serde_json::Value::Array(rows))
        }
        "/fortunes" => {
            let mut rows = FORTUNES.to_vec();
            rows.push((0, "Additional fortune added at request time."));
            rows.sort_by(|a, b| a.1.cmp(b.1));
            let mut html = String::from(
                "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>",
            );
            for (id, msg) in rows {
                html.push_str(&format!("<tr><td>{id}</td><td>{}</td></tr>", escape(msg)));
            }
            html.push_str("</table></body></html>");
            reply("text/html; charset=utf-8", html)
        }
        "/io" => {
            let ms = param(&query, "ms", 50, 0, 10000);
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            json(serde_json::json!({"waited_ms": ms}))
        }
        "/cpu" => {
            let n = param(&query, "n", 10000, 1, 1_000_000);
            let primes = (2..=n)
                .filter(|&k| (2..).take_while(|d| d * d <= k).all(|d| k % d != 0))
                .count();
            json(serde_json::json!({"n": n, "primes": primes}))
        }
        "/numeric" => {
            let n = param(&query, "n", 100000, 1, 1_000_000);
            let x: Vec<f64> = (0..n)
                .map(|i| ((i * 7919) % 10007) as f64 / 10007.0)
                .collect();
            let sum: f64 = x.iter().sum();
            let mean = sum / n as f64;
            let std = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            let dot: f64 = x.iter().zip(x.iter().rev()).map(|(a, b)| a * b).sum();
            json(serde_json::json!({"n": n, "sum": sum, "mean": mean, "std": std, "dot": dot}))
        }
        "/ws/chat" => upgrade(state, req, &query),
        _ => Response::builder()
            .status(404)
            .header("content-type", "text/plain")
            .body(Full::new(Bytes::from_static(b"not found")))
            .unwrap(),
    };
    if quirk == Quirk::NoServerOnJson && path == "/json" {
        resp.headers_mut().remove("server");
    }
    Ok(resp)
}

fn upgrade(state: Arc<State>, req: Request<Incoming>, query: &str) -> Response<Full<Bytes>> {
    let Some(key) = req.headers().get("sec-websocket-key") else {
        return Response::builder()
            .status(400)
            .header("content-type", "text/plain")
            .body(Full::new(Bytes::from_static(b"websocket only")))
            .unwrap();
    };
    let accept = derive_accept_key(key.as_bytes());
    let mut room = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("room="))
        .filter(|r| !r.is_empty())
        .unwrap_or("lobby")
        .to_string();
    if state.quirk == Quirk::WsOneRoom {
        room = "everybody".into();
    }
    tokio::spawn(async move {
        let Ok(upgraded) = hyper::upgrade::on(req).await else {
            return;
        };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        chat(state, ws, room).await;
    });
    Response::builder()
        .status(101)
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-accept", accept)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

async fn chat<S>(state: Arc<State>, ws: WebSocketStream<S>, room: String)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let id = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    state
        .rooms
        .lock()
        .unwrap()
        .entry(room.clone())
        .or_default()
        .insert(id, tx);
    let writer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            if sink.send(msg).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(msg)) = stream.next().await {
        let Message::Text(text) = msg else {
            if msg.is_close() {
                break;
            }
            continue;
        };
        let text = if state.quirk == Quirk::WsReserialize {
            let v: serde_json::Value = serde_json::from_str(text.as_str()).unwrap_or_default();
            v.to_string()
        } else {
            text.as_str().to_string()
        };
        let rooms = state.rooms.lock().unwrap();
        for (member, tx) in rooms.get(&room).into_iter().flatten() {
            if state.quirk == Quirk::WsNoEcho && *member == id {
                continue;
            }
            let _ = tx.send(Message::text(text.clone()));
        }
    }
    if let Some(members) = state.rooms.lock().unwrap().get_mut(&room) {
        members.remove(&id);
    }
    writer.abort();
}

/// A raw TCP server's behaviour.
#[derive(Debug, Clone, Copy)]
pub enum Raw {
    /// Accepts and reads, never answers.
    Hang,
    /// Accepts and closes at once.
    Close,
    /// Answers every request with bytes that are not HTTP.
    Garbage,
    /// Answers the first request of a connection (`ok` for /health, the
    /// greeting otherwise) and closes without saying `Connection: close`.
    OneShot,
}

/// Starts a raw TCP server on `127.0.0.1:0`.
pub async fn raw_server(kind: Raw) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                match kind {
                    Raw::Close => drop(stream),
                    Raw::Hang => while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {},
                    Raw::OneShot => {
                        let n = stream.read(&mut buf).await.unwrap_or(0);
                        let body: &[u8] = if buf[..n].starts_with(b"GET /health ") {
                            b"ok"
                        } else {
                            b"Hello, World!"
                        };
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nServer: raw\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(head.as_bytes()).await;
                        let _ = stream.write_all(body).await;
                    }
                    Raw::Garbage => {
                        let _ = stream.read(&mut buf).await;
                        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
                    }
                }
            });
        }
    });
    Server {
        url: format!("http://127.0.0.1:{port}"),
        port,
        task,
    }
}

/// Validates `ringside verify --json` output against `src/verify/verify.schema.json`.
pub fn assert_valid_verify_json(doc: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/verify/verify.schema.json"
    )))
    .unwrap();
    if let Err(e) = jsonschema::validate(&schema, doc) {
        panic!("verify --json output does not match its schema: {e}\n{doc:#}");
    }
}
