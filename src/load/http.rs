//! The lean HTTP/1.1 client path: requests are rendered to bytes once
//! ([`Prepared`]), a [`Connection`] keeps one keep-alive socket per target
//! address and a reusable buffer, and [`ResponseParser`] frames responses
//! (Content-Length, chunked, until-close) with `httparse`, keeping the body
//! only when a check needs it. No pipelining: one request in flight per connection.

use std::io;
use std::net::SocketAddr;

use std::pin::Pin;
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::TcpStream;

use tokio::time::{Instant, Sleep};

use super::config::ResponseCheck;
use super::report::ErrorCounts;

/// Response bodies kept for `--expect-body` are cut at this many bytes.
const MAX_KEPT_BODY: usize = 1 << 20;
/// A response head larger than this is malformed for our purposes.
const MAX_HEAD: usize = 64 << 10;
const READ_CHUNK: usize = 16 << 10;

/// One request rendered to wire bytes, and where it goes.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The full request: request line, headers, blank line, body.
    pub bytes: Vec<u8>,
    /// Index into the run's target addresses.
    pub target: usize,
    /// HEAD responses carry no body whatever their headers say.
    pub head: bool,
}

/// Renders a request. `Host` is added unless among `headers`; `Content-Length`
/// is added when there is a body (or the method usually carries one).
pub fn render(
    method: &str,
    url: &url::Url,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + body.map_or(0, <[u8]>::len));
    let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let path = if path.is_empty() { "/" } else { path };
    out.extend_from_slice(format!("{method} {path} HTTP/1.1\r\n").as_bytes());
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if !has("host") {
        let host = url.host_str().unwrap_or("localhost");
        match url.port() {
            Some(port) => out.extend_from_slice(format!("Host: {host}:{port}\r\n").as_bytes()),
            None => out.extend_from_slice(format!("Host: {host}\r\n").as_bytes()),
        }
    }
    for (k, v) in headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    let wants_length = body.is_some() || matches!(method, "POST" | "PUT" | "PATCH");
    if wants_length && !has("content-length") {
        let len = body.map_or(0, <[u8]>::len);
        out.extend_from_slice(format!("Content-Length: {len}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    if let Some(body) = body {
        out.extend_from_slice(body);
    }
    out
}

/// Why a request failed; maps onto [`ErrorCounts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Connect,
    Read,
    Write,
    Timeout,
    Check,
}

impl Failure {
    /// Adds one failure of this kind to `errors`.
    pub fn count(self, errors: &mut ErrorCounts) {
        match self {
            Failure::Connect => errors.connect += 1,
            Failure::Read => errors.read += 1,
            Failure::Write => errors.write += 1,
            Failure::Timeout => errors.timeout += 1,
            Failure::Check => errors.check += 1,
        }
    }
}

/// The result of one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Status code when a complete response arrived (also on a check failure).
    pub status: Option<u16>,
    /// Set when the request failed.
    pub failure: Option<Failure>,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Length(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkCrlf(u8),
    Trailers,
    UntilClose,
    Done,
}

/// Incremental response framing. Feed it the bytes read so far with
/// [`ResponseParser::feed`]; it says how many it consumed and whether the
/// response is complete.
#[derive(Debug)]
pub struct ResponseParser {
    head_done: bool,
    head_request: bool,
    body: Body,
    /// Status of the final (non-1xx) response.
    pub status: u16,
    /// The server will close the connection after this response.
    pub close: bool,
    keep_body: bool,
    /// The body, when kept (see [`ResponseParser::new`]).
    pub kept: Vec<u8>,
}

/// What [`ResponseParser::feed`] made of the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fed {
    pub consumed: usize,
    pub complete: bool,
}

