//! The load generator: `ringside load URL`, and the engine `ringside run` drives.
//!
//! A run composes a stop condition × a rate schedule × a protocol; it records
//! latency in HdrHistograms (corrected from each request's intended send time
//! in open loop) and returns a [`report::LoadReport`].

pub mod cli;
pub mod config;
pub mod engine;
pub mod http;
pub mod plan;
pub mod record;
pub mod recorder;
pub mod report;
pub mod summary;
pub mod sys;
pub mod target;
pub mod ws;

pub use config::LoadConfig;
pub use report::LoadReport;

/// Runs one load test to completion (bounded by the config's stop condition
/// and deadline). Called inside a tokio runtime.
pub async fn execute(cfg: &LoadConfig) -> anyhow::Result<LoadReport> {
    engine::execute_with(cfg, None).await
}
