//! The HTTP/2 client path (`ringside load --http2`), on the `h2` crate:
//! h2c with prior knowledge for `http://`, TLS with ALPN `h2` for `https://`.
//!
//! A load connection is a [`Conn`]: one HTTP/2 connection per target
//! address, opened lazily and reopened after the server closed it or sent
//! GOAWAY. Its `--streams N` [`Lane`]s share it, each carrying one request
//! at a time, so the engine paces a lane exactly as it paces an HTTP/1.1
//! connection (closed loop, or an open-loop slot per idle lane, corrected
//! from the intended send time when the request queued).
//!
//! Flow control: windows of 1 GiB (as h2load's defaults), so WINDOW_UPDATEs
//! are rare; received data is released as it is read.
//!
//! This `h2`-crate path is kept as `--h2-client h2-crate`; the default is
//! the lean path ([`lean`], `--h2-client lean`), which shares [`Endpoint`],
//! [`Request2`] and the probe.

mod driver;
pub mod frame;
mod hpack;
mod huffman_table;
pub mod lean;
mod pool;
pub mod probe;
mod state;
pub mod tls;
pub mod wire;

use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use h2::client::SendRequest;
use tokio::time::{Instant, Sleep};

use super::config::ResponseCheck;
use super::http::{Failure, Outcome, Prepared};
use super::response::passes;
use wire::{Wire, WireState};

/// Stream and connection flow-control windows, bytes (h2load's default 2^30−1).
pub const WINDOW: u32 = (1 << 30) - 1;

/// One request ready for HTTP/2: cloned per send (the parts are shared bytes).
#[derive(Debug, Clone)]
pub struct Request2 {
    method: http::Method,
    uri: http::Uri,
    headers: http::HeaderMap,
    body: Option<Bytes>,
    /// The HPACK header block the lean path sends (encoded once).
    block: Vec<u8>,
}

/// Header names HTTP/2 forbids (connection-specific) or carries as pseudo-headers.
const DROPPED: [&str; 6] = [
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

impl Request2 {
    /// The request `method url` with `headers` and `body`; a header HTTP/2
    /// cannot carry (`Host` becomes `:authority`) is left out.
    pub fn new(
        method: &str,
        url: &url::Url,
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> anyhow::Result<Request2> {
        let bad = |what: String| crate::error::bad_input_msg(what);
        let method = http::Method::from_bytes(method.as_bytes())
            .map_err(|_| bad(format!("--method `{method}` is not an HTTP method")))?;
        let mut text = url.as_str().to_string();
        if let Some(i) = text.find('#') {
            text.truncate(i);
        }
        let uri = http::Uri::try_from(text.as_str())
            .map_err(|e| bad(format!("URL `{url}` cannot be sent over HTTP/2: {e}")))?;
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            if DROPPED.iter().any(|d| k.eq_ignore_ascii_case(d)) {
                continue;
            }
            let name = http::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| bad(format!("--header `{k}`: not a valid header name")))?;
            let value = http::HeaderValue::from_str(v)
                .map_err(|_| bad(format!("--header `{k}: {v}`: not a valid header value")))?;
            map.append(name, value);
        }
        let wants_length = body.is_some() || matches!(method.as_str(), "POST" | "PUT" | "PATCH");
        if wants_length && !map.contains_key(http::header::CONTENT_LENGTH) {
            map.insert(
                http::header::CONTENT_LENGTH,
                http::HeaderValue::from(body.map_or(0, <[u8]>::len)),
            );
        }
        let block = frame::request_block(
            method.as_str(),
            uri.scheme_str().unwrap_or("http"),
            uri.authority().map_or("", |a| a.as_str()),
            uri.path_and_query().map_or("/", |p| p.as_str()),
            map.iter().map(|(k, v)| (k.as_str(), v.as_bytes())),
        );
        Ok(Request2 {
            method,
            uri,
            headers: map,
            body: body.map(Bytes::copy_from_slice),
            block,
        })
    }

    fn build(&self) -> http::Request<()> {
        let mut req = http::Request::new(());
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        if !self.headers.is_empty() {
            *req.headers_mut() = self.headers.clone();
        }
        req
    }
}

/// Where one target address is reached: plain TCP (h2c), or TLS with a server name.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub tls: Option<(
        Arc<rustls::ClientConfig>,
        rustls::pki_types::ServerName<'static>,
    )>,
}