/// A response that cannot be framed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed response: {0}")]
pub struct Malformed(pub &'static str);

impl ResponseParser {
    /// A parser for the response to a request; `head_request` for HEAD;
    /// `keep_body` to collect the body (up to 1 MiB) for a check.
    pub fn new(head_request: bool, keep_body: bool) -> Self {
        ResponseParser {
            head_done: false,
            head_request,
            body: Body::Done,
            status: 0,
            close: false,
            keep_body,
            kept: Vec::new(),
        }
    }

    /// Consumes what it can of `data` (the unconsumed bytes read so far).
    pub fn feed(&mut self, data: &[u8]) -> Result<Fed, Malformed> {
        let mut used = 0;
        while !self.head_done {
            match self.parse_head(&data[used..])? {
                Some(n) => used += n,
                None => {
                    return Ok(Fed {
                        consumed: used,
                        complete: false,
                    });
                }
            }
        }
        loop {
            let rest = &data[used..];
            let (n, next) = match self.body {
                Body::Done => {
                    return Ok(Fed {
                        consumed: used,
                        complete: true,
                    });
                }
                Body::Length(left) => {
                    let n = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.keep(&rest[..n]);
                    let left = left - n as u64;
                    (
                        n,
                        if left == 0 {
                            Body::Done
                        } else {
                            Body::Length(left)
                        },
                    )
                }
                Body::UntilClose => {
                    self.keep(rest);
                    (rest.len(), Body::UntilClose)
                }
                Body::ChunkSize => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((n, 0))) => (n, Body::Trailers),
                    Ok(httparse::Status::Complete((n, size))) => (n, Body::ChunkData(size)),
                    Ok(httparse::Status::Partial) => (0, Body::ChunkSize),
                    Err(_) => return Err(Malformed("bad chunk size")),
                },
                Body::ChunkData(left) => {
                    let n = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.keep(&rest[..n]);
                    let left = left - n as u64;
                    (
                        n,
                        if left == 0 {
                            Body::ChunkCrlf(2)
                        } else {
                            Body::ChunkData(left)
                        },
                    )
                }
                Body::ChunkCrlf(left) => {
                    let n = rest.len().min(left as usize);
                    let left = left - n as u8;
                    (
                        n,
                        if left == 0 {
                            Body::ChunkSize
                        } else {
                            Body::ChunkCrlf(left)
                        },
                    )
                }
                Body::Trailers => match rest.windows(2).position(|w| w == b"\r\n") {
                    Some(0) => (2, Body::Done),
                    Some(end) => (end + 2, Body::Trailers),
                    None => (0, Body::Trailers),
                },
            };
            used += n;
            self.body = next;
            if n == 0 && self.body != Body::Done {
                return Ok(Fed {
                    consumed: used,
                    complete: false,
                });
            }
        }
    }

    /// The peer closed the connection: completes an until-close body.
    pub fn eof(&mut self) -> bool {
        if self.head_done && self.body == Body::UntilClose {
            self.body = Body::Done;
            true
        } else {
            false
        }
    }

    fn keep(&mut self, bytes: &[u8]) {
        if self.keep_body && self.kept.len() < MAX_KEPT_BODY {
            let room = MAX_KEPT_BODY - self.kept.len();
            self.kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }

    /// Parses one response head; `None` when more bytes are needed. A 1xx
    /// head is consumed and leaves `head_done` false.
    fn parse_head(&mut self, data: &[u8]) -> Result<Option<usize>, Malformed> {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        let n = match resp.parse(data) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if data.len() > MAX_HEAD => {
                return Err(Malformed("response head too large"));
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(Malformed("bad status line or header")),
        };
        let status = resp.code.unwrap_or(0);
        if (100..200).contains(&status) && status != 101 {
            return Ok(Some(n));
        }
        let mut length = None;
        let mut chunked = false;
        let mut close = resp.version == Some(0);
        for h in resp.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                let text = std::str::from_utf8(h.value).map_err(|_| Malformed("content-length"))?;
                length = Some(
                    text.trim()
                        .parse::<u64>()
                        .map_err(|_| Malformed("content-length"))?,
                );
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = h.value.to_ascii_lowercase().ends_with(b"chunked");
            } else if h.name.eq_ignore_ascii_case("connection") {
                let v = h.value.to_ascii_lowercase();
                if v.windows(5).any(|w| w == b"close") {
                    close = true;
                } else if v.windows(10).any(|w| w == b"keep-alive") {
                    close = false;
                }
            }
        }
        self.status = status;
        self.head_done = true;
        self.body = if self.head_request || status == 204 || status == 304 {
            Body::Done
        } else if chunked {
            Body::ChunkSize
        } else if let Some(len) = length {
            if len == 0 {
                Body::Done
            } else {
                Body::Length(len)
            }
        } else {
            close = true;
            Body::UntilClose
        };
        self.close = close;
        Ok(Some(n))
    }
}

/// True when `response` passes `check` (status and body substring).
pub fn passes(check: &ResponseCheck, status: u16, body: &[u8]) -> bool {
    if check.status.is_some_and(|want| want != status) {
        return false;
    }
    match &check.body_contains {
        Some(needle) if !needle.is_empty() => {
            body.windows(needle.len()).any(|w| w == needle.as_bytes())
        }
        _ => true,
    }
}

/// One client connection: a keep-alive socket per target address (usually
/// one), opened lazily and reopened after a failure or `Connection: close`.
pub struct Connection {
    streams: Vec<Option<TcpStream>>,
    buf: Vec<u8>,
    /// The timeout timer, kept across requests: it is moved only when it
    /// fires early (deadlines only move later), not re-armed per request.
    timer: Option<Pin<Box<Sleep>>>,
}

