//! The lean HTTP/1.1 client path: requests are rendered to bytes once
//! ([`Prepared`]); a [`Connection`] keeps one keep-alive socket per target
//! address, a reusable buffer and one timeout timer, and frames responses
//! with [`ResponseParser`] (keeping the body only when a check needs it).
//! No pipelining: one request in flight per connection.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;

use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use super::config::ResponseCheck;
use super::report::ErrorCounts;
use super::response::{MAX_HEAD, ResponseParser, passes};

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
    /// The same request for the HTTP/2 path (None for HTTP/1.1).
    pub h2: Option<super::http2::Request2>,
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
    /// HTTP/2: the server reset the stream.
    Reset,
    /// HTTP/2: lost to the server's GOAWAY.
    GoAway,
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
            Failure::Reset => errors.reset += 1,
            Failure::GoAway => errors.goaway += 1,
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

    /// True when a socket is open.
    pub fn is_open(&self) -> bool {
        self.streams.iter().any(Option::is_some)
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
    let stream = TcpStream::connect(addr)
        .await
        .inspect_err(super::bounds::note_os_error)?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
