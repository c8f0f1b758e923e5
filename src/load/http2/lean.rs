//! The lean HTTP/2 client path, the default of `load --http2` (the `h2`
//! crate's path stays as `--h2-client h2-crate`): built because the
//! benchmark against h2load showed the `h2` crate's per-request cost
//! (README, bench/load_vs_h2load.sh). Profiled (perf, 2026-12-04): its
//! first measurement (18 CPU-µs/request) was `loona-hpack` rebuilding its
//! Huffman decoder per string; with [`super::hpack`] it costs about
//! 1.4 CPU-µs/request, the `h2` crate 3.5–3.9, h2load 2.4.
//!
//! Per connection one [`Driver`] task owns the socket; its lanes share a
//! [`State`]. A lane opens a stream by appending the request's HEADERS frame
//! — the header block was encoded once (`frame::request_block`) — to the
//! connection's output and waking the driver, which writes all queued
//! frames in one call; the driver wakes the lane when its response ends.
//! No per-request task, header map, or lock.

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

use tokio::time::{Instant, Sleep};

use super::driver::Driver;
use super::state::{State, Stream};
use super::{Endpoint, Request2, WINDOW, frame, probe, tls};
use crate::load::config::ResponseCheck;
use crate::load::http::{Failure, Outcome, Prepared};
use crate::load::response::passes;

type Shared = Rc<RefCell<State>>;

impl super::pool::Handle for Shared {
    fn usable(&self) -> bool {
        self.borrow().usable()
    }
}

/// One load connection: an HTTP/2 connection per target, shared by its lanes.
pub struct Conn {
    pool: super::pool::Pool<Shared>,
}

