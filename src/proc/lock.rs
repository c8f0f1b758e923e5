//! The run lock: while a ringside that launches processes (`run`, `verify`,
//! `setup`) is alive, a file `<pid>.json` in the registry folder names it
//! (pid and start time, so a reused pid is not mistaken for it), its run id,
//! the results folder it writes and the PostgreSQL data folders it started.
//! Every child carries the run id in its environment ([`RUN_ENV`]), so what
//! a ringside killed outright left behind can be found and stopped by the
//! next one ([`super::reaper`]), and a second ringside refuses a results
//! folder a live one is writing ([`owner_of`]).
//!
//! The registry is `$RINGSIDE_RUN_DIR`, else `<temp dir>/ringside-runs-<uid>`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::guard::{self, Guard};
use super::tree;

/// Environment variable every child of ringside carries: the run id of the
/// ringside that started it (`PID-STARTTIME`).
pub const RUN_ENV: &str = "RINGSIDE_RUN";

/// One live (or, once its owner is gone, stale) ringside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLock {
    pub pid: i32,
    /// Start time of the process, clock ticks after boot (`/proc/PID/stat`).
    pub started: u64,
    /// `PID-STARTTIME`, the value of [`RUN_ENV`] in its children.
    pub run_id: String,
    /// The subcommand (`run`, `verify`, `setup`).
    pub command: String,
    /// The results folder it writes.
    #[serde(default)]
    pub out_dir: Option<PathBuf>,
    /// Data folders of the PostgreSQL instances it started and has not stopped.
    #[serde(default)]
    pub postgres: Vec<PathBuf>,
}

impl RunLock {
    /// True while the process that wrote the lock runs (same pid, same start time).
    pub fn owner_alive(&self) -> bool {
        tree::start_time(self.pid) == Some(self.started)
    }
}

/// This process's lock while held.
static CURRENT: Mutex<Option<RunLock>> = Mutex::new(None);

/// The registry folder.
pub fn registry_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RINGSIDE_RUN_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    std::env::temp_dir().join(format!("ringside-runs-{}", nix::unistd::geteuid()))
}

/// This process's run id, `PID-STARTTIME`.
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let pid = std::process::id() as i32;
        format!("{pid}-{}", tree::start_time(pid).unwrap_or(0))
    })
}

/// `(RUN_ENV, run id)`, for a child's environment.
pub fn child_env() -> (&'static str, &'static str) {
    (RUN_ENV, run_id())
}

fn file_of(pid: i32) -> PathBuf {
    registry_dir().join(format!("{pid}.json"))
}

fn write(lock: &RunLock) -> anyhow::Result<()> {
    use std::io::Write as _;
    let dir = registry_dir();
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the run registry {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .with_context(|| format!("writing in the run registry {}", dir.display()))?;
    tmp.write_all(&serde_json::to_vec_pretty(lock)?)?;
    tmp.persist(file_of(lock.pid))
        .with_context(|| format!("writing the run lock in {}", dir.display()))?;
    Ok(())
}

/// Takes this process's lock for `command`; the guard removes it (on
/// return, and on a signal after every other cleanup has run).
pub fn acquire(command: &str) -> anyhow::Result<Guard> {
    let pid = std::process::id() as i32;
    let lock = RunLock {
        pid,
        started: tree::start_time(pid).unwrap_or(0),
        run_id: run_id().to_string(),
        command: command.to_string(),
        out_dir: None,
        postgres: Vec::new(),
    };
    write(&lock)?;
    *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(lock);
    Ok(guard::register("run lock", move || {
        CURRENT.lock().unwrap_or_else(|e| e.into_inner()).take();
        let _ = std::fs::remove_file(file_of(pid));
    }))
}

/// Changes this process's lock (when held) and rewrites its file.
fn update(change: impl FnOnce(&mut RunLock)) {
    let mut current = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(lock) = current.as_mut() {
        change(lock);
        if let Err(e) = write(lock) {
            eprintln!("warning: {e:#}");
        }
    }
}

/// Records the results folder this run writes.
pub fn set_out_dir(dir: &Path) {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    update(|l| l.out_dir = Some(dir));
}

/// Records a PostgreSQL data folder before its server starts.
pub fn add_postgres(data_dir: &Path) {
    update(|l| {
        if !l.postgres.iter().any(|d| d == data_dir) {
            l.postgres.push(data_dir.to_path_buf());
        }
    });
}

/// Forgets a PostgreSQL data folder whose server was stopped.
pub fn remove_postgres(data_dir: &Path) {
    update(|l| l.postgres.retain(|d| d != data_dir));
}

/// Every lock in the registry, with its file.
pub fn all() -> Vec<(PathBuf, RunLock)> {
    let Ok(dir) = std::fs::read_dir(registry_dir()) else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let path = e.ok()?.path();
        if path.extension().is_none_or(|x| x != "json") {
            return None;
        }
        let lock = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
        Some((path, lock))
    })
    .collect()
}

/// The live ringside (other than this one) writing results folder `dir`.
pub fn owner_of(dir: &Path) -> Option<RunLock> {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let me = std::process::id() as i32;
    all()
        .into_iter()
        .map(|(_, l)| l)
        .find(|l| l.pid != me && l.out_dir.as_deref() == Some(dir.as_path()) && l.owner_alive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_of_a_dead_or_reused_pid_is_not_alive() {
        let me = std::process::id() as i32;
        let mine = RunLock {
            pid: me,
            started: tree::start_time(me).unwrap(),
            run_id: run_id().into(),
            command: "test".into(),
            out_dir: None,
            postgres: Vec::new(),
        };
        assert!(mine.owner_alive());
        let reused = RunLock {
            started: mine.started + 1,
            ..mine.clone()
        };
        assert!(!reused.owner_alive());
        assert!(run_id().starts_with(&format!("{me}-")));
    }
}
