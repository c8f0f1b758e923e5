//! Binding stacks to the runtimes the user chose (`--node`, `--python`):
//! a Node.js stack whose manifest says `[runtime] managed = true` runs on a
//! Node.js ringside installs (the pinned LTS unless `--node` says otherwise),
//! a Python stack on each `--python` interpreter. A bound stack is installed
//! and run in a copy of its folder under the runtime's home
//! (`.ringside/runtimes/node-26.12.1/stacks/node-http/`), so every runtime
//! keeps its own `node_modules` or venv and all stacks of one runtime share
//! its native builds. With several versions of one runtime the stacks are
//! named after it: `node-http (node 24.22)`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Stack;
use super::node::{self, NodeSpec};
use super::python::{self, Interpreter};
use crate::error::bad_input;

/// `--node` and `--python`, shared by `run`, `setup`, `stacks` and `verify`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RuntimeArgs {
    /// Node.js for the Node stacks, comma separated to measure several side
    /// by side: a pinned LTS line (22, 24, 26), an exact version (24.22.3),
    /// or `system` for the host's node. Default: the newest LTS (26.12.1),
    /// installed from npm into .ringside/runtimes/.
    #[arg(long, value_name = "VERSIONS", env = "RINGSIDE_NODE")]
    pub node: Vec<String>,
    /// Python interpreters for the Python stacks (comma separated paths),
    /// each with its own venv per stack. Default: the host's python3.
    #[arg(long, value_name = "PATHS")]
    pub python: Vec<String>,
}

impl RuntimeArgs {
    /// The validated choice (bad input: exit 2).
    pub fn choice(&self) -> anyhow::Result<RuntimeChoice> {
        RuntimeChoice::from_flags(&self.node, &self.python)
    }
}

/// The runtime a stack was bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// `node` or `cpython`.
    pub kind: String,
    /// Exact version: `26.12.1`, `3.13.1`.
    pub version: String,
    /// The runtime's folder (Node.js: `bin/node`; Python: `bin/python3` links
    /// to the interpreter); the stack's copy lives in `stacks/` under it.
    pub home: PathBuf,
    /// Installed by ringside (Node.js from npm) rather than found on the host.
    pub managed: bool,
    /// A Python whose GIL is disabled.
    #[serde(default)]
    pub free_threaded: bool,
}

impl Binding {
    /// `node 26.12.1`, `cpython 3.13.1t`: recorded and hashed into the install stamp.
    pub fn id(&self) -> String {
        let t = if self.free_threaded { "t" } else { "" };
        format!("{} {}{t}", self.kind, self.version)
    }
}

/// The runtimes of a run: Node.js versions and Python interpreters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeChoice {
    /// Never empty: the default is the pinned LTS.
    pub node: Vec<NodeSpec>,
    /// Empty: Python stacks run on the host's `python3`, in their own folder.
    pub python: Vec<Interpreter>,
}

impl Default for RuntimeChoice {
    fn default() -> Self {
        RuntimeChoice {
            node: vec![NodeSpec::Version(node::default_version().to_string())],
            python: Vec::new(),
        }
    }
}

impl RuntimeChoice {
    /// From `--node` values (comma-separated, empty: the pinned LTS) and
    /// `--python` paths; errors are bad input (exit 2).
    pub fn from_flags(node_values: &[String], python_paths: &[String]) -> anyhow::Result<Self> {
        let node = node::parse_list(node_values).map_err(bad_input)?;
        let mut python = Vec::new();
        for p in python_paths
            .iter()
            .flat_map(|p| p.split(','))
            .filter(|p| !p.trim().is_empty())
        {
            let i = python::probe(Path::new(p.trim())).map_err(bad_input)?;
            if !python.iter().any(|o: &Interpreter| o.path == i.path) {
                python.push(i);
            }
        }
        Ok(RuntimeChoice { node, python })
    }

    /// The values to record in the results' settings (and read back on `--resume`).
    pub fn record(&self) -> serde_json::Value {
        let node: Vec<String> = self
            .node
            .iter()
            .map(|s| match s {
                NodeSpec::System => "system".to_string(),
                NodeSpec::Version(v) => v.clone(),
            })
            .collect();
        let python: Vec<String> = self
            .python
            .iter()
            .map(|i| i.path.display().to_string())
            .collect();
        serde_json::json!({ "node": node, "python": python })
    }

