//! The HTTP engine: resolves and probes the targets, starts one pinned OS
//! thread per worker (each a single-threaded tokio runtime owning a share of
//! the connections, like wrk), runs *stop condition × pace* over [`Connection`]s,
//! and merges the per-thread [`Recorder`]s into a [`LoadReport`].
//!
//! Pacing: closed loop sends the next request when the previous completes;
//! open loop shares one [`Plan`] per thread — an idle connection claims the
//! next planned slot and sends at its time, so when every connection is busy
//! the slot waits for the first free one and that wait counts in the
//! corrected latency. Memory is constant: a cursor, not a queue.
//!
//! A connection that was idle sleeps until its slot (tokio timers tick in
//! milliseconds, so it wakes within about a millisecond of the plan); such a
//! request is timed from its actual send, so timer granularity and the
//! generator's own scheduling are not charged to the server — they show in
//! `late_sends` and the saturation warning instead.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use tokio::time::Instant;

use super::config::{H2Client, LoadConfig, Protocol, Schedule, Stop};
use super::http::{Connection, Outcome, Prepared, render};
use super::http2::{self, Endpoint};
use super::plan::Plan;
use super::recorder::{Recorder, Sample};
use super::report::LoadReport;
use super::sys;
use super::target::{Targets, preflight};

/// How long after the hard deadline the connection tasks are dropped, so a
/// request cut by the deadline is recorded (as a timeout) first.
const BACKSTOP: Duration = Duration::from_millis(200);
/// Pause after a failed connect so a dead target is not hammered in a spin.
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);
/// Open loop: how early a connection may wake for its slot (tokio timers tick in
/// milliseconds); a send is never timed from before its actual send.
const WAKE_EARLY: Duration = Duration::from_millis(1);

/// How often a thread looks for an interrupt (the run then stops sending).
const INTERRUPT_POLL: Duration = Duration::from_millis(50);

/// Live counters a progress display can poll while a run is going.
#[derive(Debug, Default)]
pub struct Live {
    completed: AtomicU64,
    errors: AtomicU64,
    started: OnceLock<std::time::Instant>,
}

impl Live {
    pub fn new() -> Arc<Self> {
        Arc::new(Live::default())
    }
    /// Responses received so far (all threads, recording window only).
    pub fn completed(&self) -> u64 {
        self.completed.load(Ordering::Relaxed)
    }
    /// Failed requests so far.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
    /// When the run's clock started (after connections opened), if it has.
    pub fn started(&self) -> Option<std::time::Instant> {
        self.started.get().copied()
    }
}

/// How requests are paced on one thread.
enum Pace {
    Closed {
        /// Requests this thread may still record (`-n`); None for a timed run.
        budget: Option<Cell<u64>>,
    },
    Open {
        plan: Plan,
        cursor: Cell<u64>,
        /// This thread sends the plan's numbers `offset + k·stride` (its
        /// share of this agent's share, see [`super::shard`]).
        offset: u64,
        stride: u64,
    },
}

/// What carries one request at a time: an HTTP/1.1 connection, or one
/// stream slot of an HTTP/2 connection (the pacing is the same for both).
pub enum Lane {
    Http1(Connection),
    Http2(http2::Lane),
    Http2Lean(http2::lean::Lane),
}

impl Lane {
    async fn exchange(
        &mut self,
        req: &Prepared,
        addrs: &[SocketAddr],
        check: Option<&super::config::ResponseCheck>,
        deadline: Instant,
    ) -> Outcome {
        match self {
            Lane::Http1(conn) => conn.exchange(req, addrs, check, deadline).await,
            Lane::Http2(lane) => lane.exchange(req, check, deadline).await,
            Lane::Http2Lean(lane) => lane.exchange(req, check, deadline).await,
        }
    }
}

/// One claimed request slot.
struct Slot {
    intended: Option<Instant>,
    /// Open loop: the slot's time had passed when a connection came free to
    /// claim it — the request queued for a connection.
    queued: bool,
    sent: Instant,
    recorded: bool,
}

