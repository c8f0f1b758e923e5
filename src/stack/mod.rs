//! Stacks: a manifest (`stack.toml`, see `spec/stack-manifest.md`) and the
//! lifecycle — runtime check, install (cached by lockfile hash), launch
//! pinned to cores, wait for `/health`, sample CPU and memory, stop.
//!
//! The signatures below are the interface the verifier and the harness use.

pub mod cli;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;

/// A parsed, validated `stack.toml` with the folder it lives in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stack {
    pub name: String,
    pub language: String,
    pub framework: String,
    pub description: String,
    /// Folder of the manifest; every command runs here.
    pub dir: PathBuf,
    /// Endpoint scenarios implemented.
    pub scenarios: Vec<Scenario>,
    /// Scenario -> reason it is not offered.
    pub unsupported: BTreeMap<String, String>,
    /// Database kind (`sqlite`, `postgres`) -> driver description.
    pub databases: BTreeMap<String, String>,
    /// Start argv with `{port}` / `{workers}` placeholders.
    pub start: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub ready_timeout: Duration,
    pub max_workers: u32,
}

/// Whether a stack's runtime is on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RuntimeStatus {
    Present { version: String },
    Missing { reason: String },
}

/// How to launch a stack.
#[derive(Debug, Clone)]
pub struct LaunchOpts {
    /// Port to listen on; `None` picks a free loopback port.
    pub port: Option<u16>,
    pub workers: u32,
    /// Cores the server is pinned to (None: not pinned).
    pub cpus: Option<Vec<usize>>,
    /// Extra environment (the database's `RINGSIDE_*` variables).
    pub env: Vec<(String, String)>,
}

/// CPU and memory of a running stack's whole process tree at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcSample {
    /// Cumulative user+system CPU of the tree, microseconds.
    pub cpu_us: u64,
    /// Resident set size of the tree, bytes.
    pub rss_bytes: u64,
    /// Processes in the tree.
    pub processes: u32,
}

/// Loads and validates one manifest.
pub fn load_manifest(path: &Path) -> anyhow::Result<Stack> {
    let _ = path;
    anyhow::bail!("manifest loading is not built yet")
}

/// The built-in stacks: every `stacks/*/stack.toml` under `root`, sorted by name.
pub fn discover(root: &Path) -> anyhow::Result<Vec<Stack>> {
    let _ = root;
    anyhow::bail!("stack discovery is not built yet")
}
