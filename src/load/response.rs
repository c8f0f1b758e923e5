//! Framing HTTP/1.1 responses incrementally ([`ResponseParser`]): status,
//! Content-Length / chunked / until-close bodies, 1xx interim responses,
//! `Connection: close`; and the `--expect-*` check ([`passes`]). Pure, no I/O.

use super::config::ResponseCheck;

/// Response bodies kept for `--expect-body` are cut at this many bytes.
const MAX_KEPT_BODY: usize = 1 << 20;
/// A response head larger than this is malformed for our purposes.
pub const MAX_HEAD: usize = 64 << 10;

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
