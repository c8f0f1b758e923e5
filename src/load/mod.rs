//! The load generator: `ringside load URL`, and the engine `ringside run` drives.
//!
//! A run composes a stop condition × a rate schedule × a protocol; it records
//! latency in HdrHistograms (corrected from each request's intended send time
//! in open loop) and returns a [`report::LoadReport`].
//!
//! The data flow, file by file: [`cli`] (flags → validated [`config`]) →
//! [`target`] (resolve, loopback check, preflight) → [`engine`] (pinned worker
//! threads, one tokio runtime each; pacing from [`plan`]) → [`http`] (the lean
//! HTTP/1.1 client; framing in [`response`]) → [`recorder`] (per-thread
//! tallies, via [`record`]) → [`summary`] (merge, rates, warnings, using
//! [`sys`] for CPU) → output: [`terminal`], JSON, [`progress`] while running.
//!
//! [`ws`] is the WebSocket chat engine (`--ws`). Shared with it: [`record`] (histograms → stats, base64
//! V2+deflate, percentile text, per-second series) and [`sys`] (CPU time,
//! pinning, open-file limit, saturation rule).

pub mod bounds;
pub mod cli;
pub mod config;
pub mod engine;
pub mod http;
pub mod http2;
pub mod merge;
pub mod plan;
pub mod progress;
pub mod record;
pub mod recorder;
pub mod report;
pub mod response;
pub mod shard;
pub mod summary;
pub mod sys;
pub mod target;
pub mod terminal;
pub mod ws;

pub use config::LoadConfig;
pub use report::LoadReport;

/// Runs one load test to completion (bounded by the config's stop condition
/// and deadline). Called inside a tokio runtime.
pub async fn execute(cfg: &LoadConfig) -> anyhow::Result<LoadReport> {
    engine::execute_with(cfg, None).await
}
