//! The HTTP checks of each endpoint scenario. Each request is one
//! [`Ctx::get`]; each property of its answer is one recorded check whose
//! failure says "expected X, got Y".

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::CheckResult;
use super::expect::{self, close};
use super::fortunes;
use super::http::{self, Response, Target};
use crate::db::Database;
use crate::scenario::Scenario;

/// Where the checks of one scenario are recorded.
pub struct Ctx<'a> {
    pub target: &'a Target,
    pub timeout: Duration,
    pub scenario: Scenario,
    pub db: Option<&'a Database>,
    pub out: &'a mut Vec<CheckResult>,
    /// `Server` and `Date` on the responses judged so far (the policy's rule).
    pub headers: super::policy::HeaderTally,
}

impl Ctx<'_> {
    /// Records one check; returns whether it passed.
    pub fn record(&mut self, check: impl Into<String>, result: Result<(), String>) -> bool {
        let passed = result.is_ok();
        self.out.push(CheckResult {
            scenario: self.scenario,
            check: check.into(),
            passed,
            detail: result.err().unwrap_or_default(),
        });
        passed
    }

    /// `GET path` on a fresh connection, recorded as the check `GET path`:
    /// a transport failure or a status other than 200 fails it.
    pub async fn get(&mut self, path: &str) -> Option<Response> {
        let result = http::get(self.target, path, self.timeout).await;
        self.judge(path, result)
    }

    /// Records the status of a response (or its transport failure).
    pub fn judge(&mut self, path: &str, result: Result<Response, String>) -> Option<Response> {
        let check = format!("GET {path}");
        match result {
            Err(e) => {
                self.record(check, Err(e));
                None
            }
            Ok(resp) => {
                self.headers.note(path, &resp);
                self.record(check, expect::status(&resp, 200))
                    .then_some(resp)
            }
        }
    }

    /// `GET path` expecting a JSON body: Content-Type and parse are checks.
    pub async fn get_json(&mut self, path: &str) -> Option<(Response, Value)> {
        let resp = self.get(path).await?;
        self.record(
            format!("{path} content-type"),
            expect::content_type(&resp, "application/json"),
        );
        let value = expect::json(&resp);
        let parsed = value.as_ref().map(|_| ()).map_err(Clone::clone);
        self.record(format!("{path} body is JSON"), parsed);
        value.ok().map(|v| (resp, v))
    }

    /// True once a check of this scenario failed because the server did not answer.
    pub fn server_gone(&self) -> bool {
        self.out.iter().any(|c| {
            c.scenario == self.scenario
                && !c.passed
                && (c.detail.starts_with("no ") || c.detail.starts_with("cannot connect"))
        })
    }
}

/// Runs the HTTP checks of one scenario (ws-chat lives in [`super::ws`]).
pub async fn run(cx: &mut Ctx<'_>) {
    match cx.scenario {
        Scenario::Plaintext => plaintext(cx).await,
        Scenario::Json => json_endpoint(cx).await,
        Scenario::Db => db(cx).await,
        Scenario::Queries => rows_endpoint(cx, "/queries").await,
        Scenario::Updates => rows_endpoint(cx, "/updates").await,
        Scenario::Fortunes => fortunes_page(cx).await,
        Scenario::Io => io(cx).await,
        Scenario::Cpu => cpu(cx).await,
        Scenario::Numeric => numeric(cx).await,
        _ => {}
    }
}

async fn plaintext(cx: &mut Ctx<'_>) {
    let mut conn = match http::connect(cx.target, cx.timeout).await {
        Ok(c) => c,
        Err(e) => {
            cx.record("GET /plaintext", Err(e));
            return;
        }
    };
    let first = conn.get("/plaintext").await;
    let Some(resp) = cx.judge("/plaintext", first) else {
        return;
    };
    cx.record(
        "/plaintext content-type",
        expect::content_type(&resp, "text/plain"),
    );
    cx.record("/plaintext framing", expect::framed(&resp));
    let body = if resp.body.as_ref() == b"Hello, World!" {
        Ok(())
    } else {
        Err(format!(
            "expected body \"Hello, World!\", got {}",
            http::preview(&resp.body)
        ))
    };
    cx.record("/plaintext body", body);
    // A server may close after each response (gunicorn's sync worker does)
    // as long as it says so; silently dropping the connection is a failure.
    let announced_close = resp
        .header("connection")
        .is_some_and(|c| c.to_ascii_lowercase().contains("close"));
    let again = if announced_close {
        Ok(())
    } else {
        conn.get("/plaintext")
            .await
            .and_then(|r| expect::status(&r, 200))
            .map_err(|e| {
                format!("expected a second request on the connection to be answered (or `Connection: close` on the first), got: {e}")
            })
    };
    cx.record("keep-alive (or Connection: close)", again);
}

