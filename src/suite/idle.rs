//! The `idle` scenario: open many keep-alive connections (one request each,
//! then silence) on a server no load has touched yet, and report the memory
//! cost of one idle connection.
//!
//! Two things hide that cost, and the measurement avoids both:
//! - memory a server has already grabbed and freed (a heap grown under load)
//!   takes the new connections in without a page more, so the runner measures
//!   idle connections right after a launch, before any load, and relaunches
//!   the server before its loads;
//! - the first connections pay one-off costs (lazily loaded code, a heap's
//!   first growth), so the connections are opened in two halves and the cost
//!   is the memory the second half added, per connection it added.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::target::Target;
use crate::results::{IdleKind, IdleRecord};
use crate::stack::ProcSample;

/// Connections opened at once (keeps the server's listen backlog from overflowing).
const BATCH: usize = 64;
/// File descriptors kept free for everything else ringside does.
const FD_MARGIN: u64 = 256;

/// How many idle connections can be opened given the fd limit.
pub fn bounded_connections(requested: usize, nofile: u64) -> usize {
    requested.min(nofile.saturating_sub(FD_MARGIN) as usize)
}

async fn open_one(addr: &str, host: &str) -> Option<TcpStream> {
    let fut = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        let req = format!("GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).await.ok()?;
        (n > 0).then_some(s)
    };
    tokio::time::timeout(Duration::from_secs(5), fut)
        .await
        .ok()
        .flatten()
}

/// True when the server has not closed the connection.
fn still_open(s: &TcpStream) -> bool {
    let mut buf = [0u8; 256];
    match s.try_read(&mut buf) {
        Ok(0) => false,
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
    }
}

/// How long the server is given to settle (allocations, lazy buffers) before a sample.
const SETTLE: Duration = Duration::from_millis(1000);

/// Opens `n` keep-alive connections, each after one request, onto `conns`.
async fn open_http(addr: &str, host: &str, n: usize, conns: &mut Vec<TcpStream>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut remaining = n;
    while remaining > 0 && tokio::time::Instant::now() < deadline {
        let k = remaining.min(BATCH);
        let batch = futures_util::future::join_all((0..k).map(|_| open_one(addr, host))).await;
        conns.extend(batch.into_iter().flatten());
        remaining -= k;
    }
}

/// Opens `requested` (bounded by the fd limit) idle keep-alive connections in
/// two halves and samples the server's memory before, between and after.
/// `None` when memory cannot be sampled.
pub async fn measure_idle(target: &dyn Target, requested: usize, trial: u32) -> Option<IdleRecord> {
    let nofile = crate::load::sys::raise_nofile_limit();
    let want = bounded_connections(requested, nofile);
    let base = url::Url::parse(&target.base_url()).ok()?;
    let host = base.host_str()?.to_string();
    let addr = format!("{}:{}", host, base.port_or_known_default()?);
    let before = target.sample()?;
    let mut conns: Vec<TcpStream> = Vec::with_capacity(want);
    open_http(&addr, &host, want / 2, &mut conns).await;
    tokio::time::sleep(SETTLE).await;
    let open_mid = conns.iter().filter(|s| still_open(s)).count();
    let mid = target.sample()?;
    open_http(&addr, &host, want - want / 2, &mut conns).await;
    tokio::time::sleep(SETTLE).await;
    let open = conns.iter().filter(|s| still_open(s)).count();
    let after = target.sample()?;
    drop(conns);
    Some(idle_record(
        IdleKind::Http,
        trial,
        requested,
        Stage {
            before,
            mid: Some((mid, open_mid)),
            after,
            open,
        },
    ))
}

/// Opens `requested` (bounded by the fd limit) idle WebSocket chat clients,
/// ten a room, and measures the server's RSS before and after.
pub async fn measure_idle_ws(
    target: &dyn Target,
    requested: usize,
    trial: u32,
) -> Option<IdleRecord> {
    let nofile = crate::load::sys::raise_nofile_limit();
    let want = bounded_connections(requested, nofile).max(1);
    let mut url = url::Url::parse(&format!("{}/ws/chat", target.base_url())).ok()?;
    url.set_scheme("ws").ok()?;
    let open_half = |n: usize| {
        crate::load::ws::IdleClients::open(url.clone(), n, n.div_ceil(10), Duration::from_secs(5))
    };
    let before = target.sample()?;
    let first = open_half(want / 2).await;
    tokio::time::sleep(SETTLE).await;
    let open_mid = first.open_count();
    let mid = target.sample()?;
    let second = open_half(want - want / 2).await;
    tokio::time::sleep(SETTLE).await;
    let open = first.open_count() + second.open_count();
    let after = target.sample()?;
    drop((first, second));
    Some(idle_record(
        IdleKind::Ws,
        trial,
        requested,
        Stage {
            before,
            mid: Some((mid, open_mid)),
            after,
            open,
        },
    ))
}