impl Endpoint {
    /// The endpoint of each target address (`addrs[i]`, first named by
    /// `urls[j]` with `of_url[j] == i`).
    pub fn for_targets(
        urls: &[url::Url],
        of_url: &[usize],
        addrs: &[SocketAddr],
        insecure: bool,
    ) -> anyhow::Result<Vec<Endpoint>> {
        let config = if urls.iter().any(|u| u.scheme() == "https") {
            Some(tls::client_config(insecure)?)
        } else {
            None
        };
        addrs
            .iter()
            .enumerate()
            .map(|(i, &addr)| {
                let url = of_url
                    .iter()
                    .position(|&t| t == i)
                    .map(|j| &urls[j])
                    .context("a target address no URL names")?;
                let tls = match (&config, url.scheme()) {
                    (Some(cfg), "https") => Some((cfg.clone(), tls::server_name(url)?)),
                    _ => None,
                };
                Ok(Endpoint { addr, tls })
            })
            .collect()
    }
}

/// A live HTTP/2 connection: a handle to open streams on, and its wire's state.
#[derive(Clone)]
struct Live {
    send: SendRequest<Bytes>,
    wire: Rc<WireState>,
}

impl pool::Handle for Live {
    fn usable(&self) -> bool {
        self.wire.usable()
    }
}

/// One load connection: an HTTP/2 connection per target, shared by its lanes.
pub struct Conn {
    pool: pool::Pool<Live>,
}

impl Conn {
    /// A connection to `endpoints`, none opened yet.
    pub fn new(endpoints: Arc<[Endpoint]>) -> Rc<Conn> {
        Rc::new(Conn {
            pool: pool::Pool::new(endpoints),
        })
    }

    /// True when an HTTP/2 connection is open.
    pub fn is_open(&self) -> bool {
        self.pool.is_open()
    }

    /// Opens target `target` now, if it is not open (must run inside a `LocalSet`).
    pub async fn open(&self, target: usize) -> anyhow::Result<()> {
        self.get(target).await.map(|_| ())
    }

    /// The live connection to `target`, opening it (once, whichever lane asks first).
    async fn get(&self, target: usize) -> anyhow::Result<Live> {
        self.pool.get(target, connect).await
    }

    /// Marks `wire`'s connection unusable (the next request reconnects).
    fn retire(&self, target: usize, wire: &Rc<WireState>) {
        wire.closed.set(true);
        self.pool.forget(target, |l| Rc::ptr_eq(&l.wire, wire));
    }
}

/// Opens one HTTP/2 connection (TCP, TLS with ALPN `h2` when asked, the
/// HTTP/2 handshake) and spawns its driver on the current `LocalSet`.
async fn connect(endpoint: &Endpoint) -> anyhow::Result<Live> {
    let tcp = super::http::connect(endpoint.addr)
        .await
        .with_context(|| format!("connecting to {}", endpoint.addr))?;
    let state = Rc::new(WireState::default());
    let send = match &endpoint.tls {
        None => handshake(Wire::new(tcp, state.clone()), state.clone()).await?,
        Some((cfg, name)) => {
            let tls = tokio_rustls::TlsConnector::from(cfg.clone())
                .connect(name.clone(), tcp)
                .await
                .with_context(|| format!("TLS handshake with {}", endpoint.addr))?;
            let alpn = tls.get_ref().1.alpn_protocol();
            if alpn != Some(tls::ALPN_H2) {
                anyhow::bail!("{}", probe::not_h2_over_tls(endpoint.addr, alpn));
            }
            handshake(Wire::new(tls, state.clone()), state.clone()).await?
        }
    };
    Ok(Live { send, wire: state })
}

async fn handshake<T>(io: Wire<T>, state: Rc<WireState>) -> anyhow::Result<SendRequest<Bytes>>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
{
    let (send, conn) = h2::client::Builder::new()
        .initial_window_size(WINDOW)
        .initial_connection_window_size(WINDOW)
        .handshake::<_, Bytes>(io)
        .await
        .context("HTTP/2 handshake")?;
    let driver = state.clone();
    tokio::task::spawn_local(async move {
        let _ = conn.await;
        driver.closed.set(true);
        driver.changed.notify_waiters();
    });
    // The server's SETTINGS first: the h2 crate lets streams open without
    // limit until they arrive, and a server whose limit is below `--streams`
    // would refuse the excess (REFUSED_STREAM). h2 applies the frame before
    // this task runs again (one thread), so later streams queue at its limit.
    loop {
        let changed = state.changed.notified();
        if state.settings.get() {
            return Ok(send);
        }
        anyhow::ensure!(
            !state.closed.get(),
            "HTTP/2 handshake: the connection closed before the server's SETTINGS"
        );
        changed.await;
    }
}

