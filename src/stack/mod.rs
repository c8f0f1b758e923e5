//! Stacks: a manifest (`stack.toml`, see `spec/stack-manifest.md`) and the
//! lifecycle — runtime check, install (cached by lockfile hash), launch
//! pinned to cores, wait for `/health`, sample CPU and memory, stop.
//!
//! The signatures below are the interface the verifier and the harness use.

pub mod bind;
pub mod cli;
pub mod facts;
mod footprint;
pub mod framework;
pub mod h2;
pub mod health;
mod launch;
pub mod malloc;
pub mod manifest;
pub mod node;
pub mod pylock;
pub mod python;
pub mod runtime;
mod sample;
pub mod setup;
pub mod setup_many;
pub mod tls;
pub mod variants;

pub use crate::net::free_port;
pub use footprint::{footprint, packages};
pub use launch::{Running, check_port_free, health, launch, start_argv};
pub use manifest::ManifestError;
pub use runtime::runtime_status;
pub use sample::sample as sample_tree;
pub use setup::{
    InstallState, expected_install, install_state, is_installed, pending_installs, setup,
    setup_with,
};
pub use variants::{UnknownStack, default_run, deployments, find, select};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;

/// A parsed, validated `stack.toml` with the folder it lives in, or one of
/// its `[variants.NAME]` (then `name` is `base@variant`).
/// Build one in code with `Stack { name, start, .., ..Default::default() }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stack {
    /// `base` for the default deployment, `base@variant` for a variant.
    pub name: String,
    /// The manifest's `name` (the same for every deployment of the stack).
    #[serde(default)]
    pub base: String,
    /// `[variants.NAME]` this deployment comes from; `None`: the default deployment.
    #[serde(default)]
    pub variant: Option<String>,
    /// `[runtime] name`: the runtime that executes the code (`node`, `bun`,
    /// `deno`, `cpython`, `rust`, ...); inferred from the language when absent.
    #[serde(default)]
    pub runtime_name: String,
    /// Top-level `default_run`: measured by `ringside run` without `--stacks`.
    /// Always false for a variant.
    #[serde(default)]
    pub default_run: bool,
    /// `[start] keep_alive`: the server keeps connections open between
    /// responses (the fairness policy's rule); false: it closes each one and
    /// says so with `Connection: close`, which `verify` then accepts.
    #[serde(default)]
    pub keep_alive: bool,
    /// `[start] threads`: threads serving requests in each worker process
    /// (gunicorn gthread's `--threads`); 1 for an event loop.
    #[serde(default)]
    pub threads: u32,
    /// `{workers}` counts threads of one process, not processes: granian's
    /// workers on a free-threaded Python (set by [`bind`] when it deploys
    /// the `[runtime] free_threaded` variant).
    #[serde(default)]
    pub worker_threads: bool,
    /// `[start] protocol`: the HTTP version the server speaks; the harness
    /// checks its health, verifies and loads it in that protocol.
    #[serde(default)]
    pub protocol: Protocol,
    /// `[start] streams`: HTTP/2 streams the harness keeps in flight on each
    /// connection (1 for HTTP/1.1). A load of `c` requests in flight then
    /// opens `ceil(c / streams)` connections.
    #[serde(default = "one")]
    pub streams: u32,
    pub language: String,
    pub framework: String,
    pub description: String,
    /// Top-level `json`: how the stack serialises JSON responses (shown in
    /// the stack's README facts); empty when the manifest does not say.
    #[serde(default)]
    pub json: String,
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
    /// The `stack.toml` this came from.
    #[serde(default)]
    pub manifest: PathBuf,
    /// `[runtime]`; `None`: no check, always present.
    #[serde(default)]
    pub runtime: Option<RuntimeCheck>,
    /// `[install]`.
    #[serde(default)]
    pub install: InstallSpec,
    /// `[footprint] source`: the stack's own source files (relative to `dir`);
    /// `None`: every file except dependencies and lockfiles.
    #[serde(default)]
    pub footprint_source: Option<Vec<String>>,
    /// The `[variants.NAME]` deployments (on the default deployment only).
    #[serde(default)]
    pub variants: Vec<Stack>,
    /// `[runtime] free_threaded`: the variant deployed in place of the
    /// default one on a free-threaded Python (one process, several threads).
    #[serde(default)]
    pub free_threaded_variant: Option<String>,
    /// The runtime chosen for this run ([`bind`]); `None`: the host's, in
    /// the stack's own folder.
    #[serde(default)]
    pub binding: Option<bind::Binding>,
    /// Set when several versions of the runtime run side by side: the
    /// runtime in the stack's name (`node 24.22`).
    #[serde(default)]
    pub runtime_label: Option<String>,
}

impl Default for Stack {
    fn default() -> Self {
        Stack {
            name: String::new(),
            base: String::new(),
            variant: None,
            runtime_name: String::new(),
            default_run: true,
            keep_alive: true,
            threads: 1,
            worker_threads: false,
            protocol: Protocol::Http1,
            streams: 1,
            language: String::new(),
            framework: String::new(),
            description: String::new(),
            json: String::new(),
            dir: PathBuf::new(),
            scenarios: Vec::new(),
            unsupported: BTreeMap::new(),
            databases: BTreeMap::new(),
            start: Vec::new(),
            start_override: BTreeMap::new(),
            env: BTreeMap::new(),
            ready_timeout: manifest::DEFAULT_READY_TIMEOUT,
            max_workers: manifest::DEFAULT_MAX_WORKERS,
            manifest: PathBuf::new(),
            runtime: None,
            install: InstallSpec::default(),
            footprint_source: None,
            variants: Vec::new(),
            free_threaded_variant: None,
            binding: None,
            runtime_label: None,
        }
    }
}

