//! The fairness policy's rules that can be checked from outside
//! (`spec/fairness.md`): a `Server` and a valid `Date` header on every
//! response, keep-alive honoured (the connection stays open after a response
//! and carries the next requests), and — on PostgreSQL — the `/queries`
//! batch run one query after another, as the policy says for every stack.
//!
//! The batch order is observed through locks: while a verify transaction
//! holds `world` in ACCESS EXCLUSIVE mode, every query of the stack on it
//! waits, and `pg_locks` shows how many wait at once: one for a sequential
//! batch, several for one fetched concurrently.

use std::time::Duration;

use super::checks::Ctx;
use super::http::{self, Response};
use crate::db::DbKind;

/// What the responses of one scenario said about `Server` and `Date`.
#[derive(Debug, Default)]
pub struct HeaderTally {
    /// Responses looked at.
    pub seen: usize,
    /// `path: problem` of each response that broke the rule.
    pub faults: Vec<String>,
}

impl HeaderTally {
    /// Looks at one response to `GET path`.
    pub fn note(&mut self, path: &str, resp: &Response) {
        self.seen += 1;
        if let Err(e) = server_and_date(resp) {
            self.faults.push(format!("GET {path}: {e}"));
        }
    }

    /// The recorded check, or `None` when no response was seen.
    pub fn verdict(&self) -> Option<Result<(), String>> {
        if self.seen == 0 {
            return None;
        }
        Some(match self.faults.first() {
            None => Ok(()),
            Some(first) => Err(format!(
                "{} of {} responses broke the rule; first: {first}",
                self.faults.len(),
                self.seen
            )),
        })
    }
}

/// Name of the recorded header check.
pub const HEADER_CHECK: &str = "Server and Date headers on every response";

/// A non-empty `Server` header and a `Date` header holding an HTTP-date.
pub fn server_and_date(resp: &Response) -> Result<(), String> {
    match resp.header("server").map(str::trim) {
        None => return Err("expected a `Server` header, got none".into()),
        Some("") => return Err("expected a `Server` header with a value, got an empty one".into()),
        Some(_) => {}
    }
    match resp.header("date") {
        None => Err("expected a `Date` header, got none".into()),
        Some(d) => httpdate::parse_http_date(d)
            .map(drop)
            .map_err(|_| format!("expected `Date` to be an HTTP-date (RFC 9110), got {d:?}")),
    }
}

/// Paths asked on one connection by the keep-alive check, with a pause
/// before the last one (an idle connection must survive it).
const KEEP_ALIVE_PATHS: [&str; 3] = ["/plaintext", "/json", "/health"];
const KEEP_ALIVE_PAUSE: Duration = Duration::from_millis(300);

/// Keep-alive honoured: three requests on one connection, none answered
/// with `Connection: close`, the last after a pause.
pub async fn keep_alive(cx: &mut Ctx<'_>) {
    let result = keep_alive_result(cx).await;
    cx.record("keep-alive honoured (policy)", result);
}

async fn keep_alive_result(cx: &Ctx<'_>) -> Result<(), String> {
    let mut conn = http::connect(cx.target, cx.timeout).await?;
    for (i, path) in KEEP_ALIVE_PATHS.iter().enumerate() {
        if i + 1 == KEEP_ALIVE_PATHS.len() {
            tokio::time::sleep(KEEP_ALIVE_PAUSE).await;
        }
        let nth = i + 1;
        let resp = conn.get(path).await.map_err(|e| {
            format!("request {nth} on one connection (GET {path}) was not answered: {e}")
        })?;
        if resp.status != 200 {
            return Err(format!(
                "request {nth} (GET {path}): status {}",
                resp.status
            ));
        }
        if resp
            .header("connection")
            .is_some_and(|c| c.to_ascii_lowercase().contains("close"))
        {
            return Err(format!(
                "request {nth} (GET {path}) was answered with `Connection: close`: the policy keeps connections open"
            ));
        }
    }
    Ok(())
}

/// Name of the recorded batch-order check.
pub const BATCH_CHECK: &str = "/queries batch runs one query at a time (policy)";
/// Rows of the probed batch.
const BATCH_ROWS: usize = 8;
/// How long the lock is held after the first waiting query is seen.
const BATCH_SETTLE: Duration = Duration::from_millis(400);
/// Longest wait for the first query to reach the locked table.
const BATCH_FIRST: Duration = Duration::from_secs(3);

