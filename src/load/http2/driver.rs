//! The task that owns one lean HTTP/2 connection's socket ([`Driver`]):
//! it writes every frame the lanes queued since its last turn in one call,
//! reads as much as the socket has, and handles each frame: a response's
//! HEADERS (decoded by [`super::hpack`], whose dynamic table follows the
//! server's) and DATA end the stream and wake its lane; SETTINGS, PING,
//! WINDOW_UPDATE, RST_STREAM and GOAWAY as RFC 9113 says. Received data is
//! given back by WINDOW_UPDATE once half a window has arrived.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::frame::{self, Head};
use super::hpack;
use super::state::State;
use crate::load::http::Failure;

/// Read buffer: room for several maximal frames.
const READ_BUF: usize = 64 << 10;

/// A connection-level error: we send GOAWAY with this code and close.
struct ConnError(u32);

/// Drives one connection until it closes; see the module doc.
pub struct Driver<T> {
    io: T,
    st: Rc<RefCell<State>>,
    rbuf: Box<[u8]>,
    /// Bytes in `rbuf` not yet handled.
    rlen: usize,
    /// Frames being written, and how far.
    wbuf: Vec<u8>,
    wpos: usize,
    /// A write completed since the last flush (TLS buffers records).
    unflushed: bool,
    decoder: hpack::Decoder,
    /// A header block continued in CONTINUATION frames: stream, END_STREAM, the block so far.
    partial: Option<(u32, bool, Vec<u8>)>,
    /// Received bytes not yet given back to the connection window.
    received: u32,
    /// Flow-control window we give (connection and each stream).
    window: u32,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Driver<T> {
    pub fn new(io: T, st: Rc<RefCell<State>>, window: u32) -> Self {
        Driver {
            io,
            st,
            rbuf: vec![0; READ_BUF].into_boxed_slice(),
            rlen: 0,
            wbuf: Vec::with_capacity(16 << 10),
            wpos: 0,
            unflushed: false,
            decoder: hpack::Decoder::default(),
            partial: None,
            received: 0,
            window,
        }
    }

    /// Writes what is queued; Ready(Err) when the connection is broken.
    fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.wpos == self.wbuf.len() {
                self.wbuf.clear();
                self.wpos = 0;
                let mut st = self.st.borrow_mut();
                if st.out.is_empty() {
                    break;
                }
                std::mem::swap(&mut self.wbuf, &mut st.out);
            }
            match Pin::new(&mut self.io).poll_write(cx, &self.wbuf[self.wpos..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.wpos += n;
                    self.unflushed = true;
                    self.st.borrow_mut().bytes_out += n as u64;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        if self.unflushed {
            match Pin::new(&mut self.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Handles every complete frame in the read buffer.
    fn handle_frames(&mut self) -> Result<(), ConnError> {
        let mut pos = 0;
        while self.rlen - pos >= frame::HEAD {
            let h = frame::parse_head(&self.rbuf[pos..]);
            if h.len > frame::DEFAULT_MAX_FRAME {
                return Err(ConnError(frame::FRAME_SIZE_ERROR));
            }
            if self.rlen - pos < frame::HEAD + h.len {
                break;
            }
            let start = pos + frame::HEAD;
            pos = start + h.len;
            // Moved out for the call (the handler needs `&mut self`), then back.
            let rbuf = std::mem::take(&mut self.rbuf);
            let result = self.frame(&h, &rbuf[start..pos]);
            self.rbuf = rbuf;
            result?;
        }
        self.rbuf.copy_within(pos..self.rlen, 0);
        self.rlen -= pos;
        Ok(())
    }

    fn frame(&mut self, h: &Head, payload: &[u8]) -> Result<(), ConnError> {
        if let Some((id, _, _)) = &self.partial
            && (h.kind != frame::CONTINUATION || h.stream != *id)
        {
            return Err(ConnError(frame::PROTOCOL_ERROR));
        }
        match h.kind {
            frame::DATA => self.data(h, payload),
            frame::HEADERS => {
                let block = frame::unpad(h, payload).ok_or(ConnError(frame::PROTOCOL_ERROR))?;
                let end_stream = h.flags & frame::END_STREAM != 0;
                if h.flags & frame::END_HEADERS != 0 {
                    self.header_block(h.stream, end_stream, block)
                } else {
                    self.partial = Some((h.stream, end_stream, block.to_vec()));
                    Ok(())
                }
            }
            frame::CONTINUATION => {
                let (id, end_stream, mut block) = self
                    .partial
                    .take()
                    .ok_or(ConnError(frame::PROTOCOL_ERROR))?;
                block.extend_from_slice(payload);
                if h.flags & frame::END_HEADERS != 0 {
                    self.header_block(id, end_stream, &block)
                } else {
                    self.partial = Some((id, end_stream, block));
                    Ok(())
                }
            }
            frame::RST_STREAM => {
                if payload.len() != 4 {
                    return Err(ConnError(frame::FRAME_SIZE_ERROR));
                }
                self.st.borrow_mut().finish(h.stream, Err(Failure::Reset));
                Ok(())
            }
            frame::SETTINGS => self.settings(h, payload),
            frame::PING => {
                if payload.len() != 8 {
                    return Err(ConnError(frame::FRAME_SIZE_ERROR));
                }
                if h.flags & frame::ACK == 0 {
                    let mut st = self.st.borrow_mut();
                    frame::head(&mut st.out, 8, frame::PING, frame::ACK, 0);
                    st.out.extend_from_slice(payload);
                }
                Ok(())
            }
            frame::GOAWAY => {
                if payload.len() < 8 {
                    return Err(ConnError(frame::FRAME_SIZE_ERROR));
                }
                let last = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]])
                    & 0x7fff_ffff;
                let mut st = self.st.borrow_mut();
                st.goaway = true;
                // Streams above `last` were never processed: lost to the GOAWAY.
                let lost: Vec<u32> = st.streams.keys().copied().filter(|&id| id > last).collect();
                for id in lost {
                    st.finish(id, Err(Failure::GoAway));
                }
                st.wake_waiters();
                Ok(())
            }
            frame::WINDOW_UPDATE => {
                if payload.len() != 4 {
                    return Err(ConnError(frame::FRAME_SIZE_ERROR));
                }
                let inc = i64::from(
                    u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]])
                        & 0x7fff_ffff,
                );
                let mut st = self.st.borrow_mut();
                if h.stream == 0 {
                    st.send_window += inc;
                    if st.send_window > i64::from(i32::MAX) {
                        return Err(ConnError(frame::FLOW_CONTROL_ERROR));
                    }
                } else if let Some(s) = st.streams.get_mut(&h.stream) {
                    s.send_window += inc;
                }
                st.wake_waiters();
                Ok(())
            }
            // Push is disabled in our SETTINGS.
            frame::PUSH_PROMISE => Err(ConnError(frame::PROTOCOL_ERROR)),
            // PRIORITY and unknown frame types are ignored.
            _ => Ok(()),
        }
    }

    fn data(&mut self, h: &Head, payload: &[u8]) -> Result<(), ConnError> {
        let body = frame::unpad(h, payload).ok_or(ConnError(frame::PROTOCOL_ERROR))?;
        let len = payload.len() as u32;
        let half = self.window / 2;
        let mut st = self.st.borrow_mut();
        self.received += len;
        if self.received >= half {
            frame::window_update(&mut st.out, 0, self.received);
            self.received = 0;
        }
        let end = h.flags & frame::END_STREAM != 0;
        let Some(s) = st.streams.get_mut(&h.stream) else {
            return Ok(());
        };
        if s.done.is_some() {
            return Ok(());
        }
        if s.keep_body {
            s.body.extend_from_slice(body);
        }
        s.received += len;
        if end {
            let result = if s.status.is_some() {
                Ok(())
            } else {
                Err(Failure::Read)
            };
            st.finish(h.stream, result);
        } else if s.received >= half {
            let n = std::mem::take(&mut s.received);
            frame::window_update(&mut st.out, h.stream, n);
        }
        Ok(())
    }

    fn header_block(&mut self, id: u32, end_stream: bool, block: &[u8]) -> Result<(), ConnError> {
        // Every block is decoded, even a cancelled stream's: the table must follow the server's.
        let mut status: Option<u16> = None;
        self.decoder
            .decode(block, |name, value| {
                if name == b":status" {
                    status = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
                }
            })
            .map_err(|_| ConnError(frame::COMPRESSION_ERROR))?;
        let mut st = self.st.borrow_mut();
        let Some(s) = st.streams.get_mut(&id) else {
            return Ok(());
        };
        if s.done.is_some() {
            return Ok(());
        }
        match (s.status, status) {
            // An informational response (1xx): the final one follows.
            (None, Some(code)) if code < 200 && !end_stream => return Ok(()),
            (None, Some(code)) => s.status = Some(code),
            // A response without a status is malformed.
            (None, None) => {
                st.finish(id, Err(Failure::Read));
                return Ok(());
            }
            // Trailers.
            (Some(_), _) => {}
        }
        if end_stream {
            st.finish(id, Ok(()));
        }
        Ok(())
    }

    fn settings(&mut self, h: &Head, payload: &[u8]) -> Result<(), ConnError> {
        if h.flags & frame::ACK != 0 {
            return Ok(());
        }
        if !payload.len().is_multiple_of(6) {
            return Err(ConnError(frame::FRAME_SIZE_ERROR));
        }
        let mut st = self.st.borrow_mut();
        for e in payload.chunks_exact(6) {
            let id = u16::from_be_bytes([e[0], e[1]]);
            let v = u32::from_be_bytes([e[2], e[3], e[4], e[5]]);
            match id {
                frame::SETTINGS_MAX_CONCURRENT_STREAMS => st.peer_max_streams = v as usize,
                frame::SETTINGS_INITIAL_WINDOW_SIZE => {
                    if v > i32::MAX as u32 {
                        return Err(ConnError(frame::FLOW_CONTROL_ERROR));
                    }
                    let delta = i64::from(v) - st.peer_initial_window;
                    st.peer_initial_window = i64::from(v);
                    for s in st.streams.values_mut() {
                        s.send_window += delta;
                    }
                }
                frame::SETTINGS_MAX_FRAME_SIZE => {
                    if !(16_384..=16_777_215).contains(&v) {
                        return Err(ConnError(frame::PROTOCOL_ERROR));
                    }
                    st.peer_max_frame = v as usize;
                }
                // Our encoder uses no dynamic table, so HEADER_TABLE_SIZE is moot.
                _ => {}
            }
        }
        frame::head(&mut st.out, 0, frame::SETTINGS, frame::ACK, 0);
        st.settings_seen = true;
        st.wake_waiters();
        Ok(())
    }

    /// Ends the connection: a GOAWAY for a protocol error (best effort), every stream failed.
    fn fail(&mut self, cx: &mut Context<'_>, err: Option<ConnError>) {
        if let Some(ConnError(code)) = err {
            let mut bye = Vec::new();
            frame::goaway(&mut bye, code);
            let _ = Pin::new(&mut self.io).poll_write(cx, &bye);
        }
        self.st.borrow_mut().close();
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Future for Driver<T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        {
            let mut st = this.st.borrow_mut();
            if st.closed {
                return Poll::Ready(());
            }
            if !st.driver.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                st.driver = Some(cx.waker().clone());
            }
        }
        loop {
            if let Poll::Ready(Err(_)) = this.poll_write_all(cx) {
                this.fail(cx, None);
                return Poll::Ready(());
            }
            let mut buf = ReadBuf::new(&mut this.rbuf[this.rlen..]);
            match Pin::new(&mut this.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) => {
                    let n = buf.filled().len();
                    if n == 0 {
                        this.fail(cx, None);
                        return Poll::Ready(());
                    }
                    this.rlen += n;
                    this.st.borrow_mut().bytes_in += n as u64;
                    if let Err(e) = this.handle_frames() {
                        this.fail(cx, Some(e));
                        return Poll::Ready(());
                    }
                }
                Poll::Ready(Err(_)) => {
                    this.fail(cx, None);
                    return Poll::Ready(());
                }
                Poll::Pending => {
                    // Frames the handling queued (WINDOW_UPDATE, ACKs) go now;
                    // the lanes' next requests wake this task again.
                    if let Poll::Ready(Err(_)) = this.poll_write_all(cx) {
                        this.fail(cx, None);
                        return Poll::Ready(());
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}
