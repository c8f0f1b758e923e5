//! The lean client against a scripted HTTP/2 server that writes raw
//! frames: what the `h2` server of tests/load_http2.rs never sends
//! (informational responses, CONTINUATION, trailers, PING, a dynamic HPACK
//! table, GOAWAY with streams on both sides of its last id) and the
//! RST_STREAM a timed-out request sends.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::{Conn, Lane};
use crate::load::http::{Failure, Prepared};
use crate::load::http2::frame::{self, Head};
use crate::load::http2::{Endpoint, Request2};

/// The server side of one connection.
struct Peer {
    sock: TcpStream,
    buf: Vec<u8>,
    enc: loona_hpack::Encoder<'static>,
}

impl Peer {
    async fn accept(l: &TcpListener) -> Peer {
        let (mut sock, _) = l.accept().await.unwrap();
        let mut preface = [0u8; 24];
        sock.read_exact(&mut preface).await.unwrap();
        assert_eq!(&preface[..], frame::PREFACE);
        let mut settings = Vec::new();
        frame::head(&mut settings, 0, frame::SETTINGS, 0, 0);
        sock.write_all(&settings).await.unwrap();
        Peer {
            sock,
            buf: Vec::new(),
            enc: loona_hpack::Encoder::new(),
        }
    }

    /// The next frame of `kind` from the client (others skipped).
    async fn next(&mut self, kind: u8) -> (Head, Vec<u8>) {
        loop {
            while self.buf.len() < frame::HEAD
                || self.buf.len() < frame::HEAD + frame::parse_head(&self.buf).len
            {
                let mut chunk = [0u8; 4096];
                let n = self.sock.read(&mut chunk).await.unwrap();
                assert!(n > 0, "the client closed while a {kind} frame was awaited");
                self.buf.extend_from_slice(&chunk[..n]);
            }
            let h = frame::parse_head(&self.buf);
            let payload = self.buf[frame::HEAD..frame::HEAD + h.len].to_vec();
            self.buf.drain(..frame::HEAD + h.len);
            if h.kind == kind {
                return (h, payload);
            }
        }
    }

    /// A HEADERS frame of `fields`, split into a CONTINUATION after `split` block bytes.
    fn headers(&mut self, id: u32, end: bool, fields: &[(&str, &str)], split: usize) -> Vec<u8> {
        let block = self
            .enc
            .encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())));
        let mut out = Vec::new();
        let es = if end { frame::END_STREAM } else { 0 };
        if split < block.len() {
            frame::head(&mut out, split, frame::HEADERS, es, id);
            out.extend_from_slice(&block[..split]);
            frame::head(
                &mut out,
                block.len() - split,
                frame::CONTINUATION,
                frame::END_HEADERS,
                id,
            );
            out.extend_from_slice(&block[split..]);
        } else {
            frame::head(
                &mut out,
                block.len(),
                frame::HEADERS,
                es | frame::END_HEADERS,
                id,
            );
            out.extend_from_slice(&block);
        }
        out
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.sock.write_all(bytes).await.unwrap();
    }
}

fn request(url: &str) -> Prepared {
    let url: url::Url = url.parse().unwrap();
    Prepared {
        bytes: Vec::new(),
        target: 0,
        head: false,
        h2: Some(Request2::new("GET", &url, &[], None).unwrap()),
    }
}

#[test]
fn lean_client_follows_the_protocol_a_scripted_server_speaks() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let req = request(&format!("http://{addr}/x"));
        let conn = Conn::new(Arc::new([Endpoint { addr, tls: None }]));
        let (mut a, mut b) = (Lane::new(conn.clone()), Lane::new(conn.clone()));
        let soon = || Instant::now() + Duration::from_secs(5);

        let server = tokio::task::spawn_local(async move {
            let mut p = Peer::accept(&listener).await;
            // 1: PING, a 103, a final response split by CONTINUATION, DATA, trailers.
            let (h, block) = p.next(frame::HEADERS).await;
            assert_eq!(h.stream, 1);
            assert!(h.flags & frame::END_STREAM != 0);
            let fields = loona_hpack::Decoder::new().decode(&block).unwrap();
            assert!(
                fields.contains(&(b":path".to_vec(), b"/x".to_vec())),
                "{fields:?}"
            );
            let mut out = Vec::new();
            frame::head(&mut out, 8, frame::PING, 0, 0);
            out.extend_from_slice(b"pingpong");
            out.extend(p.headers(1, false, &[(":status", "103"), ("link", "</a>")], 99));
            let long = "v".repeat(40);
            out.extend(p.headers(1, false, &[(":status", "200"), ("x-long", &long)], 5));
            frame::data(&mut out, 1, b"hello", false);
            out.extend(p.headers(1, true, &[("x-trailer", "done")], 99));
            p.send(&out).await;
            let (h, payload) = p.next(frame::PING).await;
            assert_eq!((h.flags, &payload[..]), (frame::ACK, &b"pingpong"[..]));
            // 2: the same header again, now indexed in the dynamic table.
            let (h, _) = p.next(frame::HEADERS).await;
            let out = p.headers(h.stream, true, &[(":status", "404"), ("x-long", &long)], 99);
            p.send(&out).await;
            // 3: two streams; GOAWAY keeps the first, loses the second; then close.
            let (h5, _) = p.next(frame::HEADERS).await;
            let (h7, _) = p.next(frame::HEADERS).await;
            assert_eq!((h5.stream, h7.stream), (5, 7));
            let mut out = Vec::new();
            frame::head(&mut out, 8, frame::GOAWAY, 0, 0);
            out.extend_from_slice(&5u32.to_be_bytes());
            out.extend_from_slice(&0u32.to_be_bytes());
            out.extend(p.headers(5, true, &[(":status", "200")], 99));
            p.send(&out).await;
            drop(p);
            // A new connection: 4 is reset, 5 is never answered (the client cancels it).
            let mut p = Peer::accept(&listener).await;
            let (h, _) = p.next(frame::HEADERS).await;
            assert_eq!(h.stream, 1);
            let mut out = Vec::new();
            frame::rst_stream(&mut out, 1, 0x2);
            p.send(&out).await;
            let (h, _) = p.next(frame::HEADERS).await;
            let (rst, payload) = p.next(frame::RST_STREAM).await;
            assert_eq!(rst.stream, h.stream);
            assert_eq!(payload, frame::CANCEL.to_be_bytes());
        });

        let out = a.exchange(&req, None, soon()).await;
        assert_eq!((out.status, out.failure), (Some(200), None));
        assert!(out.bytes_in > 0 && out.bytes_out > 0, "{out:?}");
        let out = a.exchange(&req, None, soon()).await;
        assert_eq!((out.status, out.failure), (Some(404), None));
        let (x, y) = tokio::join!(
            a.exchange(&req, None, soon()),
            b.exchange(&req, None, soon())
        );
        assert_eq!((x.status, x.failure), (Some(200), None));
        assert_eq!((y.status, y.failure), (None, Some(Failure::GoAway)));
        let out = a.exchange(&req, None, soon()).await;
        assert_eq!(out.failure, Some(Failure::Reset));
        let deadline = Instant::now() + Duration::from_millis(100);
        let out = a.exchange(&req, None, deadline).await;
        assert_eq!(out.failure, Some(Failure::Timeout));
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server's script ended")
            .unwrap();
    });
}