impl Conn {
    /// A connection to `endpoints`, none opened yet.
    pub fn new(endpoints: Arc<[Endpoint]>) -> Rc<Conn> {
        Rc::new(Conn {
            pool: super::pool::Pool::new(endpoints),
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
    async fn get(&self, target: usize) -> anyhow::Result<Shared> {
        self.pool.get(target, connect).await
    }
}

/// Opens one HTTP/2 connection (TCP, TLS with ALPN `h2` when asked), queues
/// the preface and our SETTINGS, and spawns its driver on the current `LocalSet`.
async fn connect(endpoint: &Endpoint) -> anyhow::Result<Shared> {
    use anyhow::Context as _;
    let tcp = crate::load::http::connect(endpoint.addr)
        .await
        .with_context(|| format!("connecting to {}", endpoint.addr))?;
    let st = Rc::new(RefCell::new(State::new(WINDOW)));
    match &endpoint.tls {
        None => {
            tokio::task::spawn_local(Driver::new(tcp, st.clone(), WINDOW));
        }
        Some((cfg, name)) => {
            let tls = tokio_rustls::TlsConnector::from(cfg.clone())
                .connect(name.clone(), tcp)
                .await
                .with_context(|| format!("TLS handshake with {}", endpoint.addr))?;
            let alpn = tls.get_ref().1.alpn_protocol();
            if alpn != Some(tls::ALPN_H2) {
                anyhow::bail!("{}", probe::not_h2_over_tls(endpoint.addr, alpn));
            }
            tokio::task::spawn_local(Driver::new(tls, st.clone(), WINDOW));
        }
    }
    // The server's SETTINGS first, so the first requests keep to its stream limit.
    let seen = poll_fn(|cx| {
        let mut st = st.borrow_mut();
        if st.closed || st.settings_seen {
            return Poll::Ready(st.settings_seen);
        }
        st.waiters.push(cx.waker().clone());
        Poll::Pending
    })
    .await;
    anyhow::ensure!(
        seen,
        "HTTP/2 handshake with {}: the connection closed before the server's SETTINGS",
        endpoint.addr
    );
    Ok(st)
}

/// One stream slot of a [`Conn`]: one request in flight at a time.
pub struct Lane {
    conn: Rc<Conn>,
    /// The timeout timer, kept across requests (see `http2::Lane`).
    timer: Option<Pin<Box<Sleep>>>,
}

/// A stream this lane opened: its connection and id.
type Opened = Option<(Shared, u32)>;

impl Lane {
    pub fn new(conn: Rc<Conn>) -> Lane {
        Lane { conn, timer: None }
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
        let mut timer = self
            .timer
            .take()
            .unwrap_or_else(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() > deadline {
            timer.as_mut().reset(deadline);
        }
        let mut opened: Opened = None;
        let mut conn: Option<Shared> = None;
        let result = {
            let io = attempt(
                &self.conn,
                r2,
                req.target,
                keep_body,
                &mut opened,
                &mut conn,
            );
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
        if result.is_err()
            && let Some((shared, id)) = &opened
        {
            cancel(shared, *id);
        }
        let (bytes_in, bytes_out) = conn
            .as_ref()
            .map_or((0, 0), |s| s.borrow_mut().take_bytes());
        let mut out = Outcome {
            status: None,
            failure: None,
            bytes_in,
            bytes_out,
        };
        match result {
            Ok(Ok((status, body))) => {
                out.status = Some(status);
                if check.is_some_and(|c| !passes(c, status, &body)) {
                    out.failure = Some(Failure::Check);
                }
            }
            Ok(Err(failure)) => out.failure = Some(failure),
            Err(()) => out.failure = Some(Failure::Timeout),
        }
        out
    }
}

/// Gives up stream `id` (timed out): RST_STREAM CANCEL, its slot freed.
fn cancel(shared: &Shared, id: u32) {
    let mut st = shared.borrow_mut();
    let Some(s) = st.streams.remove(&id) else {
        return;
    };
    if s.done.is_none() && !st.closed {
        st.open -= 1;
        let was_empty = st.out.is_empty();
        frame::rst_stream(&mut st.out, id, frame::CANCEL);
        if was_empty {
            st.wake_driver();
        }
        st.wake_waiters();
    }
}

/// The exchange: a stream opened on a usable connection (reconnecting once
/// if the connection ended before the request left), the body sent within
/// the peer's windows, the response awaited. `opened` and `conn` say where
/// it went, for the caller's cancel and byte count.
async fn attempt(
    c: &Conn,
    r2: &Request2,
    target: usize,
    keep_body: bool,
    opened: &mut Opened,
    conn: &mut Option<Shared>,
) -> Result<(u16, Vec<u8>), Failure> {
    let mut tries = 0;
    let (shared, id) = loop {
        tries += 1;
        let shared = c.get(target).await.map_err(|_| Failure::Connect)?;
        *conn = Some(shared.clone());
        let id = poll_fn(|cx| {
            let mut st = shared.borrow_mut();
            if !st.usable() {
                return Poll::Ready(None);
            }
            if st.open >= st.peer_max_streams {
                st.waiters.push(cx.waker().clone());
                return Poll::Pending;
            }
            Poll::Ready(Some(open_stream(&mut st, r2, keep_body)))
        })
        .await;
        match id {
            Some(Some(id)) => break (shared, id),
            // Stream ids ran out: this connection takes no more.
            Some(None) => shared.borrow_mut().goaway = true,
            None => {}
        }
        if tries == 2 {
            return Err(Failure::Write);
        }
    };
    *opened = Some((shared.clone(), id));
    if let Some(body) = &r2.body {
        send_body(&shared, id, body).await?;
    }
    poll_fn(|cx| {
        let mut st = shared.borrow_mut();
        let Some(s) = st.streams.get_mut(&id) else {
            return Poll::Ready(Err(Failure::Read));
        };
        if s.done.is_none() {
            if !s.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                s.waker = Some(cx.waker().clone());
            }
            return Poll::Pending;
        }
        let s = st.streams.remove(&id).expect("present above");
        Poll::Ready(match s.done {
            Some(Ok(())) => Ok((s.status.unwrap_or(0), s.body)),
            Some(Err(f)) => Err(f),
            None => unreachable!("checked above"),
        })
    })
    .await
}

/// Opens a stream: its HEADERS frame queued, the driver woken; None when
/// the connection's stream ids ran out.
fn open_stream(st: &mut State, r2: &Request2, keep_body: bool) -> Option<u32> {
    let id = st.next_id;
    if id > 0x7fff_ffff {
        return None;
    }
    st.next_id += 2;
    let was_empty = st.out.is_empty();
    let max_frame = st.peer_max_frame;
    frame::headers(&mut st.out, id, &r2.block, r2.body.is_none(), max_frame);
    let send_window = st.peer_initial_window;
    st.streams.insert(
        id,
        Stream {
            keep_body,
            send_window,
            ..Stream::default()
        },
    );
    st.open += 1;
    if was_empty {
        st.wake_driver();
    }
    Some(id)
}

/// Sends `body` on stream `id` in DATA frames within the peer's windows.
async fn send_body(shared: &Shared, id: u32, body: &[u8]) -> Result<(), Failure> {
    let mut sent = 0;
    loop {
        let from = sent;
        sent = poll_fn(move |cx| {
            let sent = from;
            let mut st = shared.borrow_mut();
            let st = &mut *st;
            let Some(s) = st.streams.get_mut(&id) else {
                return Poll::Ready(Err(Failure::Write));
            };
            if s.done.is_some() {
                // Ended (reset, or answered early): nothing more to send.
                return Poll::Ready(Ok(body.len()));
            }
            let left = body.len() - sent;
            let room = st.send_window.min(s.send_window).max(0) as usize;
            let n = left.min(room).min(st.peer_max_frame);
            if n == 0 && left > 0 {
                st.waiters.push(cx.waker().clone());
                return Poll::Pending;
            }
            st.send_window -= n as i64;
            s.send_window -= n as i64;
            let was_empty = st.out.is_empty();
            frame::data(&mut st.out, id, &body[sent..sent + n], n == left);
            if was_empty {
                st.wake_driver();
            }
            Poll::Ready(Ok(sent + n))
        })
        .await?;
        if sent == body.len() {
            return Ok(());
        }
    }
}

#[cfg(test)]
#[path = "lean_tests.rs"]
mod tests;