/// Everything the connections of one thread share.
struct ThreadRun {
    requests: Arc<[Prepared]>,
    addrs: Arc<[SocketAddr]>,
    cfg: Arc<LoadConfig>,
    pace: Pace,
    origin: Instant,
    record_start: Instant,
    /// Closed loop: no send at or after this (timed runs).
    record_end: Option<Instant>,
    hard_deadline: Option<Instant>,
    rec: RefCell<Recorder>,
    live: Option<Arc<Live>>,
    published: Cell<(u64, u64)>,
}

impl ThreadRun {
    /// The next request to send, or None when this connection is done. Closed
    /// loop stops at the end of the window; open loop sends every slot
    /// planned inside it (late ones after it, until the hard deadline).
    async fn next_slot(&self) -> Option<Slot> {
        match &self.pace {
            Pace::Closed { budget } => {
                let now = Instant::now();
                if self.record_end.is_some_and(|end| now >= end) {
                    return None;
                }
                let recorded = now >= self.record_start;
                if recorded && let Some(left) = budget {
                    if left.get() == 0 {
                        return None;
                    }
                    left.set(left.get() - 1);
                }
                Some(Slot {
                    intended: None,
                    queued: false,
                    sent: now,
                    recorded,
                })
            }
            Pace::Open {
                plan,
                cursor,
                offset,
                stride,
            } => loop {
                let j = cursor.get();
                cursor.set(j + 1);
                let at = self.origin + plan.send_time(j * stride + offset)?;
                let now = Instant::now();
                if now > at + self.cfg.timeout {
                    // Its whole timeout passed before a connection was free: a
                    // timeout that never reached the wire.
                    if at >= self.record_start {
                        self.rec.borrow_mut().unsent();
                    }
                    continue;
                }
                if at > now + WAKE_EARLY {
                    tokio::time::sleep_until(at - WAKE_EARLY).await;
                }
                break Some(Slot {
                    intended: Some(at),
                    queued: now > at,
                    sent: Instant::now(),
                    recorded: at >= self.record_start,
                });
            },
        }
    }

    async fn drive(self: Rc<Self>, index: usize, mut conn: Lane) {
        let mut next = index % self.requests.len();
        let check = self.cfg.check.as_ref();
        while let Some(slot) = self.next_slot().await {
            let req = &self.requests[next];
            next = (next + 1) % self.requests.len();
            let own = slot.sent + self.cfg.timeout;
            let deadline = self.hard_deadline.map_or(own, |hard| own.min(hard));
            let out = conn.exchange(req, &self.addrs, check, deadline).await;
            let done = Instant::now();
            if slot.recorded {
                let mut rec = self.rec.borrow_mut();
                if deadline < own
                    && done >= deadline
                    && out.failure == Some(super::http::Failure::Timeout)
                {
                    rec.cut_at_deadline += 1;
                }
                rec.add(&Sample {
                    intended: slot.intended.map(Instant::into_std),
                    queued: slot.queued,
                    sent: slot.sent.into_std(),
                    done: done.into_std(),
                    outcome: out,
                });
                self.publish(&rec);
            }
            if out.failure == Some(super::http::Failure::Connect) {
                tokio::time::sleep(CONNECT_BACKOFF).await;
            }
        }
    }

    fn publish(&self, rec: &Recorder) {
        if let Some(live) = &self.live {
            let (done, errs) = (rec.completed(), rec.errors.total());
            let (old_done, old_errs) = self.published.get();
            live.completed.fetch_add(done - old_done, Ordering::Relaxed);
            live.errors.fetch_add(errs - old_errs, Ordering::Relaxed);
            self.published.set((done, errs));
        }
    }
}

