//! `setup`: run a stack's install commands unless the stamp
//! (`.ringside-installed`, the SHA-256 of the lockfiles and the commands)
//! matches. The stamp is written only after every command succeeded.

use std::time::Instant;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use super::launch::quote;
use super::{SetupOpts, SetupOutcome, Stack};
use crate::proc::run::{CommandSpec, RealSpawner, Spawner};

/// Name of the stamp file in the stack folder.
pub const STAMP: &str = ".ringside-installed";

/// Installs a stack's dependencies unless the lockfile-hash stamp matches.
pub fn setup(stack: &Stack, opts: &SetupOpts) -> anyhow::Result<SetupOutcome> {
    setup_with(stack, opts, &RealSpawner)
}

/// [`setup`] with the commands run by `spawner` (tests script it).
pub fn setup_with(
    stack: &Stack,
    opts: &SetupOpts,
    spawner: &dyn Spawner,
) -> anyhow::Result<SetupOutcome> {
    let hash = install_hash(stack);
    let stamp = stack.dir.join(STAMP);
    if !opts.force && stamp_matches(stack, &hash) {
        match super::health::damage(stack) {
            None => return Ok(SetupOutcome::UpToDate),
            // The stamp is right but something was removed since: reinstall.
            Some(why) if !opts.quiet => {
                eprintln!("[{}] install damaged ({why}): installing again", stack.name)
            }
            Some(_) => {}
        }
    }
    if stack.install.commands.is_empty() {
        return Ok(SetupOutcome::UpToDate);
    }
    if let Some(why) = super::pylock::missing_lock(stack) {
        bail!("installing stack {}: {why}", stack.name);
    }
    // A stale stamp must not survive a failed reinstall.
    let _ = std::fs::remove_file(&stamp);
    let started = Instant::now();
    if let Some(b) = stack
        .binding
        .as_ref()
        .filter(|b| b.kind == "node" && b.managed)
    {
        super::node::ensure_installed(&b.home, &b.version).map_err(crate::error::bad_input)?;
    }
    for argv in &stack.install.commands {
        let shown = argv.join(" ");
        if !opts.quiet {
            eprintln!("[{}] $ {shown}", stack.name);
        }
        let spec = CommandSpec {
            argv: argv.clone(),
            dir: stack.dir.clone(),
            env: stack.env.clone(),
            echo: !opts.quiet,
        };
        let outcome = spawner.run(&spec).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                format!("`{}` not found", argv[0])
            } else {
                e.to_string()
            };
            anyhow::anyhow!(
                "installing stack {}: `{shown}` could not start: {why}",
                stack.name
            )
        })?;
        if !outcome.success {
            bail!(
                "installing stack {}: `{shown}` failed ({}):{}",
                stack.name,
                outcome.status,
                quote(&outcome.tail)
            );
        }
    }
    if let Some(b) = stack
        .binding
        .as_ref()
        .filter(|b| b.kind == "node" && b.managed)
    {
        let shared = super::node::share_native_builds(&stack.dir, &b.home)
            .with_context(|| format!("sharing {}'s native modules", stack.name))?;
        if !shared.is_empty() && !opts.quiet {
            eprintln!(
                "[{}] shared with every stack on node {}: {}",
                stack.name,
                b.version,
                shared.join(", ")
            );
        }
    }
    std::fs::write(&stamp, format!("{hash}\n"))
        .with_context(|| format!("writing {}", stamp.display()))?;
    Ok(SetupOutcome::Installed {
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// True when the stack needs no install, or its stamp matches the
/// lockfiles and nothing of the install is missing ([`super::health`]).
pub fn is_installed(stack: &Stack) -> bool {
    install_state(stack) == InstallState::Installed
}

/// Where a stack's install stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallState {
    Installed,
    NotInstalled,
    /// The stamp matches but something is missing: why.
    Damaged(String),
}

/// [`InstallState`] of `stack`.
pub fn install_state(stack: &Stack) -> InstallState {
    if stack.install.commands.is_empty() {
        return InstallState::Installed;
    }
    if !stamp_matches(stack, &install_hash(stack)) {
        return InstallState::NotInstalled;
    }
    match super::health::damage(stack) {
        None => InstallState::Installed,
        Some(why) => InstallState::Damaged(why),
    }
}

fn stamp_matches(stack: &Stack, hash: &str) -> bool {
    std::fs::read_to_string(stack.dir.join(STAMP)).is_ok_and(|s| s.trim() == hash)
}

/// SHA-256 (hex) of each lockfile's name and contents and of the install commands.
pub fn install_hash(stack: &Stack) -> String {
    let mut h = Sha256::new();
    for lock in &stack.install.lockfiles {
        h.update(b"lockfile\0");
        h.update(lock.as_bytes());
        h.update(b"\0");
        match std::fs::read(stack.dir.join(lock)) {
            Ok(bytes) => {
                h.update((bytes.len() as u64).to_le_bytes());
                h.update(&bytes);
            }
            Err(_) => h.update(b"missing\0"),
        }
    }
    if let Some(i) = &stack.install.interpreter {
        h.update(b"interpreter\0");
        h.update(i.as_bytes());
        h.update(b"\0");
    }
    if let Some(b) = &stack.binding {
        h.update(b"runtime\0");
        h.update(b.id().as_bytes());
        h.update(b"\0");
    }
    for cmd in &stack.install.commands {
        h.update(b"command\0");
        for arg in cmd {
            h.update(arg.as_bytes());
            h.update(b"\0");
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A rough expected install time, from what the commands run (figures from
/// fresh installs on a 2-core machine, README): `npm ci` with a native
/// module about 75 s, `cargo build --release` about 2 min, a `pip install`
/// about 30 s, anything else about 10 s. Only for progress and estimates.
pub fn expected_install(stack: &Stack) -> std::time::Duration {
    let secs: u64 = stack
        .install
        .commands
        .iter()
        .map(|argv| {
            let program = argv
                .first()
                .map(|p| p.rsplit('/').next().unwrap_or(p))
                .unwrap_or("");
            match program {
                "npm" | "npx" | "yarn" | "pnpm" | "bun" => 75,
                "cargo" => 120,
                _ if argv.iter().any(|a| a.contains("pip")) => 30,
                _ if argv.iter().any(|a| a == "venv") => 5,
                _ => 10,
            }
        })
        .sum();
    std::time::Duration::from_secs(secs)
}

/// The stacks among `stacks` that are not installed yet, with their
/// [`expected_install`] times.
pub fn pending_installs(stacks: &[Stack]) -> Vec<(String, std::time::Duration)> {
    stacks
        .iter()
        .filter(|s| !is_installed(s))
        .map(|s| (s.name.clone(), expected_install(s)))
        .collect()
}
