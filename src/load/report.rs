//! What a load run measured: [`LoadReport`], also the `--json` output
//! (schema `schema/load-report.schema.json`, version [`LOAD_SCHEMA`]).
//! Fields may be added; existing names and units do not change within a version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::shard::Shard;

/// Identifies the JSON schema of a [`LoadReport`].
pub const LOAD_SCHEMA: &str = "ringside.load/1";

/// The outcome of one load run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    /// Always [`LOAD_SCHEMA`].
    pub schema: String,
    /// `closed` or `open`.
    pub mode: String,
    /// Connections asked for.
    pub connections: usize,
    /// Connections actually open when the run started (absent in reports
    /// of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections_open: Option<usize>,
    /// Recording window, seconds (excludes warm-up).
    pub duration_s: f64,
    /// Requests completed with a response inside the window (any status).
    pub requests: u64,
    /// Completed requests per second over the window.
    pub throughput_rps: f64,
    /// Open loop: mean offered rate of the schedule, requests/s.
    pub target_rps: Option<f64>,
    /// Open loop: sends actually made per second.
    pub achieved_rps: Option<f64>,
    /// Open loop: sends made more than 1 ms after their intended time.
    pub late_sends: u64,
    /// Open loop: planned sends dropped because their timeout had passed
    /// before a connection was free (also counted in `errors.timeout`).
    #[serde(default)]
    pub unsent: u64,
    /// Open loop: worst lateness of a send, microseconds.
    pub max_send_lag_us: u64,
    /// Latency in microseconds. Open loop: coordinated-omission corrected —
    /// a request that waited for a busy connection counts from its intended
    /// send time; one sent by an idle connection (on time, within the
    /// timer's millisecond) from its actual send. Closed loop: from the actual send.
    pub latency: LatencyStats,
    /// Open loop only: latency from the actual send time (uncorrected).
    pub latency_uncorrected: Option<LatencyStats>,
    /// Responses by HTTP status code.
    pub status_counts: BTreeMap<u16, u64>,
    /// Failures by kind.
    pub errors: ErrorCounts,
    /// Bytes received (headers and bodies).
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
    /// Completed requests in each whole second of the window.
    pub per_second: Vec<u64>,
    /// Completed requests in each whole 100 ms of the window (absent in
    /// merged reports and in files written before it was kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_100ms: Vec<u64>,
    /// The generator's own CPU use.
    pub generator: GeneratorUsage,
    /// Human-readable warnings (generator-bound, rate not reached, errors...).
    pub warnings: Vec<String>,
    /// Raw corrected histogram, HdrHistogram V2+deflate, base64 (when kept;
    /// always in an agent's report).
    pub histogram_b64: Option<String>,
    /// Open loop: raw uncorrected histogram, same format, kept with `histogram_b64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram_uncorrected_b64: Option<String>,
    /// What was loaded, and the agent(s) and clocks behind this report
    /// (written by `ringside load` and `ringside merge`; not by the harness).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunInfo>,
}

/// The target of a run and who measured it: enough for `ringside merge` to
/// check that reports belong together and to align them in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// HTTP method (`GET` for WebSocket, the upgrade).
    pub method: String,
    /// Target URLs, in rotation (`ws://` for WebSocket).
    pub urls: Vec<String>,
    /// `-n` of the whole run, before it was split over agents (None: a timed run).
    pub requests_planned: Option<u64>,
    /// This report's part of the run (None: the whole run, or a merge).
    pub shard: Option<Shard>,
    /// The agents behind the report: this process for `ringside load`, every
    /// merged agent (by shard) for `ringside merge`.
    pub agents: Vec<AgentInfo>,
    /// `http/1.1`, `h2c` (HTTP/2 cleartext, prior knowledge), `h2` (HTTP/2
    /// over TLS) or `websocket`; absent in reports of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// HTTP/2: concurrent streams per connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streams_per_connection: Option<usize>,
}

/// One agent: its identity and its clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub shard: Option<Shard>,
    /// Host name of the machine (the pod's name inside Kubernetes).
    pub hostname: String,
    /// `POD_NAME` from the environment (the Kubernetes downward API), if set.
    pub pod: Option<String>,
    /// `NODE_NAME` from the environment, if set.
    pub node: Option<String>,
    /// `--start-at` as asked, RFC 3339 UTC.
    pub start_at: Option<String>,
    /// Wall clock (this agent's) when the recording window began — where
    /// `per_second[0]` starts — RFC 3339 UTC with microseconds.
    pub window_start: String,
    /// Wall clock when the agent finished, RFC 3339 UTC with microseconds.
    pub ended_at: String,
    /// Responses (HTTP) or deliveries (WebSocket) this agent recorded.
    pub count: u64,
}

