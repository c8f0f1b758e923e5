//! Conformance checks of the workload contract (`spec/contract.md`) against a
//! running server: every endpoint a stack claims, with the reason of each failure.
//!
//! [`verify_url`] asks `/health`, then runs each scenario's checks: [`http`]
//! (a lean client, every exchange bounded by a timeout) feeds `checks` (one
//! function an endpoint), which judge with [`expect`] (values computed from
//! the contract) and [`fortunes`] (the HTML table); `ws` drives ws-chat
//! rooms. [`cli`] launches stacks and prints [`output`].

mod checks;
pub mod cli;
pub mod expect;
pub mod fortunes;
pub mod http;
pub mod output;
mod policy;
mod sockets;
mod ws;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;

/// One conformance check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub scenario: Scenario,
    /// What was checked (`status`, `content-type`, `clamp q=501`, ...).
    pub check: String,
    pub passed: bool,
    /// Why it failed (expected vs got), or empty.
    pub detail: String,
}

/// All checks run against one server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub checks: Vec<CheckResult>,
}

impl VerifyReport {
    /// True when every check of `scenario` passed (and at least one ran).
    pub fn passed(&self, scenario: Scenario) -> bool {
        let mut any = false;
        for c in self.checks.iter().filter(|c| c.scenario == scenario) {
            if !c.passed {
                return false;
            }
            any = true;
        }
        any
    }

    /// Failed scenarios with the first failure's reason.
    pub fn failures(&self) -> BTreeMap<Scenario, String> {
        let mut out = BTreeMap::new();
        for c in self.checks.iter().filter(|c| !c.passed) {
            out.entry(c.scenario)
                .or_insert_with(|| format!("{}: {}", c.check, c.detail));
        }
        out
    }
}

/// Limits of one verification.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Bound on each HTTP exchange (connect to last body byte).
    pub timeout: Duration,
    /// Bound on each WebSocket handshake and each frame a member awaits.
    pub ws_timeout: Duration,
    /// ws-chat members in room A (at least 2). More members make it likely
    /// that a multi-process server spreads them over several workers, so
    /// per-process rooms are caught.
    pub ws_room_members: usize,
    /// The fairness policy's keep-alive rule: the connection stays open after
    /// a response and carries the next request. False (a stack whose manifest
    /// says `keep_alive = false`): closing is accepted when announced.
    pub require_keep_alive: bool,
    /// Most bytes a response body may carry (`--max-body`); a longer one
    /// fails its check and is not read on.
    pub max_body: u64,
    /// The protocol of every request: HTTP/1.1, or h2c for a stack whose
    /// manifest says `protocol = "h2c"` (then the server must answer the
    /// HTTP/2 connection preface, or every scenario fails saying so).
    pub protocol: crate::stack::Protocol,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            timeout: Duration::from_secs(5),
            ws_timeout: ws::WS_TIMEOUT,
            ws_room_members: 2,
            require_keep_alive: true,
            max_body: http::DEFAULT_MAX_BODY,
            protocol: crate::stack::Protocol::Http1,
        }
    }
}

impl VerifyReport {
    /// True when every check passed (and at least one ran).
    pub fn all_passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// Every failed check, in the order run.
    pub fn failed(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| !c.passed)
    }
}

/// Name of the recorded check that an h2c server really speaks HTTP/2.
pub const NEGOTIATION_CHECK: &str = "HTTP/2 negotiated (h2c, prior knowledge)";
/// Name of the recorded check that a TLS server really picked `h2` by ALPN
/// and speaks HTTP/2 after it.
pub const TLS_NEGOTIATION_CHECK: &str = "HTTP/2 negotiated (TLS, ALPN h2)";

/// The negotiation check's name for `protocol`.
pub fn negotiation_check(protocol: crate::stack::Protocol) -> &'static str {
    if protocol.is_tls() {
        TLS_NEGOTIATION_CHECK
    } else {
        NEGOTIATION_CHECK
    }
}

/// The server answers the HTTP/2 connection preface with SETTINGS (an
/// HTTP/1.1 server answers `400` or closes; over TLS it must first pick `h2`
/// by ALPN) and `GET /health` comes back as an HTTP/2 response.
async fn negotiated_h2(target: &http::Target, timeout: Duration) -> Result<(), String> {
    use std::net::ToSocketAddrs;
    let addr = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| format!("cannot resolve {}", target.authority()))?;
    let tls = if target.protocol.is_tls() {
        use crate::load::http2::tls;
        let url = url::Url::parse(&format!("https://{}/", target.authority()))
            .map_err(|e| format!("`{}`: {e}", target.authority()))?;
        let name = tls::server_name(&url).map_err(|e| format!("{e:#}"))?;
        // Any certificate: the harness launched this server with the
        // throwaway certificate it made (crate::stack::tls).
        Some((
            tls::client_config(true).map_err(|e| format!("{e:#}"))?,
            name,
        ))
    } else {
        None
    };
    let endpoint = crate::load::http2::Endpoint { addr, tls };
    crate::load::http2::probe::check(&endpoint, timeout)
        .await
        .map_err(|e| format!("{e:#}"))?;
    let mut conn = http::connect(target, timeout).await?;
    conn.get("/health").await.map(drop)
}