/// One stream slot of a [`Conn`]: one request in flight at a time.
pub struct Lane {
    conn: Rc<Conn>,
    /// This lane's handle per target (a clone of the connection's).
    cached: Vec<Option<Live>>,
    /// The timeout timer, kept across requests: moved only when it fires
    /// early (deadlines only move later), not re-armed per request.
    timer: Option<Pin<Box<Sleep>>>,
}

impl Lane {
    pub fn new(conn: Rc<Conn>) -> Lane {
        let n = conn.pool.len();
        Lane {
            conn,
            cached: (0..n).map(|_| None).collect(),
            timer: None,
        }
    }

    /// Sends `req` on a new stream and reads its response, all before `deadline`.
    pub async fn exchange(
        &mut self,
        req: &Prepared,
        check: Option<&ResponseCheck>,
        deadline: Instant,
    ) -> Outcome {
        let r2 = req
            .h2
            .as_ref()
            .expect("an HTTP/2 run prepares HTTP/2 requests");
        let keep_body = check.is_some_and(|c| c.body_contains.is_some());
        let mut wire = None;
        let mut timer = self
            .timer
            .take()
            .unwrap_or_else(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() > deadline {
            timer.as_mut().reset(deadline);
        }
        let result = {
            let io = self.attempt(r2, req.target, keep_body, &mut wire);
            tokio::pin!(io);
            loop {
                tokio::select! {
                    biased;
                    r = &mut io => break Ok(r),
                    () = timer.as_mut() => {
                        if Instant::now() >= deadline {
                            break Err(());
                        }
                        timer.as_mut().reset(deadline);
                    }
                }
            }
        };
        self.timer = Some(timer);
        let (bytes_in, bytes_out) = wire
            .as_ref()
            .map_or((0, 0), |w: &Rc<WireState>| w.take_bytes());
        let mut out = Outcome {
            status: None,
            failure: None,
            bytes_in,
            bytes_out,
        };
        match result {
            Ok(Ok((status, kept))) => {
                out.status = Some(status);
                if check.is_some_and(|c| !passes(c, status, &kept)) {
                    out.failure = Some(Failure::Check);
                }
            }
            Ok(Err(failure)) => out.failure = Some(failure),
            // Dropping the stream's handles resets it (RST_STREAM CANCEL); the connection stays.
            Err(()) => out.failure = Some(Failure::Timeout),
        }
        out
    }

    /// The exchange; `wire` is set to the connection it went on.
    async fn attempt(
        &mut self,
        r2: &Request2,
        target: usize,
        keep_body: bool,
        wire: &mut Option<Rc<WireState>>,
    ) -> Result<(u16, Vec<u8>), Failure> {
        let mut retried = false;
        let (response, state) = loop {
            let Live { send, wire: state } = match self.cached[target].take() {
                Some(l) if l.wire.usable() => l,
                _ => self.conn.get(target).await.map_err(|_| Failure::Connect)?,
            };
            *wire = Some(state.clone());
            // A connection the server is closing fails here, before the
            // request left: reconnect once (as HTTP/1.1 resends on a stale socket).
            let sent = async {
                let mut send = send.ready().await?;
                let (response, mut body) = send.send_request(r2.build(), r2.body.is_none())?;
                if let Some(data) = &r2.body {
                    body.send_data(data.clone(), true)?;
                }
                Ok::<_, h2::Error>((response, send))
            }
            .await;
            match sent {
                Ok((response, send)) => {
                    self.cached[target] = Some(Live {
                        send,
                        wire: state.clone(),
                    });
                    break (response, state);
                }
                Err(_) if !retried => {
                    self.conn.retire(target, &state);
                    retried = true;
                }
                Err(e) => {
                    self.conn.retire(target, &state);
                    return Err(classify(&e, &state, Failure::Write));
                }
            }
        };
        let response = response
            .await
            .map_err(|e| classify(&e, &state, Failure::Read))?;
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut kept = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|e| classify(&e, &state, Failure::Read))?;
            let _ = body.flow_control().release_capacity(chunk.len());
            if keep_body {
                kept.extend_from_slice(&chunk);
            }
        }
        Ok((status, kept))
    }
}

/// The kind of a failed stream: reset by the server, lost to its GOAWAY, else `other`.
fn classify(err: &h2::Error, wire: &WireState, other: Failure) -> Failure {
    if err.is_reset() && err.is_remote() {
        Failure::Reset
    } else if (err.is_go_away() && err.is_remote()) || wire.goaway.get() {
        Failure::GoAway
    } else {
        other
    }
}