    /// Reads back [`RuntimeChoice::record`]; absent: the host's runtimes
    /// (results written before runtimes were chosen).
    pub fn from_record(v: Option<&serde_json::Value>) -> anyhow::Result<Self> {
        let Some(v) = v else {
            return Ok(RuntimeChoice {
                node: vec![NodeSpec::System],
                python: Vec::new(),
            });
        };
        let list = |k: &str| -> Vec<String> {
            v[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        Self::from_flags(&list("node"), &list("python"))
    }
}

/// True when the manifest lets ringside install its Node.js.
pub fn is_managed_node(stack: &Stack) -> bool {
    stack.runtime_name == "node" && stack.runtime.as_ref().is_some_and(|r| r.managed)
}

/// `stacks` (and their variants) bound to `choice`, runtimes homed under
/// `root`. Stacks that no choice applies to come back unchanged. Copies
/// each bound stack's files into its runtime's home (not its installs).
pub fn bind(stacks: &[Stack], choice: &RuntimeChoice, root: &Path) -> anyhow::Result<Vec<Stack>> {
    let mut out = Vec::new();
    for s in stacks {
        out.extend(bind_one(s, choice, root)?);
    }
    // Stacks on the host's python3: the lock of its minor version.
    super::pylock::resolve_all(&mut out);
    Ok(out)
}

fn bind_one(stack: &Stack, choice: &RuntimeChoice, root: &Path) -> anyhow::Result<Vec<Stack>> {
    let mut out = Vec::new();
    if is_managed_node(stack) {
        let several = choice.node.len() > 1;
        for spec in &choice.node {
            let bound = match spec {
                NodeSpec::System => {
                    let mut s = stack.clone();
                    if several {
                        let v = host_node_version(stack).unwrap_or_else(|| "system".into());
                        rename(&mut s, &format!("node {}", short(&v)));
                    }
                    s
                }
                NodeSpec::Version(v) => {
                    let home = node::home(root, v);
                    let binding = Binding {
                        kind: "node".into(),
                        version: v.clone(),
                        home: home.clone(),
                        managed: true,
                        free_threaded: false,
                    };
                    let label = several.then(|| format!("node {}", short(v)));
                    apply(stack, binding, node::env(&home), label.as_deref())?
                }
            };
            out.push(bound);
        }
        return Ok(out);
    }
    if stack.runtime_name == "cpython" && !choice.python.is_empty() {
        let several = choice.python.len() > 1;
        for interp in &choice.python {
            let home = python::home(root, interp);
            let bin = python::prepare_bin(&home, interp)
                .map_err(|e| anyhow::anyhow!("preparing {}: {e}", home.display()))?;
            let path = std::env::var("PATH").unwrap_or_default();
            let env = vec![("PATH".to_string(), format!("{}:{path}", bin.display()))];
            let binding = Binding {
                kind: "cpython".into(),
                version: interp.version.clone(),
                home,
                managed: false,
                free_threaded: interp.free_threaded,
            };
            let label = several.then(|| interp.label());
            let mut base = stack.clone();
            if interp.free_threaded
                && stack.variant.is_none()
                && let Some(v) = &stack.free_threaded_variant
                && let Some(threads) = stack
                    .variants
                    .iter()
                    .find(|x| x.variant.as_deref() == Some(v))
            {
                // One process, several threads: the deployment a free-threaded
                // Python is for, in place of the default deployment.
                base = Stack {
                    variants: stack
                        .variants
                        .iter()
                        .filter(|x| x.variant.as_deref() != Some(v))
                        .cloned()
                        .collect(),
                    default_run: stack.default_run,
                    worker_threads: true,
                    ..threads.clone()
                };
            }
            let mut bound = apply(&base, binding, env, label.as_deref())?;
            super::pylock::resolve(&mut bound, interp);
            out.push(bound);
        }
        return Ok(out);
    }
    out.push(stack.clone());
    Ok(out)
}

/// `26.12.1` -> `26.12`.
fn short(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn rename(s: &mut Stack, label: &str) {
    s.name = format!("{} ({label})", s.name);
    s.runtime_label = Some(label.to_string());
    for v in &mut s.variants {
        v.name = format!("{} ({label})", v.name);
        v.runtime_label = Some(label.to_string());
    }
}

/// The stack (and its variants) in a copy of its folder under the binding's home.
fn apply(
    stack: &Stack,
    binding: Binding,
    env: Vec<(String, String)>,
    label: Option<&str>,
) -> anyhow::Result<Stack> {
    let dir = binding.home.join("stacks").join(&stack.base);
    sync_copy(&stack.dir, &dir)
        .map_err(|e| anyhow::anyhow!("copying stack {} into {}: {e}", stack.name, dir.display()))?;
    let mut s = stack.clone();
    let fix = |x: &mut Stack| {
        x.dir = dir.clone();
        x.env.extend(env.iter().cloned());
        x.binding = Some(binding.clone());
    };
    fix(&mut s);
    for v in &mut s.variants {
        fix(v);
    }
    if let Some(label) = label {
        rename(&mut s, label);
    }
    Ok(s)
}

/// Folders and files never copied: installs, caches and stamps.
const SKIP: [&str; 7] = [
    "node_modules",
    ".venv",
    "target",
    "__pycache__",
    ".deno",
    ".ringside-installed",
    ".git",
];

/// Copies `from` into `to`, writing only files whose contents differ.
pub fn sync_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let name = e.file_name();
        if SKIP.iter().any(|s| name == *s) {
            continue;
        }
        let src = e.path();
        let dst = to.join(&name);
        let ty = e.file_type()?;
        if ty.is_dir() {
            sync_copy(&src, &dst)?;
        } else if ty.is_file() {
            let bytes = std::fs::read(&src)?;
            if std::fs::read(&dst).ok().as_deref() != Some(bytes.as_slice()) {
                std::fs::write(&dst, &bytes)?;
                std::fs::set_permissions(&dst, e.metadata()?.permissions())?;
            }
        }
    }
    Ok(())
}

/// The host's `node --version` as the stack's check sees it.
fn host_node_version(stack: &Stack) -> Option<String> {
    match super::runtime_status(stack) {
        super::RuntimeStatus::Present { version } => Some(version),
        super::RuntimeStatus::Missing { .. } => None,
    }
}

/// Installs the Node.js versions `stacks` are bound to (each once); errors
/// are bad input (exit 2): an unknown version, an unreachable registry.
/// `note` hears of each download.
pub fn ensure_runtimes(stacks: &[Stack], note: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    let mut done: Vec<PathBuf> = Vec::new();
    for b in stacks.iter().filter_map(|s| s.binding.as_ref()) {
        if b.kind != "node" || !b.managed || done.contains(&b.home) {
            continue;
        }
        if !node::is_installed(&b.home, &b.version) {
            note(&format!(
                "installing Node.js {} from npm into {}",
                b.version,
                b.home.display()
            ));
        }
        node::ensure_installed(&b.home, &b.version).map_err(bad_input)?;
        done.push(b.home.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_copy_skips_installs_and_rewrites_only_changes() {
        let d = tempfile::tempdir().unwrap();
        let from = d.path().join("a");
        std::fs::create_dir_all(from.join("views")).unwrap();
        std::fs::create_dir_all(from.join("node_modules/x")).unwrap();
        std::fs::write(from.join("server.js"), "1").unwrap();
        std::fs::write(from.join("views/f.ejs"), "v").unwrap();
        let to = d.path().join("b");
        sync_copy(&from, &to).unwrap();
        assert_eq!(
            std::fs::read_to_string(to.join("views/f.ejs")).unwrap(),
            "v"
        );
        assert!(!to.join("node_modules").exists());
        std::fs::write(from.join("server.js"), "2").unwrap();
        sync_copy(&from, &to).unwrap();
        assert_eq!(std::fs::read_to_string(to.join("server.js")).unwrap(), "2");
    }

    #[test]
    fn binding_ids_name_version_and_gil() {
        let b = Binding {
            kind: "cpython".into(),
            version: "3.14.2".into(),
            home: PathBuf::from("/x"),
            managed: false,
            free_threaded: true,
        };
        assert_eq!(b.id(), "cpython 3.14.2t");
        assert_eq!(short("24.22.3"), "24.22");
    }
}