enum Step {
    Done(u16),
    Fail(Failure),
    /// The reused socket was closed before any response byte: resend once.
    Stale,
}

impl Connection {
    /// A connection to `targets` addresses, none opened yet.
    pub fn new(targets: usize) -> Self {
        Connection {
            streams: (0..targets).map(|_| None).collect(),
            buf: vec![0; READ_CHUNK],
            timer: None,
        }
    }

    /// Opens the socket for `target` now (before a run starts) if it is not open.
    pub async fn open(&mut self, addrs: &[SocketAddr], target: usize) -> io::Result<()> {
        if self.streams[target].is_none() {
            self.streams[target] = Some(connect(addrs[target]).await?);
        }
        Ok(())
    }

    /// Sends `req` and reads its response, all before `deadline` (else a
    /// timeout, and the socket is dropped).
    pub async fn exchange(
        &mut self,
        req: &Prepared,
        addrs: &[SocketAddr],
        check: Option<&ResponseCheck>,
        deadline: Instant,
    ) -> Outcome {
        let mut out = Outcome {
            status: None,
            failure: None,
            bytes_in: 0,
            bytes_out: 0,
        };
        let keep_body = check.is_some_and(|c| c.body_contains.is_some());
        let mut parser = ResponseParser::new(req.head, keep_body);
        let Connection {
            streams,
            buf,
            timer,
        } = self;
        let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() > deadline {
            timer.as_mut().reset(deadline);
        }
        let step = {
            let io = async {
                match attempt(streams, buf, req, addrs, &mut parser, &mut out).await {
                    Step::Stale => {
                        parser = ResponseParser::new(req.head, keep_body);
                        attempt(streams, buf, req, addrs, &mut parser, &mut out).await
                    }
                    step => step,
                }
            };
            tokio::pin!(io);
            loop {
                tokio::select! {
                    biased;
                    step = &mut io => break Ok(step),
                    () = timer.as_mut() => {
                        if Instant::now() >= deadline {
                            break Err(());
                        }
                        timer.as_mut().reset(deadline);
                    }
                }
            }
        };
        match step {
            Ok(Step::Done(status)) => {
                out.status = Some(status);
                if check.is_some_and(|c| !passes(c, status, &parser.kept)) {
                    out.failure = Some(Failure::Check);
                }
            }
            Ok(Step::Fail(f)) => out.failure = Some(f),
            Ok(Step::Stale) => out.failure = Some(Failure::Read),
            Err(()) => {
                self.streams[req.target] = None;
                out.failure = Some(Failure::Timeout);
            }
        }
        out
    }
}

/// One try at an exchange on `streams[req.target]` (connecting if needed).
async fn attempt(
    streams: &mut [Option<TcpStream>],
    buf: &mut Vec<u8>,
    req: &Prepared,
    addrs: &[SocketAddr],
    parser: &mut ResponseParser,
    out: &mut Outcome,
) -> Step {
    let slot = &mut streams[req.target];
    let reused = slot.is_some();
    let stream = match slot {
        Some(s) => s,
        None => match connect(addrs[req.target]).await {
            Ok(s) => slot.insert(s),
            Err(_) => return Step::Fail(Failure::Connect),
        },
    };
    if stream.write_all(&req.bytes).await.is_err() {
        *slot = None;
        return if reused {
            Step::Stale
        } else {
            Step::Fail(Failure::Write)
        };
    }
    out.bytes_out += req.bytes.len() as u64;
    let (mut start, mut end) = (0usize, 0usize);
    let mut got_any = false;
    loop {
        if end == buf.len() {
            if start > 0 {
                buf.copy_within(start..end, 0);
                end -= start;
                start = 0;
            } else if buf.len() < 2 * MAX_HEAD {
                buf.resize(buf.len() * 2, 0);
            } else {
                *slot = None;
                return Step::Fail(Failure::Read);
            }
        }
        let room = buf.len() - end;
        let n = match stream.read(&mut buf[end..]).await {
            Ok(n) => n,
            Err(_) if reused && !got_any => {
                *slot = None;
                return Step::Stale;
            }
            Err(_) => {
                *slot = None;
                return Step::Fail(Failure::Read);
            }
        };
        if n == 0 {
            *slot = None;
            if parser.eof() {
                return Step::Done(parser.status);
            }
            return if reused && !got_any {
                Step::Stale
            } else {
                Step::Fail(Failure::Read)
            };
        }
        got_any = true;
        out.bytes_in += n as u64;
        end += n;
        match parser.feed(&buf[start..end]) {
            Ok(fed) => {
                start += fed.consumed;
                if start == end {
                    (start, end) = (0, 0);
                }
                if fed.complete {
                    if parser.close || start != end {
                        // Closing, or bytes we did not ask for: start afresh next time.
                        *slot = None;
                    } else if n < room {
                        // The short read drained the socket and nothing more
                        // can come before the next request (no pipelining):
                        // drop tokio's stale read readiness so the next read
                        // waits for epoll instead of first failing with EAGAIN.
                        // Closed states survive this, so a FIN is still seen.
                        let _ = stream.try_io(Interest::READABLE, || {
                            Err::<(), _>(io::ErrorKind::WouldBlock.into())
                        });
                    }
                    return Step::Done(parser.status);
                }
            }
            Err(_) => {
                *slot = None;
                return Step::Fail(Failure::Read);
            }
        }
    }
}

