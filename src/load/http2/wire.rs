//! The byte stream under one HTTP/2 connection ([`Wire`]): counts the bytes
//! each way (HTTP/2 frame bytes; TLS records' overhead is not counted) and
//! watches the frame headers the server sends for a GOAWAY, so a request
//! that fails on a connection the server sent GOAWAY on is counted as lost
//! to it (h2 reports such a stream as a broken pipe once the socket closes).

use std::cell::Cell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// HTTP/2 frame type of GOAWAY (RFC 9113 §6.8).
const GOAWAY: u8 = 0x7;
/// HTTP/2 frame type of SETTINGS (RFC 9113 §6.5), and its ACK flag.
const SETTINGS: u8 = 0x4;
const ACK: u8 = 0x1;
/// Length of an HTTP/2 frame header.
const FRAME_HEADER: usize = 9;

/// What the lanes of a connection read from its byte stream.
#[derive(Debug, Default)]
pub struct WireState {
    /// Bytes received not yet attributed to a request.
    pub bytes_in: Cell<u64>,
    /// Bytes sent not yet attributed to a request.
    pub bytes_out: Cell<u64>,
    /// The server sent GOAWAY on this connection.
    pub goaway: Cell<bool>,
    /// The connection is over (its driver task ended) or must not take new streams.
    pub closed: Cell<bool>,
    /// The server's first SETTINGS frame arrived (its stream limit is known).
    pub settings: Cell<bool>,
    /// Notified when `settings` or `closed` is set.
    pub changed: tokio::sync::Notify,
}

impl WireState {
    /// True while new streams may be opened on the connection.
    pub fn usable(&self) -> bool {
        !self.closed.get() && !self.goaway.get()
    }

    /// Takes the bytes counted since the last take: (in, out).
    pub fn take_bytes(&self) -> (u64, u64) {
        (self.bytes_in.replace(0), self.bytes_out.replace(0))
    }
}

/// What a scan saw among the frame headers.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Seen {
    goaway: bool,
    /// A SETTINGS frame that is not an ACK.
    settings: bool,
}

/// Frame-header scanner over the received bytes (payloads are skipped).
#[derive(Debug, Default)]
struct Frames {
    header: [u8; FRAME_HEADER],
    have: usize,
    skip: u64,
}

impl Frames {
    /// Scans `data` for GOAWAY and SETTINGS frame headers.
    fn scan(&mut self, mut data: &[u8]) -> Seen {
        let mut seen = Seen::default();
        while !data.is_empty() {
            if self.skip > 0 {
                let n = (self.skip.min(data.len() as u64)) as usize;
                self.skip -= n as u64;
                data = &data[n..];
                continue;
            }
            let n = (FRAME_HEADER - self.have).min(data.len());
            self.header[self.have..self.have + n].copy_from_slice(&data[..n]);
            self.have += n;
            data = &data[n..];
            if self.have == FRAME_HEADER {
                let h = &self.header;
                self.skip = u64::from(h[0]) << 16 | u64::from(h[1]) << 8 | u64::from(h[2]);
                seen.goaway |= h[3] == GOAWAY;
                seen.settings |= h[3] == SETTINGS && h[4] & ACK == 0;
                self.have = 0;
            }
        }
        seen
    }
}

/// A byte stream that counts and scans what passes (see the module doc).
pub struct Wire<T> {
    inner: T,
    state: Rc<WireState>,
    frames: Frames,
}

impl<T> Wire<T> {
    pub fn new(inner: T, state: Rc<WireState>) -> Self {
        Wire {
            inner,
            state,
            frames: Frames::default(),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Wire<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        let got = &buf.filled()[before..];
        if !got.is_empty() {
            let s = &this.state;
            s.bytes_in.set(s.bytes_in.get() + got.len() as u64);
            let seen = this.frames.scan(got);
            if seen.goaway {
                s.goaway.set(true);
            }
            if seen.settings && !s.settings.get() {
                s.settings.set(true);
                s.changed.notify_waiters();
            }
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Wire<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = poll {
            let s = &this.state;
            s.bytes_out.set(s.bytes_out.get() + n as u64);
        }
        poll
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = poll {
            let s = &this.state;
            s.bytes_out.set(s.bytes_out.get() + n as u64);
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut out = vec![
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            kind,
            0,
            0,
            0,
            0,
            1,
        ];
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn finds_goaway_across_split_reads_and_skips_payloads() {
        // A DATA frame whose payload holds a fake GOAWAY header, then a real GOAWAY.
        let mut bytes = frame(0x0, &frame(GOAWAY, &[0; 8]));
        let data_only = bytes.len();
        bytes.extend(frame(GOAWAY, &[0; 8]));
        for split in 0..bytes.len() {
            let mut f = Frames::default();
            let (a, b) = bytes.split_at(split);
            let seen_a = f.scan(a).goaway;
            let seen_b = f.scan(b).goaway;
            assert_eq!(seen_a, split >= data_only + FRAME_HEADER, "split {split}");
            assert!(seen_a || seen_b, "split {split}");
        }
        let mut f = Frames::default();
        assert!(
            !f.scan(&bytes[..data_only]).goaway,
            "a GOAWAY inside a payload is not a frame"
        );
    }

    #[test]
    fn finds_settings_but_not_their_ack() {
        let mut f = Frames::default();
        let mut ack = frame(SETTINGS, &[]);
        ack[4] = ACK;
        assert!(!f.scan(&ack).settings);
        assert!(f.scan(&frame(SETTINGS, &[0, 3, 0, 0, 0, 2])).settings);
    }
}