/// Latency statistics, all in microseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    pub count: u64,
    pub min_us: u64,
    pub mean_us: f64,
    pub stdev_us: f64,
    pub max_us: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub p9999_us: u64,
}

/// Failed requests by kind. `total()` is their sum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCounts {
    /// Could not connect (refused, reset during connect).
    pub connect: u64,
    /// Connection closed or reset while reading, malformed response.
    pub read: u64,
    /// Error writing the request.
    pub write: u64,
    /// No complete response within the timeout.
    pub timeout: u64,
    /// Response failed the `--expect-*` check.
    pub check: u64,
    /// HTTP/2: the server reset the stream (RST_STREAM).
    #[serde(default)]
    pub reset: u64,
    /// HTTP/2: the request was lost to the server's GOAWAY (refused, or in
    /// flight on a connection the server sent GOAWAY on and closed).
    #[serde(default)]
    pub goaway: u64,
}

impl ErrorCounts {
    pub fn total(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout + self.check + self.reset + self.goaway
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &ErrorCounts) {
        self.connect += other.connect;
        self.read += other.read;
        self.write += other.write;
        self.timeout += other.timeout;
        self.check += other.check;
        self.reset += other.reset;
        self.goaway += other.goaway;
    }
}

/// The generator's CPU use over the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneratorUsage {
    /// User+system CPU seconds of the generator's worker threads over the
    /// run (from the clock start to the last response; excludes the caller's
    /// own threads, so the harness's sampling does not count). WebSocket
    /// chat: the whole process while it sends (the drain after is left out).
    pub cpu_s: f64,
    /// Threads that drove load.
    pub threads: usize,
    /// cpu_s / (run wall time × min(threads, pinned cores)): 1.0 means the
    /// threads were always busy.
    pub utilization: f64,
    /// True when utilization was high enough that the generator, not the
    /// target, may have limited the result.
    pub saturated: bool,
}

/// Identifies the JSON schema of a [`WsReport`].
pub const WS_SCHEMA: &str = "ringside.ws/1";

/// The outcome of one WebSocket chat run (`ringside load --ws`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WsReport {
    /// Always [`WS_SCHEMA`].
    pub schema: String,
    /// Client connections requested.
    pub clients: usize,
    /// Rooms the clients are spread over (round robin).
    pub rooms: usize,
    /// Messages each client sends per second (open loop, planned).
    pub msg_rate_per_client: f64,
    /// Recording window, seconds.
    pub duration_s: f64,
    /// Clients that connected.
    pub connected: u64,
    /// Connection attempts refused or failed during the handshake.
    pub connect_failed: u64,
    /// Connections closed by the server or broken before the end.
    pub dropped: u64,
    /// Messages sent.
    pub sent: u64,
    /// Deliveries expected: each sent message × members of its room at send time.
    pub expected_deliveries: u64,
    /// Deliveries received.
    pub delivered: u64,
    /// Expected deliveries never received (by the drain deadline).
    pub lost: u64,
    /// Frames that were not the JSON the contract requires.
    pub malformed: u64,
    /// Sends made more than 1 ms after their intended time.
    pub late_sends: u64,
    /// Offered messages/s over all clients.
    pub target_msg_rps: f64,
    /// Messages actually sent per second.
    pub achieved_msg_rps: f64,
    /// Deliveries per second.
    pub delivered_per_s: f64,
    /// Delivery latency, microseconds, to receipt at every receiver: from the
    /// actual send when the sender was on time, from the intended send time
    /// when it was still blocked by an earlier send (coordinated omission).
    pub latency: LatencyStats,
    pub generator: GeneratorUsage,
    pub warnings: Vec<String>,
    /// Raw delivery-latency histogram, HdrHistogram V2+deflate, base64 (when
    /// kept; always in an agent's report).
    pub histogram_b64: Option<String>,
    /// The target and the agent(s) behind this report (see [`RunInfo`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunInfo>,
}
