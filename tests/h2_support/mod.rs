//! In-process HTTP/2 test servers on 127.0.0.1 port 0 (the `h2` crate's
//! server, h2c or TLS with a self-signed certificate made by `rcgen`), so
//! tests control each stream's answer: a delay, a RST_STREAM, a GOAWAY.
//! A gauge records the most streams in flight on one connection.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::Reason;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer 200 with this body after the delay.
    Ok { delay: Duration, body: &'static str },
    /// Reset the stream (RST_STREAM INTERNAL_ERROR).
    Reset,
    /// Send GOAWAY (ENHANCE_YOUR_CALM) on the connection and close it.
    GoAway,
}

impl Action {
    pub fn ok(body: &'static str) -> Action {
        Action::Ok {
            delay: Duration::ZERO,
            body,
        }
    }
}

/// Decides the action from the request's number over the run (1-based),
/// its number on its connection (1-based) and the server's start time.
pub type Policy = dyn Fn(u64, u64, Instant) -> Action + Send + Sync;

/// A running HTTP/2 test server.
pub struct H2Server {
    pub addr: SocketAddr,
    pub tls: bool,
    /// Requests received.
    pub hits: Arc<AtomicU64>,
    /// The most streams in flight at once on any one connection.
    pub max_streams_per_conn: Arc<AtomicU64>,
    /// Connections that completed the HTTP/2 handshake.
    pub connections: Arc<AtomicU64>,
    /// Request body bytes read (answered requests only).
    pub body_bytes: Arc<AtomicU64>,
}

impl H2Server {
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
    pub fn max_streams_per_conn(&self) -> u64 {
        self.max_streams_per_conn.load(Ordering::SeqCst)
    }
}

/// A rustls server config with a fresh self-signed certificate for
/// 127.0.0.1 and `localhost`, offering `alpn`.
pub fn tls_config(alpn: &[&[u8]]) -> Arc<rustls::ServerConfig> {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        cert.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .unwrap();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(cfg)
}

/// Starts an h2c server (or TLS with `tls`) on its own thread and runtime.
pub fn spawn(
    tls: Option<Arc<rustls::ServerConfig>>,
    policy: impl Fn(u64, u64, Instant) -> Action + Send + Sync + 'static,
) -> H2Server {
    spawn_with(tls, None, policy)
}

/// As [`spawn`], the server announcing SETTINGS_MAX_CONCURRENT_STREAMS
/// `max_streams` when given.
pub fn spawn_with(
    tls: Option<Arc<rustls::ServerConfig>>,
    max_streams: Option<u32>,
    policy: impl Fn(u64, u64, Instant) -> Action + Send + Sync + 'static,
) -> H2Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = H2Server {
        addr,
        tls: tls.is_some(),
        hits: Arc::default(),
        max_streams_per_conn: Arc::default(),
        connections: Arc::default(),
        body_bytes: Arc::default(),
    };
    let counters = Counters {
        hits: server.hits.clone(),
        gauge: server.max_streams_per_conn.clone(),
        conns: server.connections.clone(),
        body_bytes: server.body_bytes.clone(),
        max_streams,
    };
    let policy: Arc<Policy> = Arc::new(policy);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let started = Instant::now();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (counters, policy, tls) = (counters.clone(), policy.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => serve(stream, counters, policy, started).await,
                        Some(cfg) => {
                            let Ok(stream) =
                                tokio_rustls::TlsAcceptor::from(cfg).accept(stream).await
                            else {
                                return;
                            };
                            serve(stream, counters, policy, started).await
                        }
                    }
                });
            }
        });
    });
    server
}

/// The server's shared counters and settings.
#[derive(Clone)]
struct Counters {
    hits: Arc<AtomicU64>,
    gauge: Arc<AtomicU64>,
    conns: Arc<AtomicU64>,
    body_bytes: Arc<AtomicU64>,
    max_streams: Option<u32>,
}

async fn serve<T>(io: T, counters: Counters, policy: Arc<Policy>, started: Instant)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let Counters {
        hits,
        gauge,
        conns,
        body_bytes,
        max_streams,
    } = counters;
    let mut builder = h2::server::Builder::new();
    if let Some(n) = max_streams {
        builder.max_concurrent_streams(n);
    }
    let Ok(mut conn) = builder.handshake(io).await else {
        return;
    };
    conns.fetch_add(1, Ordering::SeqCst);
    let in_flight = Arc::new(AtomicU64::new(0));
    let mut on_conn = 0;
    // Streams cut off by a GOAWAY stay unanswered (not reset) until the connection is gone.
    let mut held = Vec::new();
    while let Some(next) = conn.accept().await {
        let Ok((req, mut respond)) = next else {
            break;
        };
        on_conn += 1;
        let hit = hits.fetch_add(1, Ordering::SeqCst) + 1;
        match policy(hit, on_conn, started) {
            Action::GoAway => {
                conn.abrupt_shutdown(Reason::ENHANCE_YOUR_CALM);
                held.push(respond);
            }
            Action::Reset => respond.send_reset(Reason::INTERNAL_ERROR),
            Action::Ok { delay, body } => {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                gauge.fetch_max(now, Ordering::SeqCst);
                let in_flight = in_flight.clone();
                let body_bytes = body_bytes.clone();
                tokio::spawn(async move {
                    let mut request_body = req.into_body();
                    while let Some(Ok(chunk)) = request_body.data().await {
                        let _ = request_body.flow_control().release_capacity(chunk.len());
                        body_bytes.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                    }
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let response = http::Response::builder()
                        .status(200)
                        .header("content-type", "text/plain")
                        .body(())
                        .unwrap();
                    if let Ok(mut send) = respond.send_response(response, false) {
                        let _ = send.send_data(Bytes::from_static(body.as_bytes()), true);
                    }
                });
            }
        }
    }
}

/// An HTTP/1.1-only hyper server (it closes a connection that opens with
/// the HTTP/2 preface); returns its address.
pub fn spawn_http1_hyper() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(|_req| async {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(
                            http_body_util::Full::new(Bytes::from_static(b"h1")),
                        ))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    addr
}

/// A server that answers anything with `HTTP/1.1 400 Bad Request` and
/// closes, as Node's HTTP/1.1 server does on the HTTP/2 preface.
pub fn spawn_http1_400() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            );
        }
    });
    addr
}
