//! A lean HTTP client for the checks: one hyper connection over a
//! `TcpStream` — HTTP/1.1, or HTTP/2 with prior knowledge (h2c) for a stack
//! whose manifest says `protocol = "h2c"`, or HTTP/2 over TLS (ALPN `h2`,
//! `https://`) for one that says `protocol = "h2"` — every request bounded
//! by a timeout, every failure (refused, closed, garbage, timeout) turned
//! into a sentence a check can quote. Over HTTP/2 a response that is not
//! HTTP/2 fails. Over TLS any certificate is accepted: the harness verifies
//! the server it launched with the throwaway certificate it made
//! ([`crate::stack::tls`]).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

/// Most body bytes a response may carry unless `verify --max-body` says
/// otherwise: the contract's largest answer (`/queries?q=500`, about 20 KiB)
/// many hundred times over, and little enough memory on any machine.
pub const DEFAULT_MAX_BODY: u64 = 16 << 20;

/// A parsed base URL: `http://HOST:PORT` (a path prefix is not allowed), and
/// the most body a response from it may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// Bytes: a longer body fails its check ([`body_too_large`]) and is not read on.
    pub max_body: u64,
    /// HTTP/1.1, h2c (HTTP/2 with prior knowledge) or h2 (HTTP/2 over TLS,
    /// the one protocol an `https://` URL is spoken in) for every request.
    pub protocol: crate::stack::Protocol,
}

impl Target {
    /// Parses `http://HOST[:PORT]` (a trailing `/` is fine), or
    /// `https://HOST[:PORT]`, which is HTTP/2 over TLS.
    pub fn parse(base_url: &str) -> Result<Target, String> {
        let url = url::Url::parse(base_url).map_err(|e| format!("`{base_url}`: {e}"))?;
        let protocol = match url.scheme() {
            "http" => crate::stack::Protocol::Http1,
            "https" => crate::stack::Protocol::H2,
            other => {
                return Err(format!(
                    "`{base_url}`: scheme must be http (or https for HTTP/2 over TLS), got `{other}`"
                ));
            }
        };
        if !(url.path().is_empty() || url.path() == "/") || url.query().is_some() {
            return Err(format!(
                "`{base_url}`: give the server's root (http://HOST:PORT), without a path or query"
            ));
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(h) => h.to_string(),
            None => return Err(format!("`{base_url}`: no host")),
        };
        let port = url.port_or_known_default().unwrap_or(80);
        Ok(Target {
            host,
            port,
            max_body: DEFAULT_MAX_BODY,
            protocol,
        })
    }

    /// True when the host is a loopback address (or `localhost`).
    pub fn is_loopback(&self) -> bool {
        if self.host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        self.host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
    }

    /// `HOST:PORT` for the `Host` header and WebSocket URLs.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One response, body read in full.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
    /// From writing the request to the last body byte.
    pub elapsed: Duration,
}

impl Response {
    /// A header's value as text (empty when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as UTF-8, or a reason it is not.
    pub fn text(&self) -> Result<&str, String> {
        std::str::from_utf8(&self.body)
            .map_err(|e| format!("body is not valid UTF-8 ({e}): {}", preview(&self.body)))
    }
}

/// At most 120 characters of a body, for failure messages.
pub fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        out.push('…');
    }
    format!("{out:?}")
}

/// hyper's request half of one connection, in its protocol.
enum Sender {
    H1(http1::SendRequest<Empty<Bytes>>),
    H2(http2::SendRequest<Empty<Bytes>>),
}

/// A connection that may carry several requests (keep-alive; HTTP/2: one
/// request after another on one connection).
pub struct Conn {
    sender: Sender,
    /// `http` or `https`: the `:scheme` of HTTP/2 requests.
    scheme: &'static str,
    authority: String,
    max_body: u64,
    timeout: Duration,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens one connection to `target`, within `timeout`.
pub async fn connect(target: &Target, timeout: Duration) -> Result<Conn, String> {
    let addr = (target.host.as_str(), target.port);
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => return Err(format!("no connection within {}", fmt_dur(timeout))),
        Ok(Err(e)) => return Err(format!("cannot connect to {}: {e}", target.authority())),
        Ok(Ok(s)) => s,
    };
    let _ = stream.set_nodelay(true);
    let (sender, task) = match target.protocol {
        crate::stack::Protocol::Http1 => {
            let (sender, conn) = http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("HTTP handshake failed: {e}"))?;
            let task = tokio::spawn(async move {
                let _ = conn.await;
            });
            (Sender::H1(sender), task)
        }
        crate::stack::Protocol::H2c => h2_over(stream, "h2c, prior knowledge").await?,
        crate::stack::Protocol::H2 => {
            let tls = tls_h2(target, stream, timeout).await?;
            h2_over(tls, "over TLS").await?
        }
    };
    Ok(Conn {
        sender,
        scheme: if target.protocol.is_tls() {
            "https"
        } else {
            "http"
        },
        authority: target.authority(),
        max_body: target.max_body,
        timeout,
        task,
    })
}

/// The HTTP/2 connection over `io` (TCP, or TLS after ALPN `h2`).
async fn h2_over<T>(io: T, how: &str) -> Result<(Sender, tokio::task::JoinHandle<()>), String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP/2 handshake ({how}) failed: {}", describe(&e)))?;
    let task = tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok((Sender::H2(sender), task))
}

