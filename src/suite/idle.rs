//! The `idle` scenario: open many keep-alive connections (one request each,
//! then silence), measure the server's RSS before and after, and report the
//! memory cost of one idle connection.

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

/// Opens `requested` (bounded by the fd limit) idle keep-alive connections and
/// measures the server's RSS before and after. `None` when memory cannot be sampled.
pub async fn measure_idle(target: &dyn Target, requested: usize, trial: u32) -> Option<IdleRecord> {
    let nofile = crate::load::sys::raise_nofile_limit();
    let want = bounded_connections(requested, nofile);
    let base = url::Url::parse(&target.base_url()).ok()?;
    let host = base.host_str()?.to_string();
    let addr = format!("{}:{}", host, base.port_or_known_default()?);
    let before = target.sample()?;
    let mut conns: Vec<TcpStream> = Vec::with_capacity(want);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut remaining = want;
    while remaining > 0 && tokio::time::Instant::now() < deadline {
        let n = remaining.min(BATCH);
        let batch = futures_util::future::join_all((0..n).map(|_| open_one(&addr, &host))).await;
        conns.extend(batch.into_iter().flatten());
        remaining -= n;
    }
    // Let the server settle (allocations, lazy buffers) before sampling.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let open = conns.iter().filter(|s| still_open(s)).count();
    let after = target.sample()?;
    drop(conns);
    Some(idle_record(
        IdleKind::Http,
        trial,
        requested,
        open,
        before,
        after,
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
    let before = target.sample()?;
    let clients =
        crate::load::ws::IdleClients::open(url, want, want.div_ceil(10), Duration::from_secs(5))
            .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let open = clients.open_count();
    let after = target.sample()?;
    drop(clients);
    Some(idle_record(
        IdleKind::Ws,
        trial,
        requested,
        open,
        before,
        after,
    ))
}

/// The memory cost of `open` idle connections from the server's samples before and after.
fn idle_record(
    kind: IdleKind,
    trial: u32,
    requested: usize,
    open: usize,
    before: ProcSample,
    after: ProcSample,
) -> IdleRecord {
    let delta = after.rss_bytes as f64 - before.rss_bytes as f64;
    IdleRecord {
        kind,
        trial,
        connections_requested: requested,
        connections_open: open,
        rss_before_bytes: before.rss_bytes,
        rss_after_bytes: after.rss_bytes,
        bytes_per_connection: if open > 0 { delta / open as f64 } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_bounded_by_fd_limit() {
        assert_eq!(bounded_connections(2000, 1024), 768);
        assert_eq!(bounded_connections(2000, 100_000), 2000);
        assert_eq!(bounded_connections(10, 0), 0);
    }
}