/// The server's memory around the opening of the connections.
struct Stage {
    before: ProcSample,
    /// After the first half: the sample and the connections then open.
    mid: Option<(ProcSample, usize)>,
    after: ProcSample,
    /// Connections open at the end.
    open: usize,
}

/// The memory cost of one idle connection from the server's samples: what
/// the second half added per connection it added, or, when the server took
/// too few more (or there was no second half), what all of them added, per
/// connection it ever held open (a connection the server accepted and later
/// closed leaves its memory in the allocator: dividing by the few still open
/// at the end moved the figure 7 % between launches).
fn idle_record(kind: IdleKind, trial: u32, requested: usize, st: Stage) -> IdleRecord {
    let per = |from: u64, to: u64, conns: usize| {
        if conns > 0 {
            (to as f64 - from as f64) / conns as f64
        } else {
            0.0
        }
    };
    let after = st.after.rss_bytes;
    let second_half = st.mid.as_ref().filter(|(_, open_mid)| {
        st.open.saturating_sub(*open_mid) as f64
            >= crate::results::idle::SECOND_HALF_MIN * requested as f64
    });
    let bytes_per_connection = match second_half {
        Some((mid, open_mid)) => per(mid.rss_bytes, after, st.open - open_mid),
        None => {
            let held = st.mid.as_ref().map_or(0, |(_, n)| *n).max(st.open);
            per(st.before.rss_bytes, after, held)
        }
    };
    IdleRecord {
        kind,
        trial,
        connections_requested: requested,
        connections_open: st.open,
        rss_before_bytes: st.before.rss_bytes,
        rss_after_bytes: after,
        rss_mid_bytes: st.mid.as_ref().map(|(m, _)| m.rss_bytes),
        connections_open_mid: st.mid.as_ref().map(|(_, n)| *n),
        bytes_per_connection,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rss_bytes: u64) -> ProcSample {
        ProcSample {
            rss_bytes,
            ..ProcSample::default()
        }
    }

    #[test]
    fn the_cost_is_what_the_second_half_added() {
        // 10 MB of one-off costs in the first half; 4 KB a connection after.
        let st = Stage {
            before: at(50_000_000),
            mid: Some((at(64_000_000), 1000)),
            after: at(68_000_000),
            open: 2000,
        };
        let r = idle_record(IdleKind::Http, 1, 2000, st);
        assert_eq!(r.bytes_per_connection, 4000.0);
        assert_eq!(
            (r.rss_mid_bytes, r.connections_open_mid),
            (Some(64_000_000), Some(1000))
        );
    }

    #[test]
    fn a_server_that_took_no_more_is_measured_over_all_it_took() {
        // gunicorn's 1000 connections a worker: the second half was refused.
        let st = Stage {
            before: at(60_000_000),
            mid: Some((at(62_000_000), 1000)),
            after: at(62_000_000),
            open: 1000,
        };
        let r = idle_record(IdleKind::Http, 1, 2000, st);
        assert_eq!(r.bytes_per_connection, 2000.0);
        let none = Stage {
            before: at(1),
            mid: None,
            after: at(1),
            open: 0,
        };
        assert_eq!(
            idle_record(IdleKind::Ws, 1, 10, none).bytes_per_connection,
            0.0
        );
    }

    /// Regression (issue 20): python-flask held 1000 connections, closed 63
    /// of them before the last sample, and its figure rose 7 % from dividing
    /// the same memory by 937.
    #[test]
    fn connections_closed_after_acceptance_still_count() {
        let st = Stage {
            before: at(56_000_000),
            mid: Some((at(61_000_000), 1000)),
            after: at(61_000_000),
            open: 937,
        };
        let r = idle_record(IdleKind::Http, 1, 2000, st);
        assert_eq!(r.bytes_per_connection, 5000.0);
        assert!(!r.second_half_counts());
        let st = Stage {
            before: at(50_000_000),
            mid: Some((at(64_000_000), 1000)),
            after: at(68_000_000),
            open: 2000,
        };
        assert!(idle_record(IdleKind::Http, 1, 2000, st).second_half_counts());
    }

    #[test]
    fn connections_bounded_by_fd_limit() {
        assert_eq!(bounded_connections(2000, 1024), 768);
        assert_eq!(bounded_connections(2000, 100_000), 2000);
        assert_eq!(bounded_connections(10, 0), 0);
    }
}