/// Runs one load test; see [`super::execute`]. `live` receives progress counts.
pub async fn execute_with(cfg: &LoadConfig, live: Option<Arc<Live>>) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(!cfg.urls.is_empty(), "no URL to load");
    anyhow::ensure!(cfg.connections > 0, "at least one connection is needed");
    let targets = Targets::resolve(&cfg.urls, cfg.allow_remote).await?;
    let probe_timeout = cfg.timeout.min(Duration::from_secs(3));
    preflight(&targets.addrs, probe_timeout).await?;
    let endpoints: Arc<[Endpoint]> = match cfg.protocol {
        Protocol::Http1 => Arc::new([]),
        Protocol::Http2 => {
            let endpoints =
                Endpoint::for_targets(&cfg.urls, &targets.of_url, &targets.addrs, cfg.insecure)?;
            for endpoint in &endpoints {
                http2::probe::check(endpoint, probe_timeout).await?;
            }
            endpoints.into()
        }
    };
    sys::raise_nofile_limit();
    cfg.agent
        .wait_until_before_start(super::shard::CONNECT_LEAD)
        .await;
    let connections = cfg.agent.share(cfg.connections as u64) as usize;
    anyhow::ensure!(
        connections > 0,
        "this agent's share of {} connections is none",
        cfg.connections
    );

    let requests: Arc<[Prepared]> = cfg
        .urls
        .iter()
        .enumerate()
        .map(|(i, url)| {
            let h2 = match cfg.protocol {
                Protocol::Http1 => None,
                Protocol::Http2 => Some(http2::Request2::new(
                    &cfg.method,
                    url,
                    &cfg.headers,
                    cfg.body.as_deref(),
                )?),
            };
            Ok(Prepared {
                bytes: render(&cfg.method, url, &cfg.headers, cfg.body.as_deref()),
                target: targets.of_url[i],
                head: cfg.method.eq_ignore_ascii_case("HEAD"),
                h2,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let addrs: Arc<[SocketAddr]> = targets.addrs.clone().into();
    let threads = cfg.threads.clamp(1, connections);
    let cfg = Arc::new(cfg.clone());
    let barrier = Arc::new(Barrier::new(threads));
    let origin = Arc::new(OnceLock::new());

    let mut receivers = Vec::with_capacity(threads);
    for t in 0..threads {
        let (tx, rx) = tokio::sync::oneshot::channel();
        receivers.push(rx);
        let connections = connections / threads + usize::from(t < connections % threads);
        let job = ThreadJob {
            index: t,
            threads,
            connections,
            cfg: cfg.clone(),
            requests: requests.clone(),
            addrs: addrs.clone(),
            endpoints: endpoints.clone(),
            barrier: barrier.clone(),
            origin: origin.clone(),
            live: live.clone(),
        };
        std::thread::Builder::new()
            .name(format!("ringside-load-{t}"))
            .spawn(move || {
                let _ = tx.send(job.run());
            })
            .context("starting a load thread")?;
    }
    let mut results = Vec::with_capacity(threads);
    for rx in receivers {
        results.push(rx.await.context("a load thread died")??);
    }
    let origin = *origin.get().context("the load threads never started")?;
    Ok(super::summary::build_report(&cfg, threads, origin, results))
}

/// What one thread hands back.
pub struct ThreadResult {
    pub rec: Recorder,
    /// CPU time the thread used while driving load.
    pub cpu: Duration,
    /// When the thread finished.
    pub ended: std::time::Instant,
    /// Its connections open when the run started.
    pub opened: usize,
}

struct ThreadJob {
    index: usize,
    threads: usize,
    connections: usize,
    cfg: Arc<LoadConfig>,
    requests: Arc<[Prepared]>,
    addrs: Arc<[SocketAddr]>,
    /// HTTP/2: how each target address is reached (empty for HTTP/1.1).
    endpoints: Arc<[Endpoint]>,
    barrier: Arc<Barrier>,
    origin: Arc<OnceLock<Origin>>,
    live: Option<Arc<Live>>,
}

/// The instant a run's clock started, monotonic and on the wall clock.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    pub at: std::time::Instant,
    pub wall: std::time::SystemTime,
}

impl ThreadJob {
    fn run(self) -> anyhow::Result<ThreadResult> {
        let setup = self.setup();
        // Every thread reaches the barrier, even after a failed setup, so none waits forever.
        self.barrier.wait();
        let (rt, local, conns, opened) = setup?;
        // The first thread here waits for `--start-at` (the others block on the cell).
        let origin = self
            .origin
            .get_or_init(|| {
                self.cfg.agent.block_until_start();
                Origin {
                    at: std::time::Instant::now(),
                    wall: std::time::SystemTime::now(),
                }
            })
            .at;
        if let Some(live) = &self.live {
            let _ = live.started.set(origin);
        }
        let cpu_start = sys::thread_cpu_time();
        let cfg = &self.cfg;
        let origin_t = Instant::from_std(origin);
        let record_start = origin_t + cfg.warmup;
        let (record_end, hard_deadline, max_sends) = match cfg.stop {
            Stop::Duration(d) => {
                let end = record_start + d;
                (Some(end), Some(end + cfg.grace), None)
            }
            Stop::Requests(n) => (None, None, Some(n)),
        };
        let pace = match &cfg.schedule {
            Schedule::Closed => Pace::Closed {
                budget: max_sends.map(|n| {
                    let n = cfg.agent.share(n);
                    let (t, k) = (self.threads as u64, self.index as u64);
                    Cell::new(n / t + u64::from(k < n % t))
                }),
            },
            Schedule::Open(_) => {
                let (offset, stride) = cfg
                    .agent
                    .send_numbers(self.index as u64, self.threads as u64);
                Pace::Open {
                    plan: Plan::for_config(cfg).expect("an open-loop config has a plan"),
                    cursor: Cell::new(0),
                    offset,
                    stride,
                }
            }
        };
        let shared = Rc::new(ThreadRun {
            requests: self.requests.clone(),
            addrs: self.addrs.clone(),
            cfg: cfg.clone(),
            pace,
            origin: origin_t,
            record_start,
            record_end,
            hard_deadline,
            rec: RefCell::new(Recorder::new(
                origin + cfg.warmup,
                record_end.map(Instant::into_std),
                matches!(cfg.schedule, Schedule::Open(_)),
            )),
            live: self.live.clone(),
            published: Cell::new((0, 0)),
        });
        let all = {
            let shared = shared.clone();
            local.run_until(async move {
                let mut tasks = Vec::with_capacity(conns.len());
                for (i, conn) in conns.into_iter().enumerate() {
                    let shared = shared.clone();
                    tasks.push(tokio::task::spawn_local(
                        shared.drive(i * self.threads + self.index, conn),
                    ));
                }
                for task in tasks {
                    let _ = task.await;
                }
            })
        };
        rt.block_on(async {
            let bounded = async {
                match hard_deadline {
                    Some(hard) => {
                        let _ = tokio::time::timeout_at(hard + BACKSTOP, all).await;
                    }
                    None => all.await,
                }
            };
            // Ctrl-C: stop sending; what was recorded so far is reported.
            let interrupted = async {
                while !crate::proc::guard::interrupted() {
                    tokio::time::sleep(INTERRUPT_POLL).await;
                }
            };
            tokio::select! {
                () = bounded => {}
                () = interrupted => {}
            }
        });
        drop(local);
        let cpu = sys::thread_cpu_time().saturating_sub(cpu_start);
        let ended = std::time::Instant::now();
        drop(rt);
        let rec = Rc::try_unwrap(shared)
            .map_err(|_| anyhow::anyhow!("connection tasks outlived their thread"))?
            .rec
            .into_inner();
        Ok(ThreadResult {
            rec,
            cpu,
            ended,
            opened,
        })
    }

    /// Pins the thread, builds its runtime and opens its connections: the
    /// lanes (one per HTTP/1.1 connection, `streams` per HTTP/2 connection),
    /// on a `LocalSet` that already drives the HTTP/2 connections, and how
    /// many connections are open.
    fn setup(
        &self,
    ) -> anyhow::Result<(
        tokio::runtime::Runtime,
        tokio::task::LocalSet,
        Vec<Lane>,
        usize,
    )> {
        if let Some(cpus) = &self.cfg.cpus
            && !cpus.is_empty()
        {
            sys::pin_current_thread(&[cpus[self.index % cpus.len()]])?;
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building a load thread's runtime")?;
        let timeout = self.cfg.timeout;
        let addrs = self.addrs.clone();
        let first_target = self.requests[0].target;
        let local = tokio::task::LocalSet::new();
        let (lanes, opened) = match self.cfg.protocol {
            Protocol::Http1 => {
                let conns = rt.block_on(async move {
                    let opens = (0..self.connections).map(|_| {
                        let addrs = addrs.clone();
                        async move {
                            let mut conn = Connection::new(addrs.len());
                            let _ = tokio::time::timeout(timeout, conn.open(&addrs, first_target))
                                .await;
                            conn
                        }
                    });
                    futures_util::future::join_all(opens).await
                });
                let opened = conns.iter().filter(|c| c.is_open()).count();
                (conns.into_iter().map(Lane::Http1).collect(), opened)
            }
            Protocol::Http2 => match self.cfg.h2_client {
                H2Client::Lean => {
                    self.open_http2::<http2::lean::Conn>(&rt, &local, first_target, timeout)
                }
                H2Client::H2Crate => {
                    self.open_http2::<http2::Conn>(&rt, &local, first_target, timeout)
                }
            },
        };
        Ok((rt, local, lanes, opened))
    }

    /// Opens this thread's HTTP/2 connections of client `C`, each within
    /// `timeout`, and lays its streams over them (lane k of connection i: a
    /// connection's streams are spread over the lane order like connections).
    /// Returns the lanes and how many connections are open.
    fn open_http2<C: Http2Conn>(
        &self,
        rt: &tokio::runtime::Runtime,
        local: &tokio::task::LocalSet,
        first_target: usize,
        timeout: Duration,
    ) -> (Vec<Lane>, usize) {
        let conns = local.block_on(rt, async {
            let opens = (0..self.connections).map(|_| async {
                let conn = C::create(self.endpoints.clone());
                let _ = tokio::time::timeout(timeout, conn.open_first(first_target)).await;
                conn
            });
            futures_util::future::join_all(opens).await
        });
        let opened = conns.iter().filter(|c| c.opened()).count();
        let lanes = (0..self.cfg.streams_per_connection())
            .flat_map(|_| conns.iter())
            .map(C::lane)
            .collect();
        (lanes, opened)
    }
}

/// An HTTP/2 client's connection as the engine opens it and lays lanes over
/// it (the lean client's and the `h2` crate's).
trait Http2Conn: Sized {
    /// A connection to `endpoints`, none opened yet.
    fn create(endpoints: Arc<[Endpoint]>) -> Rc<Self>;
    /// Opens target `target` now (inside a `LocalSet`).
    async fn open_first(&self, target: usize) -> anyhow::Result<()>;
    /// True when an HTTP/2 connection is open.
    fn opened(&self) -> bool;
    /// A stream slot on `conn`.
    fn lane(conn: &Rc<Self>) -> Lane;
}

/// Implements [`Http2Conn`] for a client's connection type (whose inherent
/// `new`, `open` and `is_open` it forwards to), with its [`Lane`] variant
/// and that variant's lane type.
macro_rules! http2_conn {
    ($conn:ty, $variant:ident, $lane:ty) => {
        impl Http2Conn for $conn {
            fn create(endpoints: Arc<[Endpoint]>) -> Rc<Self> {
                Self::new(endpoints)
            }
            async fn open_first(&self, target: usize) -> anyhow::Result<()> {
                self.open(target).await
            }
            fn opened(&self) -> bool {
                self.is_open()
            }
            fn lane(conn: &Rc<Self>) -> Lane {
                Lane::$variant(<$lane>::new(conn.clone()))
            }
        }
    };
}

http2_conn!(http2::lean::Conn, Http2Lean, http2::lean::Lane);
http2_conn!(http2::Conn, Http2, http2::Lane);
