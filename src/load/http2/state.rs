//! What the lanes of one lean HTTP/2 connection and its driver share
//! ([`State`], behind one `RefCell` on the thread's `LocalSet`): the bytes
//! waiting to be written (lanes append whole frames, the driver writes them
//! all in one call), the open streams, the windows and the peer's settings.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::task::Waker;

use super::frame;
use crate::load::http::Failure;

/// Hashes a stream id (ids are distinct odd numbers: a multiply spreads them).
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// One open stream (a request of one lane).
#[derive(Default)]
pub struct Stream {
    /// The final response's status, once its HEADERS arrived.
    pub status: Option<u16>,
    /// Set when the stream is over: Ok (response complete) or the failure.
    pub done: Option<Result<(), Failure>>,
    /// Keep the body (a check reads it).
    pub keep_body: bool,
    pub body: Vec<u8>,
    /// The lane waiting for this stream.
    pub waker: Option<Waker>,
    /// What the peer lets us send on this stream.
    pub send_window: i64,
    /// Bytes received since our last WINDOW_UPDATE for the stream.
    pub received: u32,
}

/// The shared state of one connection.
pub struct State {
    /// Frames waiting to be written.
    pub out: Vec<u8>,
    /// The next stream id this client opens.
    pub next_id: u32,
    pub streams: HashMap<u32, Stream, BuildHasherDefault<IdHasher>>,
    /// Streams open in the protocol's sense (counted against the peer's limit).
    pub open: usize,
    /// SETTINGS_MAX_CONCURRENT_STREAMS of the peer (unlimited until it says).
    pub peer_max_streams: usize,
    pub peer_initial_window: i64,
    pub peer_max_frame: usize,
    /// What the peer lets us send on the connection.
    pub send_window: i64,
    /// The server's first SETTINGS arrived (its limits are known).
    pub settings_seen: bool,
    /// The driver ended (the connection is over).
    pub closed: bool,
    /// The server sent GOAWAY: no new streams.
    pub goaway: bool,
    /// Bytes each way not yet attributed to a request.
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// The driver's task, woken when frames are queued on an empty buffer.
    pub driver: Option<Waker>,
    /// Lanes waiting for a stream slot or send window.
    pub waiters: Vec<Waker>,
}

impl State {
    pub fn new(window: u32) -> State {
        let mut out = Vec::with_capacity(16 << 10);
        frame::preface(&mut out, window);
        State {
            out,
            next_id: 1,
            streams: HashMap::default(),
            open: 0,
            peer_max_streams: usize::MAX,
            peer_initial_window: i64::from(frame::DEFAULT_WINDOW),
            peer_max_frame: frame::DEFAULT_MAX_FRAME,
            send_window: i64::from(frame::DEFAULT_WINDOW),
            settings_seen: false,
            closed: false,
            goaway: false,
            bytes_in: 0,
            bytes_out: 0,
            driver: None,
            waiters: Vec::new(),
        }
    }

    /// True while new streams may be opened.
    pub fn usable(&self) -> bool {
        !self.closed && !self.goaway
    }

    /// Wakes the driver (frames were queued).
    pub fn wake_driver(&self) {
        if let Some(w) = &self.driver {
            w.wake_by_ref();
        }
    }

    /// Wakes every lane waiting for a stream slot or window.
    pub fn wake_waiters(&mut self) {
        for w in self.waiters.drain(..) {
            w.wake();
        }
    }

    /// Ends stream `id` with `result` (if it is still open) and wakes its lane.
    pub fn finish(&mut self, id: u32, result: Result<(), Failure>) {
        if let Some(s) = self.streams.get_mut(&id)
            && s.done.is_none()
        {
            s.done = Some(result);
            if let Some(w) = s.waker.take() {
                w.wake();
            }
            self.open -= 1;
            if !self.waiters.is_empty() {
                self.wake_waiters();
            }
        }
    }

    /// The connection is over: every open stream fails (lost to the
    /// server's GOAWAY if it sent one, else a read error).
    pub fn close(&mut self) {
        self.closed = true;
        let failure = if self.goaway {
            Failure::GoAway
        } else {
            Failure::Read
        };
        let open: Vec<u32> = self
            .streams
            .iter()
            .filter(|(_, s)| s.done.is_none())
            .map(|(&id, _)| id)
            .collect();
        for id in open {
            self.finish(id, Err(failure));
        }
        self.wake_waiters();
    }

    /// Takes the bytes counted since the last take: (in, out).
    pub fn take_bytes(&mut self) -> (u64, u64) {
        (
            std::mem::take(&mut self.bytes_in),
            std::mem::take(&mut self.bytes_out),
        )
    }
}