async fn json_endpoint(cx: &mut Ctx<'_>) {
    if let Some((resp, v)) = cx.get_json("/json").await {
        cx.record("/json framing", expect::framed(&resp));
        cx.record(
            "/json body",
            expect::json_eq(&v, &json!({"message": "Hello, World!"})),
        );
    }
}

async fn db(cx: &mut Ctx<'_>) {
    let Some((_, v)) = cx.get_json("/db").await else {
        return;
    };
    match expect::world_row(&v) {
        Err(e) => {
            cx.record("/db row", Err(e));
        }
        Ok(row) => {
            cx.record("/db row", Ok(()));
            if cx.db.is_some() {
                let matches = match_db(cx.db, &[row]).await;
                cx.record("/db row matches the world table", matches);
            }
        }
    }
}

/// `q` values and the row count each must give (clamp to 1..=500, default 1).
const Q_CASES: [(&str, usize); 7] = [
    ("?q=1", 1),
    ("?q=20", 20),
    ("?q=0", 1),
    ("?q=501", 500),
    ("?q=foo", 1),
    ("?q=", 1),
    ("", 1),
];

/// `/queries` and `/updates`: lengths and clamping, valid rows; `/queries`
/// is not cached; `/updates` persisted (when the database is at hand).
async fn rows_endpoint(cx: &mut Ctx<'_>, endpoint: &str) {
    let updates = endpoint == "/updates";
    let mut q20 = None;
    for (query, want) in Q_CASES {
        if cx.server_gone() {
            return;
        }
        let path = format!("{endpoint}{query}");
        let Some((resp, v)) = cx.get_json(&path).await else {
            continue;
        };
        let rows = expect::world_rows(&v, want);
        let ok = cx.record(
            format!("{path} → {want} row{}", if want == 1 { "" } else { "s" }),
            rows.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        if !ok {
            continue;
        }
        let rows = rows.unwrap_or_default();
        if updates && want == 500 {
            cx.record(format!("{path} ids distinct (policy)"), distinct_ids(&rows));
        }
        if query == "?q=20" {
            q20 = Some(resp.body.clone());
            if cx.db.is_some() {
                let check = if updates {
                    format!("{path} persisted (rows read back from the database)")
                } else {
                    format!("{path} rows match the world table")
                };
                let matches = match_db(cx.db, &rows).await;
                cx.record(check, matches);
            }
        }
    }
    if !updates && let Some(first) = q20 {
        let path = format!("{endpoint}?q=20");
        if let Some((resp, _)) = cx.get_json(&path).await {
            let fresh = if resp.body == first {
                Err(format!(
                    "expected two requests to return different rows, got the same body twice: {}",
                    http::preview(&first)
                ))
            } else {
                Ok(())
            };
            cx.record(format!("{path} not cached"), fresh);
        }
    }
}

/// spec/fairness.md R7: `/updates` draws distinct ids, so each row it
/// returns is the row's value in the database (500 draws with repeats allowed
/// repeat one with probability 1 - 4e-6).
fn distinct_ids(rows: &[(i64, i64)]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for (id, _) in rows {
        if !seen.insert(*id) {
            return Err(format!(
                "expected {} distinct ids, id {id} came twice (spec/fairness.md R7: draw without repeats)",
                rows.len()
            ));
        }
    }
    Ok(())
}

/// Each returned `(id, randomNumber)` is what the database holds now (for an
/// id returned twice, one of its numbers).
async fn match_db(db: Option<&Database>, rows: &[(i64, i64)]) -> Result<(), String> {
    let Some(db) = db else { return Ok(()) };
    let mut by_id: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (id, n) in rows {
        by_id.entry(*id).or_default().push(*n);
    }
    for (id, numbers) in by_id {
        let id32 = i32::try_from(id).map_err(|_| format!("id {id} out of range"))?;
        let stored = db
            .world_number(id32)
            .await
            .map_err(|e| format!("reading world id {id} back: {e:#}"))?;
        if !numbers.contains(&i64::from(stored)) {
            return Err(format!(
                "world id {id}: expected randomNumber {} in the database, got {stored}",
                numbers[numbers.len() - 1]
            ));
        }
    }
    Ok(())
}

async fn fortunes_page(cx: &mut Ctx<'_>) {
    let Some(resp) = cx.get("/fortunes").await else {
        return;
    };
    cx.record(
        "/fortunes content-type",
        expect::content_type(&resp, "text/html"),
    );
    cx.record("/fortunes charset", expect::charset_utf8(&resp));
    let html = match resp.text() {
        Ok(t) => t.to_string(),
        Err(e) => {
            cx.record("/fortunes UTF-8", Err(e));
            return;
        }
    };
    let raw = match fortunes::parse_rows(&html) {
        Ok(r) => r,
        Err(e) => {
            cx.record("/fortunes table", Err(e));
            return;
        }
    };
    cx.record(
        "/fortunes markup escaped",
        fortunes::check_escaped(&html, &raw),
    );
    let rows = match fortunes::decode(&raw) {
        Ok(r) => r,
        Err(e) => {
            cx.record("/fortunes table", Err(e));
            return;
        }
    };
    cx.record("/fortunes rows", fortunes::check_rows(&rows));
    cx.record("/fortunes non-ASCII rows", fortunes::check_non_ascii(&rows));
    cx.record("/fortunes sorted by message", fortunes::check_sorted(&rows));
}

async fn io(cx: &mut Ctx<'_>) {
    if let Some((resp, v)) = cx.get_json("/io?ms=50").await {
        cx.record(
            "/io?ms=50 body",
            expect::json_eq(&v, &json!({"waited_ms": 50})),
        );
        let waited = if resp.elapsed >= Duration::from_millis(50) {
            Ok(())
        } else {
            Err(format!(
                "expected to wait at least 50 ms, answered after {} ms",
                resp.elapsed.as_millis()
            ))
        };
        cx.record("/io?ms=50 waits", waited);
    }
    // Bodies only: the upper clamp (10 s) is not worth the wait.
    for (query, want) in [("?ms=-5", 0), ("?ms=0", 0), ("?ms=foo", 50), ("", 50)] {
        if cx.server_gone() {
            return;
        }
        let path = format!("/io{query}");
        if let Some((_, v)) = cx.get_json(&path).await {
            cx.record(
                format!("{path} body"),
                expect::json_eq(&v, &json!({"waited_ms": want})),
            );
        }
    }
}

async fn cpu(cx: &mut Ctx<'_>) {
    // The upper clamp (1,000,000) is seconds of work on CPython: not checked.
    let cases = [
        ("?n=10", 10),
        ("?n=10000", 10000),
        ("?n=0", 1),
        ("?n=-7", 1),
        ("?n=foo", 10000),
        ("", 10000),
    ];
    for (query, n) in cases {
        if cx.server_gone() {
            return;
        }
        let path = format!("/cpu{query}");
        if let Some((_, v)) = cx.get_json(&path).await {
            let want = json!({"n": n, "primes": expect::prime_count(n)});
            cx.record(format!("{path} body"), expect::json_eq(&v, &want));
        }
    }
}

async fn numeric(cx: &mut Ctx<'_>) {
    let cases = [
        ("?n=10", 10),
        ("?n=100000", 100000),
        ("?n=0", 1),
        ("?n=foo", 100000),
        ("", 100000),
    ];
    for (query, n) in cases {
        if cx.server_gone() {
            return;
        }
        let path = format!("/numeric{query}");
        if let Some((_, v)) = cx.get_json(&path).await {
            cx.record(format!("{path} body"), numeric_body(&v, n));
        }
    }
}

/// `{"n","sum","mean","std","dot"}` against values computed here, relative tolerance 1e-9.
fn numeric_body(v: &Value, n: u64) -> Result<(), String> {
    let got_n = expect::int_field(v, "n")?;
    if got_n != n as i64 {
        return Err(format!("`n`: expected {n}, got {got_n}"));
    }
    let want = expect::numeric(n);
    for (key, want) in [
        ("sum", want.sum),
        ("mean", want.mean),
        ("std", want.std),
        ("dot", want.dot),
    ] {
        let got = expect::float_field(v, key)?;
        if !close(got, want) {
            return Err(format!(
                "`{key}`: expected {want} (relative tolerance 1e-9), got {got}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_body_names_the_wrong_figure() {
        let r = expect::numeric(10);
        let good = json!({"n": 10, "sum": r.sum, "mean": r.mean, "std": r.std, "dot": r.dot});
        numeric_body(&good, 10).unwrap();
        let bad = json!({"n": 10, "sum": r.sum, "mean": r.mean, "std": r.std * 1.05, "dot": r.dot});
        assert!(numeric_body(&bad, 10).unwrap_err().starts_with("`std`"));
        let bad_n = json!({"n": 10.0, "sum": 0});
        assert!(numeric_body(&bad_n, 10).unwrap_err().contains("integer"));
    }

    /// Regression: the JavaScript and Rust stacks drew /updates ids with
    /// repeats while the Python stacks drew distinct ones.
    #[test]
    fn updates_with_a_repeated_id_are_named() {
        distinct_ids(&[(1, 5), (2, 5), (3, 7)]).unwrap();
        let err = distinct_ids(&[(1, 5), (9, 5), (1, 7)]).unwrap_err();
        assert!(err.contains("id 1 came twice"), "{err}");
    }
}