/// TLS offering ALPN `h2` only, any certificate accepted (see the module
/// doc); the server must pick `h2`.
async fn tls_h2(
    target: &Target,
    stream: TcpStream,
    timeout: Duration,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    use crate::load::http2::tls;
    let config = tls::client_config(true).map_err(|e| format!("{e:#}"))?;
    let url = url::Url::parse(&format!("https://{}/", target.authority()))
        .map_err(|e| format!("`{}`: {e}", target.authority()))?;
    let name = tls::server_name(&url).map_err(|e| format!("{e:#}"))?;
    let handshake = tokio_rustls::TlsConnector::from(config).connect(name, stream);
    let stream = match tokio::time::timeout(timeout, handshake).await {
        Err(_) => return Err(format!("no TLS handshake within {}", fmt_dur(timeout))),
        Ok(Err(e)) => {
            return Err(format!(
                "TLS handshake with {} failed: {e}",
                target.authority()
            ));
        }
        Ok(Ok(s)) => s,
    };
    let alpn = stream.get_ref().1.alpn_protocol();
    if alpn != Some(tls::ALPN_H2) {
        let picked = alpn.map_or("no protocol".into(), |p| {
            format!("`{}`", String::from_utf8_lossy(p))
        });
        return Err(format!(
            "offered ALPN `h2`, the server picked {picked}: it does not serve HTTP/2 over TLS"
        ));
    }
    Ok(stream)
}

impl Conn {
    /// `GET path_and_query`, the whole response within the timeout.
    pub async fn get(&mut self, path_and_query: &str) -> Result<Response, String> {
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.get_inner(path_and_query)).await {
            Ok(result) => result,
            Err(_) => Err(format!("no complete response within {}", fmt_dur(timeout))),
        }
    }

    async fn get_inner(&mut self, path_and_query: &str) -> Result<Response, String> {
        let ready = match &mut self.sender {
            Sender::H1(s) => s.ready().await,
            Sender::H2(s) => s.ready().await,
        };
        ready.map_err(|e| {
            format!(
                "the server closed the connection without a response ({})",
                describe(&e)
            )
        })?;
        let req = match &self.sender {
            Sender::H1(_) => hyper::Request::get(path_and_query)
                .header(hyper::header::HOST, &self.authority)
                .header(hyper::header::USER_AGENT, "ringside-verify"),
            // HTTP/2 carries the authority as `:authority`, from the URI.
            Sender::H2(_) => hyper::Request::get(format!(
                "{}://{}{path_and_query}",
                self.scheme, self.authority
            ))
            .header(hyper::header::USER_AGENT, "ringside-verify"),
        }
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("bad request path `{path_and_query}`: {e}"))?;
        let start = Instant::now();
        let sent = match &mut self.sender {
            Sender::H1(s) => s.send_request(req).await,
            Sender::H2(s) => s.send_request(req).await,
        };
        let resp = sent.map_err(|e| {
            // The server may close between `ready` and the send: hyper then
            // cancels the request ("connection was not ready").
            if e.is_canceled() || e.is_closed() {
                format!(
                    "request failed: the server closed the connection ({})",
                    describe(&e)
                )
            } else {
                format!("request failed: {}", describe(&e))
            }
        })?;
        let (parts, body) = resp.into_parts();
        if matches!(self.sender, Sender::H2(_)) && parts.version != hyper::Version::HTTP_2 {
            return Err(format!(
                "the response came as {:?}, not HTTP/2: the server fell back from HTTP/2",
                parts.version
            ));
        }
        // Read through a limit: a server sending an endless body is stopped
        // at the cap, not held in memory.
        let limit = usize::try_from(self.max_body).unwrap_or(usize::MAX);
        let body = Limited::new(body, limit)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    body_too_large(self.max_body)
                } else {
                    match e.downcast::<hyper::Error>() {
                        Ok(e) => format!("reading the body failed: {}", describe(&e)),
                        Err(e) => format!("reading the body failed: {e}"),
                    }
                }
            })?
            .to_bytes();
        Ok(Response {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            elapsed: start.elapsed(),
        })
    }
}

/// One request on a fresh connection; connecting and the whole response within `timeout`.
pub async fn get(
    target: &Target,
    path_and_query: &str,
    timeout: Duration,
) -> Result<Response, String> {
    let exchange = async {
        let mut conn = connect(target, timeout).await?;
        conn.get_inner(path_and_query).await
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(format!("no complete response within {}", fmt_dur(timeout))),
    }
}

/// The failure of a body longer than `max_body` bytes.
pub fn body_too_large(max_body: u64) -> String {
    format!(
        "response body exceeds {}; verify stopped reading it (raise the bound with --max-body)",
        crate::input::fmt_bytes(max_body)
    )
}

/// hyper's error with its cause (`connection closed before message completed`, ...).
fn describe(err: &hyper::Error) -> String {
    use std::error::Error;
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// `2 s`, `500 ms`.
pub fn fmt_dur(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) && d >= Duration::from_secs(1) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_base_urls() {
        let t = Target::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 8080));
        assert!(t.is_loopback());
        assert!(
            Target::parse("http://localhost:3000")
                .unwrap()
                .is_loopback()
        );
        assert!(Target::parse("http://[::1]:3000").unwrap().is_loopback());
        assert!(!Target::parse("http://example.com").unwrap().is_loopback());
        // https:// is HTTP/2 over TLS, on 443 unless a port is given.
        let tls = Target::parse("https://127.0.0.1").unwrap();
        assert_eq!((tls.port, tls.protocol), (443, crate::stack::Protocol::H2));
        assert_eq!(t.protocol, crate::stack::Protocol::Http1);
        assert!(Target::parse("ftp://127.0.0.1:1").is_err());
        assert!(Target::parse("http://127.0.0.1:1/api").is_err());
        assert!(Target::parse("not a url").is_err());
    }

    #[test]
    fn formats_durations() {
        assert_eq!(fmt_dur(Duration::from_secs(2)), "2 s");
        assert_eq!(fmt_dur(Duration::from_millis(500)), "500 ms");
    }
}