/// On PostgreSQL: the queries of one `/queries` request never wait on the
/// `world` table two at a time. Nothing is recorded on SQLite.
pub async fn sequential_batch(cx: &mut Ctx<'_>) {
    let Some(db) = cx.db else { return };
    if db.kind() != DbKind::Postgres {
        return;
    }
    let url = db
        .env()
        .into_iter()
        .find(|(k, _)| k == "RINGSIDE_PG_URL")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let result = probe_batch(cx, &url).await;
    cx.record(BATCH_CHECK, result);
}

async fn pg_client(url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("connecting to PostgreSQL to watch the batch: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

async fn probe_batch(cx: &Ctx<'_>, url: &str) -> Result<(), String> {
    let locker = pg_client(url).await?;
    let watcher = pg_client(url).await?;
    let pg = |e: tokio_postgres::Error| format!("PostgreSQL: {e}");
    locker
        .batch_execute("BEGIN; LOCK TABLE world IN ACCESS EXCLUSIVE MODE")
        .await
        .map_err(pg)?;
    let target = cx.target.clone();
    let timeout = cx.timeout + BATCH_FIRST + BATCH_SETTLE;
    let path = format!("/queries?q={BATCH_ROWS}");
    let request = tokio::spawn(async move { http::get(&target, &path, timeout).await });
    // Client backends only: an autovacuum worker queued on the table (other
    // stacks' /updates leave dead rows) is not one of the stack's queries.
    let waiting_sql = "SELECT count(*) FROM pg_locks l \
                       JOIN pg_class c ON c.oid = l.relation \
                       JOIN pg_stat_activity a ON a.pid = l.pid \
                       WHERE c.relname = 'world' AND NOT l.granted \
                       AND a.backend_type = 'client backend'";
    let mut most = 0i64;
    let started = tokio::time::Instant::now();
    let mut first_seen = None;
    loop {
        let waiting: i64 = watcher
            .query_one(waiting_sql, &[])
            .await
            .map_err(pg)?
            .get(0);
        most = most.max(waiting);
        let now = tokio::time::Instant::now();
        if waiting > 0 && first_seen.is_none() {
            first_seen = Some(now);
        }
        let done = match first_seen {
            Some(t) => now - t >= BATCH_SETTLE,
            None => now - started >= BATCH_FIRST,
        };
        if done || request.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    locker.batch_execute("ROLLBACK").await.map_err(pg)?;
    let answered = request
        .await
        .map_err(|e| format!("the request task failed: {e}"))?;
    let resp = answered.map_err(|e| format!("GET /queries?q={BATCH_ROWS}: {e}"))?;
    if resp.status != 200 {
        return Err(format!(
            "GET /queries?q={BATCH_ROWS}: status {} once the table was unlocked",
            resp.status
        ));
    }
    batch_verdict(most)
}

/// The rule on the largest number of the request's queries seen waiting at once.
pub fn batch_verdict(most_waiting: i64) -> Result<(), String> {
    match most_waiting {
        1 => Ok(()),
        0 => Err(format!(
            "no query of GET /queries?q={BATCH_ROWS} waited on the locked world table (does it read the database?)"
        )),
        n => Err(format!(
            "{n} queries of one GET /queries?q={BATCH_ROWS} waited on the world table at once: the policy runs a batch one query after another"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn resp(headers: &[(&str, &str)]) -> Response {
        let mut map = hyper::HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Response {
            status: 200,
            headers: map,
            body: Bytes::new(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn server_and_date_are_both_required() {
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert!(server_and_date(&resp(&[("server", "x"), ("date", date)])).is_ok());
        let e = server_and_date(&resp(&[("date", date)])).unwrap_err();
        assert!(e.contains("`Server`"), "{e}");
        let e = server_and_date(&resp(&[("server", "x")])).unwrap_err();
        assert!(e.contains("`Date`"), "{e}");
        let e = server_and_date(&resp(&[("server", "x"), ("date", "yesterday")])).unwrap_err();
        assert!(e.contains("HTTP-date"), "{e}");
    }

    #[test]
    fn the_tally_counts_faults() {
        let mut t = HeaderTally::default();
        assert!(t.verdict().is_none());
        t.note("/json", &resp(&[("server", "x")]));
        t.note(
            "/db",
            &resp(&[("server", "x"), ("date", "Sun, 06 Nov 1994 08:49:37 GMT")]),
        );
        let e = t.verdict().unwrap().unwrap_err();
        assert!(e.starts_with("1 of 2 responses"), "{e}");
        assert!(e.contains("GET /json"), "{e}");
    }

    #[test]
    fn one_waiting_query_is_sequential() {
        assert!(batch_verdict(1).is_ok());
        assert!(batch_verdict(0).is_err());
        assert!(batch_verdict(8).unwrap_err().starts_with("8 queries"));
    }
}
