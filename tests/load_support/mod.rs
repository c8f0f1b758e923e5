//! In-process HTTP/1.1 test servers on 127.0.0.1 port 0 (raw tokio +
//! httparse, so tests control timing, framing and connection handling).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Answer no earlier than this long after the request arrived.
    pub delay: Duration,
    pub status: u16,
    pub body: Vec<u8>,
    /// Send `Connection: close` and close after the response.
    pub close: bool,
    /// Frame the body with chunked transfer encoding.
    pub chunked: bool,
    /// Never answer (hang).
    pub hang: bool,
}

impl Reply {
    pub fn ok(body: &str) -> Self {
        Reply {
            delay: Duration::ZERO,
            status: 200,
            body: body.as_bytes().to_vec(),
            close: false,
            chunked: false,
            hang: false,
        }
    }
}

/// A running test server.
pub struct Server {
    pub addr: SocketAddr,
    /// Requests answered or being answered.
    pub hits: Arc<AtomicU64>,
    /// Hits by request target (path and query).
    pub paths: Arc<Mutex<BTreeMap<String, u64>>>,
    /// When the server started (for time-based behaviour).
    pub started: Instant,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
}

/// One request as a handler sees it: target (path and query) and headers.
pub struct Request<'a> {
    pub target: &'a str,
    /// Headers, names lower-cased.
    pub headers: &'a [(String, String)],
}

impl Request<'_> {
    /// The value of header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Request, Instant) -> Reply + Send + Sync;

/// Starts a server on its own thread; `handler(target, server_start)` decides each reply.
pub fn spawn(handler: impl Fn(&str, Instant) -> Reply + Send + Sync + 'static) -> Server {
    spawn_with(move |req, started| handler(req.target, started))
}

/// Like [`spawn`], with the request's headers visible to the handler.
pub fn spawn_with(handler: impl Fn(&Request, Instant) -> Reply + Send + Sync + 'static) -> Server {
    let handler: Arc<Handler> = Arc::new(handler);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicU64::new(0));
    let paths = Arc::new(Mutex::new(BTreeMap::new()));
    let started = Instant::now();
    let (h, p) = (hits.clone(), paths.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (handler, h, p) = (handler.clone(), h.clone(), p.clone());
                tokio::spawn(serve(stream, handler, h, p, started));
            }
        });
    });
    Server {
        addr,
        hits,
        paths,
        started,
    }
}

async fn serve(
    mut stream: tokio::net::TcpStream,
    handler: Arc<Handler>,
    hits: Arc<AtomicU64>,
    paths: Arc<Mutex<BTreeMap<String, u64>>>,
    started: Instant,
) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(4096);
    loop {
        // Read one request head (+ body by Content-Length).
        let (target, headers, consumed) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut req = httparse::Request::new(&mut headers);
            if let Ok(httparse::Status::Complete(n)) = req.parse(&buf) {
                let len: usize = req
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                    .unwrap_or(0);
                if buf.len() >= n + len {
                    let headers: Vec<(String, String)> = req
                        .headers
                        .iter()
                        .map(|h| {
                            let value = String::from_utf8_lossy(h.value).trim().to_string();
                            (h.name.to_ascii_lowercase(), value)
                        })
                        .collect();
                    break (req.path.unwrap_or("/").to_string(), headers, n + len);
                }
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(k) => buf.extend_from_slice(&chunk[..k]),
            }
        };
        buf.drain(..consumed);
        hits.fetch_add(1, Ordering::SeqCst);
        *paths.lock().unwrap().entry(target.clone()).or_default() += 1;
        let reply = handler(
            &Request {
                target: &target,
                headers: &headers,
            },
            started,
        );
        if reply.hang {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        let mut out = format!("HTTP/1.1 {} X\r\n", reply.status).into_bytes();
        if reply.close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        if reply.chunked {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            for piece in reply.body.chunks(3) {
                out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                out.extend_from_slice(piece);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
        } else {
            out.extend_from_slice(
                format!("Content-Length: {}\r\n\r\n", reply.body.len()).as_bytes(),
            );
            out.extend_from_slice(&reply.body);
        }
        if stream.write_all(&out).await.is_err() || reply.close {
            return;
        }
    }
}

/// Milliseconds of a delay query `?ms=N` in a request target.
pub fn query_ms(target: &str) -> u64 {
    target
        .split_once("ms=")
        .and_then(|(_, v)| v.split('&').next()?.parse().ok())
        .unwrap_or(0)
}