fn one() -> u32 {
    1
}

/// The HTTP version a stack's server speaks (`[start] protocol`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// HTTP/1.1 keep-alive (every stack's default).
    #[default]
    #[serde(rename = "http/1.1")]
    Http1,
    /// HTTP/2 over cleartext TCP with prior knowledge (RFC 9113 §3.3): the
    /// client starts with the connection preface, no upgrade, no TLS.
    #[serde(rename = "h2c")]
    H2c,
    /// HTTP/2 over TLS, `h2` picked by ALPN (RFC 9113 §3.2), on a throwaway
    /// self-signed certificate the harness makes at launch ([`tls`]).
    #[serde(rename = "h2")]
    H2,
}

impl Protocol {
    /// Manifest spellings of `[start] protocol`.
    pub const NAMES: [&str; 3] = ["http/1.1", "h2c", "h2"];

    /// `http/1.1`, `h2c` or `h2`, as manifests, results and reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http1 => "http/1.1",
            Protocol::H2c => "h2c",
            Protocol::H2 => "h2",
        }
    }

    /// From a manifest's `[start] protocol`.
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "http/1.1" => Some(Protocol::Http1),
            "h2c" => Some(Protocol::H2c),
            "h2" => Some(Protocol::H2),
            _ => None,
        }
    }

    pub fn is_http2(self) -> bool {
        matches!(self, Protocol::H2c | Protocol::H2)
    }

    /// True for HTTP/2 over TLS (the server is reached over `https://`).
    pub fn is_tls(self) -> bool {
        self == Protocol::H2
    }

    /// How the server is reached, for messages: ` over h2c`, ` over TLS (ALPN h2)`, or nothing.
    pub fn over(self) -> &'static str {
        match self {
            Protocol::Http1 => "",
            Protocol::H2c => " over h2c",
            Protocol::H2 => " over TLS (ALPN h2)",
        }
    }
}

impl Stack {
    /// True when the stack implements `scenario` (harness-only scenarios always apply).
    pub fn supports(&self, scenario: Scenario) -> bool {
        !scenario.is_endpoint() || self.scenarios.contains(&scenario)
    }
}

/// `[runtime]`: the version check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeCheck {
    /// argv run once; its output must contain a version.
    pub command: Vec<String>,
    /// Oldest acceptable version (`18.0`).
    pub min_version: Option<String>,
    /// argv run after the install whose version is recorded as the runtime's
    /// (a runtime the install step brings, such as `node_modules/.bin/bun`).
    #[serde(default)]
    pub version_command: Option<Vec<String>>,
    /// `managed = true`: ringside installs this runtime (Node.js from npm,
    /// the pinned LTS unless `--node` chooses); the host's only with `--node system`.
    #[serde(default)]
    pub managed: bool,
}

/// `[install]`: commands run by `ringside setup`, cached by the lockfiles' hash.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallSpec {
    /// Files (relative to the stack folder) whose contents key the install stamp.
    pub lockfiles: Vec<String>,
    /// argv lists run in order in the stack folder.
    pub commands: Vec<Vec<String>>,
    /// The interpreter a per-interpreter lock was chosen for
    /// (`cpython 3.11.7`, [`pylock`]); part of the install stamp.
    #[serde(default)]
    pub interpreter: Option<String>,
}

/// Whether a stack's runtime is on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RuntimeStatus {
    Present { version: String },
    Missing { reason: String },
}

/// How to launch a stack (`workers` 0 counts as 1).
#[derive(Debug, Clone, Default)]
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
    /// False when some process's Pss was unreadable and `VmRSS` was counted instead.
    #[serde(default)]
    pub pss: bool,
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

/// Loads and validates one manifest. Errors are [`ManifestError`]s marked as
/// bad input (exit code 2).
pub fn load_manifest(path: &Path) -> anyhow::Result<Stack> {
    manifest::parse_file(path).map_err(crate::error::bad_input)
}

/// The built-in stacks: every `stacks/*/stack.toml` under `root`, sorted by name.
/// Two manifests with one name are an error.
pub fn discover(root: &Path) -> anyhow::Result<Vec<Stack>> {
    let entries = std::fs::read_dir(root).map_err(|e| {
        crate::error::bad_input_msg(format!(
            "cannot read the stacks folder {}: {e}",
            root.display()
        ))
    })?;
    let mut stacks: Vec<Stack> = Vec::new();
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("stack.toml"))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    for path in paths {
        let stack = load_manifest(&path)?;
        if let Some(other) = stacks.iter().find(|s| s.name == stack.name) {
            return Err(crate::error::bad_input(ManifestError::Duplicate {
                file: path.display().to_string(),
                value: stack.name.clone(),
                other: other.manifest.display().to_string(),
            }));
        }
        stacks.push(stack);
    }
    stacks.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(stacks)
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
