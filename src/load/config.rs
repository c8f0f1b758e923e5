//! The validated load configuration ([`LoadConfig`]), built from flags by
//! `load::cli` or directly by the harness.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::shard::AgentPlan;

/// A validated load test. Construct with [`LoadConfig::closed`] /
/// [`LoadConfig::open`] and adjust fields; the harness does exactly that.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadConfig {
    /// URLs requested in rotation (http://, or https:// with HTTP/2; loopback
    /// unless allow_remote).
    pub urls: Vec<url::Url>,
    /// HTTP method, upper case.
    pub method: String,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// Request body bytes (sent with Content-Length).
    pub body: Option<Vec<u8>>,
    /// Number of keep-alive connections.
    pub connections: usize,
    /// When the run ends.
    pub stop: Stop,
    /// Closed loop, or open loop with a rate schedule.
    pub schedule: Schedule,
    /// Per-request timeout; a request over it counts as a timeout error.
    pub timeout: Duration,
    /// Timed runs: how long after the window requests still in flight may
    /// take before the run ends without them (counted as timeouts, and
    /// said); the per-request timeout bounds a request, this bounds the run.
    #[serde(default = "default_grace")]
    pub grace: Duration,
    /// Optional response check; failures count as errors.
    pub check: Option<ResponseCheck>,
    /// Cores the generator's threads are pinned to (None: not pinned).
    pub cpus: Option<Vec<usize>>,
    /// Generator threads (tokio workers); default 1 per pinned core, else 1.
    pub threads: usize,
    /// Keep the raw HdrHistogram in the report (base64, V2 deflate format).
    pub keep_histogram: bool,
    /// Warm-up before recording starts (not counted).
    pub warmup: Duration,
    /// Allow targets outside loopback (127.0.0.0/8, ::1, localhost).
    #[serde(default)]
    pub allow_remote: bool,
    /// This process as one agent of a split run (`--shard`, `--start-at`).
    /// The other fields describe the whole run; the engine drives this
    /// agent's part of it (see `load::shard`).
    #[serde(default)]
    pub agent: AgentPlan,
    /// HTTP/1.1, or HTTP/2 (h2c with prior knowledge for http://, TLS with
    /// ALPN `h2` for https://).
    #[serde(default)]
    pub protocol: Protocol,
    /// HTTP/2: concurrent streams per connection (each paced like an
    /// HTTP/1.1 connection); 1 for HTTP/1.1.
    #[serde(default = "one")]
    pub streams: usize,
    /// TLS: accept any server certificate (self-signed test servers).
    #[serde(default)]
    pub insecure: bool,
    /// HTTP/2: which client implementation carries the streams.
    #[serde(default)]
    pub h2_client: H2Client,
}

/// The HTTP/2 client implementation (`--h2-client`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum H2Client {
    /// ringside's own frame loop (`load::http2::lean`): one task per
    /// connection, header blocks encoded once, frames written in batches;
    /// the default (about a third of the `h2` crate's CPU per request,
    /// README Benchmarks).
    #[default]
    Lean,
    /// The `h2` crate (hyper's HTTP/2).
    H2Crate,
}

fn one() -> usize {
    1
}

/// The wire protocol of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// HTTP/1.1 keep-alive, one request in flight per connection.
    #[default]
    Http1,
    /// HTTP/2, `streams` requests in flight per connection.
    Http2,
}

/// When a load run stops.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// After this wall-clock duration of recording.
    Duration(Duration),
    /// After exactly this many completed requests (closed loop).
    Requests(u64),
}

/// Closed loop (each connection sends its next request when the previous one
/// completes) or open loop (requests sent at planned times).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    Closed,
    Open(RateSchedule),
}

/// Offered rate over time, in requests per second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateSchedule {
    /// A constant rate.
    Constant { rps: f64 },
    /// Linear ramp from `from_rps` to `to_rps` over `over`, then `to_rps`.
    Ramp {
        from_rps: f64,
        to_rps: f64,
        over: Duration,
    },
    /// Successive steps, each a rate held for a duration.
    Steps { steps: Vec<(f64, Duration)> },
}

/// A check applied to every response; a failure counts as a `check` error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseCheck {
    /// Expected status code.
    pub status: Option<u16>,
    /// A substring the body must contain.
    pub body_contains: Option<String>,
}

/// Default of [`LoadConfig::grace`]: `load -d D` ends within D plus this
/// (and the time to open the connections).
pub const DEADLINE_GRACE: Duration = Duration::from_secs(1);

fn default_grace() -> Duration {
    DEADLINE_GRACE
}

impl LoadConfig {
    /// A closed-loop run of `connections` connections for `duration`.
    pub fn closed(url: url::Url, connections: usize, duration: Duration) -> Self {
        LoadConfig {
            urls: vec![url],
            method: "GET".into(),
            headers: Vec::new(),
            body: None,
            connections,
            stop: Stop::Duration(duration),
            schedule: Schedule::Closed,
            timeout: Duration::from_secs(10),
            grace: DEADLINE_GRACE,
            check: None,
            cpus: None,
            threads: 1,
            keep_histogram: false,
            warmup: Duration::ZERO,
            allow_remote: false,
            agent: AgentPlan::default(),
            protocol: Protocol::Http1,
            streams: 1,
            insecure: false,
            h2_client: H2Client::Lean,
        }
    }

    /// The protocol as reports name it: `http/1.1`, `h2c` (HTTP/2 over
    /// cleartext, prior knowledge) or `h2` (HTTP/2 over TLS, ALPN).
    pub fn protocol_name(&self) -> &'static str {
        match self.protocol {
            Protocol::Http1 => "http/1.1",
            Protocol::Http2 if self.urls.iter().any(|u| u.scheme() == "https") => "h2",
            Protocol::Http2 => "h2c",
        }
    }

    /// Concurrent requests each connection carries: `streams` for HTTP/2, else 1.
    pub fn streams_per_connection(&self) -> usize {
        match self.protocol {
            Protocol::Http1 => 1,
            Protocol::Http2 => self.streams.max(1),
        }
    }

    /// An open-loop run at a constant `rps` over `connections` connections for `duration`.
    pub fn open(url: url::Url, connections: usize, rps: f64, duration: Duration) -> Self {
        LoadConfig {
            schedule: Schedule::Open(RateSchedule::Constant { rps }),
            ..LoadConfig::closed(url, connections, duration)
        }
    }
}
