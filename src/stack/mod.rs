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
    /// Scenario -> a different start argv for that scenario (`[start.override.NAME]`).
    pub start_override: BTreeMap<Scenario, Vec<String>>,
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
    /// Scenario about to run: selects a `[start.override]` command if any.
    pub scenario: Option<Scenario>,
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

/// A launched stack. Dropping it kills its whole process group.
#[derive(Debug)]
pub struct Running {
    _private: (),
}

impl Running {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> &str {
        todo!()
    }
    pub fn port(&self) -> u16 {
        todo!()
    }
    /// Launch to first good `/health`.
    pub fn ready_after(&self) -> Duration {
        todo!()
    }
    /// CPU and RSS of the whole process tree now.
    pub fn sample(&self) -> ProcSample {
        todo!()
    }
    /// `cgroup` or `proc`: where [`Running::sample`]'s CPU figure comes from.
    pub fn cpu_source(&self) -> &'static str {
        todo!()
    }
    /// False once the main process has exited.
    pub fn is_alive(&mut self) -> bool {
        todo!()
    }
    /// The last `n` lines the server wrote to stderr (and stdout).
    pub fn stderr_tail(&self, n: usize) -> Vec<String> {
        let _ = n;
        todo!()
    }
    /// SIGTERM to the group, SIGKILL after a grace period; waits for exit.
    pub async fn stop(self) -> anyhow::Result<()> {
        todo!()
    }
}

/// Launches a stack (its own process group, pinned, env set) and waits for
/// `/health`; on failure the error quotes the server's last stderr lines.
pub async fn launch(stack: &Stack, opts: &LaunchOpts) -> anyhow::Result<Running> {
    let _ = (stack, opts);
    anyhow::bail!("launch is not built yet")
}

/// Runs the manifest's runtime check.
pub fn runtime_status(stack: &Stack) -> RuntimeStatus {
    let _ = stack;
    RuntimeStatus::Missing {
        reason: "runtime check not built yet".into(),
    }
}

/// Options of [`setup`].
#[derive(Debug, Clone, Default)]
pub struct SetupOpts {
    /// Reinstall even when the stamp matches.
    pub force: bool,
    /// Do not echo the install commands' output.
    pub quiet: bool,
}

/// What [`setup`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SetupOutcome {
    Installed { seconds: f64 },
    UpToDate,
}

/// Installs a stack's dependencies unless the lockfile-hash stamp matches.
pub fn setup(stack: &Stack, opts: &SetupOpts) -> anyhow::Result<SetupOutcome> {
    let _ = (stack, opts);
    anyhow::bail!("setup is not built yet")
}

/// Dependency count, install size and lines of the stack's own source.
pub fn footprint(stack: &Stack) -> anyhow::Result<crate::suite::results::Footprint> {
    let _ = stack;
    anyhow::bail!("footprint is not built yet")
}

/// Installed packages and their versions (npm lockfile, pip freeze, Cargo.lock).
pub fn packages(stack: &Stack) -> BTreeMap<String, String> {
    let _ = stack;
    BTreeMap::new()
}

/// The folder of the built-in stacks: `$RINGSIDE_STACKS_DIR`, else `./stacks`,
/// else the `stacks/` folder of the source tree ringside was built from.
pub fn stacks_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("RINGSIDE_STACKS_DIR") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("stacks");
    if local.join("rust-axum").is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stacks")
}