/// Connects with Nagle off (requests are written whole).
pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]], head: bool, keep: bool) -> (ResponseParser, bool, usize) {
        let mut p = ResponseParser::new(head, keep);
        let mut pending: Vec<u8> = Vec::new();
        let mut complete = false;
        for chunk in chunks {
            pending.extend_from_slice(chunk);
            let fed = p.feed(&pending).unwrap();
            pending.drain(..fed.consumed);
            if fed.complete {
                complete = true;
                break;
            }
        }
        (p, complete, pending.len())
    }

    #[test]
    fn renders_request_with_host_and_length() {
        let url = url::Url::parse("http://127.0.0.1:8080/a/b?q=1").unwrap();
        let bytes = render(
            "POST",
            &url,
            &[("X-A".into(), "1".into())],
            Some(b"hi".as_slice()),
        );
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "POST /a/b?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nhi"
        );
        let get = render(
            "GET",
            &url::Url::parse("http://localhost").unwrap(),
            &[],
            None,
        );
        assert_eq!(get, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    }

    #[test]
    fn content_length_split_anywhere() {
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";
        for cut in 1..resp.len() {
            let (p, complete, left) = parse_all(&[&resp[..cut], &resp[cut..]], false, true);
            assert!(complete, "cut at {cut}");
            assert_eq!(left, 0);
            assert_eq!(p.status, 200);
            assert_eq!(p.kept, b"Hello, World!");
            assert!(!p.close);
        }
    }

    #[test]
    fn chunked_with_trailers_split_anywhere() {
        let resp = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n8;ext=1\r\n, World!\r\n0\r\nX-T: 1\r\n\r\n";
        for cut in 1..resp.len() {
            let (p, complete, left) = parse_all(&[&resp[..cut], &resp[cut..]], false, true);
            assert!(complete, "cut at {cut}");
            assert_eq!(left, 0, "cut at {cut}");
            assert_eq!(p.status, 201);
            assert_eq!(p.kept, b"Hello, World!");
        }
    }

    #[test]
    fn head_204_and_continue_have_no_body() {
        let (p, complete, _) = parse_all(
            &[b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"],
            true,
            false,
        );
        assert!(complete && p.status == 200);
        let (p, complete, _) = parse_all(&[b"HTTP/1.1 204 No Content\r\n\r\n"], false, false);
        assert!(complete && p.status == 204);
        let (p, complete, _) = parse_all(
            &[b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"],
            false,
            false,
        );
        assert!(complete && p.status == 200);
    }

    #[test]
    fn until_close_and_connection_close() {
        let (mut p, complete, _) = parse_all(&[b"HTTP/1.0 200 OK\r\n\r\nabc"], false, true);
        assert!(!complete && p.close);
        assert!(p.eof());
        assert_eq!(p.kept, b"abc");
        let (p, complete, _) = parse_all(
            &[b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx"],
            false,
            false,
        );
        assert!(complete && p.close);
    }

    #[test]
    fn malformed_heads_are_errors() {
        let mut p = ResponseParser::new(false, false);
        assert!(p.feed(b"NOT HTTP\r\n\r\n").is_err());
        let mut p = ResponseParser::new(false, false);
        assert!(
            p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")
                .is_err()
        );
    }

    #[test]
    fn checks() {
        let check = ResponseCheck {
            status: Some(200),
            body_contains: Some("World".into()),
        };
        assert!(passes(&check, 200, b"Hello, World!"));
        assert!(!passes(&check, 500, b"Hello, World!"));
        assert!(!passes(&check, 200, b"Hello"));
        assert!(passes(&ResponseCheck::default(), 404, b""));
    }
}