/// Checks `scenarios` against the server at `base_url`. With a database, also
/// checks that `/updates` persisted by reading the rows back directly.
pub async fn verify_url(
    base_url: &str,
    scenarios: &[Scenario],
    db: Option<&crate::db::Database>,
) -> VerifyReport {
    verify_url_with(base_url, scenarios, db, &VerifyOptions::default()).await
}

/// [`verify_url`] with explicit limits. `/health` is asked first: when the
/// server does not answer at all, every scenario fails with that reason and
/// nothing else is tried.
pub async fn verify_url_with(
    base_url: &str,
    scenarios: &[Scenario],
    db: Option<&crate::db::Database>,
    opts: &VerifyOptions,
) -> VerifyReport {
    let scenarios: Vec<Scenario> = scenarios
        .iter()
        .copied()
        .filter(|s| s.is_endpoint())
        .collect();
    let mut report = VerifyReport::default();
    let fail_all = |report: &mut VerifyReport, check: &str, detail: String| {
        for &scenario in &scenarios {
            report.checks.push(CheckResult {
                scenario,
                check: check.to_string(),
                passed: false,
                detail: detail.clone(),
            });
        }
    };
    let target = match http::Target::parse(base_url) {
        Ok(t) if t.protocol.is_tls() != opts.protocol.is_tls() => {
            let why = if t.protocol.is_tls() {
                format!(
                    "`{base_url}`: https:// is verified only for a deployment that serves HTTP/2 over TLS (protocol = \"h2\")"
                )
            } else {
                format!(
                    "`{base_url}`: a deployment that serves HTTP/2 over TLS (protocol = \"h2\") is verified over https://"
                )
            };
            fail_all(&mut report, "base URL", why);
            return report;
        }
        Ok(t) => http::Target {
            max_body: opts.max_body,
            protocol: opts.protocol,
            ..t
        },
        Err(e) => {
            fail_all(&mut report, "base URL", e);
            return report;
        }
    };
    if opts.protocol.is_http2() {
        let negotiated = negotiated_h2(&target, opts.timeout).await;
        let check = negotiation_check(opts.protocol);
        if let Err(e) = negotiated {
            fail_all(&mut report, check, e);
            return report;
        }
        for &scenario in &scenarios {
            report.checks.push(CheckResult {
                scenario,
                check: check.into(),
                passed: true,
                detail: String::new(),
            });
        }
    }
    match http::get(&target, "/health", opts.timeout).await {
        Err(e) => {
            fail_all(&mut report, "GET /health", e);
            return report;
        }
        Ok(resp) => {
            let healthy = expect::status(&resp, 200).and_then(|()| {
                if String::from_utf8_lossy(&resp.body).trim() == "ok" {
                    Ok(())
                } else {
                    Err(format!(
                        "expected body \"ok\", got {}",
                        http::preview(&resp.body)
                    ))
                }
            });
            if let Err(e) = healthy {
                fail_all(&mut report, "GET /health", e);
            }
        }
    }
    for &scenario in &scenarios {
        let mut cx = checks::Ctx {
            target: &target,
            timeout: opts.timeout,
            scenario,
            db,
            out: &mut report.checks,
            headers: policy::HeaderTally::default(),
        };
        if scenario == Scenario::WsChat {
            ws::run(&mut cx, opts.ws_timeout, opts.ws_room_members).await;
        } else {
            checks::run(&mut cx).await;
        }
        // The policy's rules (spec/fairness.md), checked where they show.
        let keep_alive_here = scenario == Scenario::Plaintext
            || (scenario == Scenario::Json && !scenarios.contains(&Scenario::Plaintext));
        if keep_alive_here && opts.require_keep_alive && !cx.server_gone() {
            policy::keep_alive(&mut cx).await;
        }
        if scenario == Scenario::Queries && !cx.server_gone() {
            policy::sequential_batch(&mut cx).await;
        }
        if let Some(verdict) = cx.headers.verdict() {
            cx.record(policy::HEADER_CHECK, verdict);
        }
    }
    report
}
