//! The run lock: while a ringside that launches processes (`run`, `verify`,
//! `setup`) is alive, a file `<pid>.json` in the registry folder names it
//! (pid and start time, so a reused pid is not mistaken for it), its run id,
//! the results folder it writes and the PostgreSQL data folders it started.
//! Every child carries the run id in its environment ([`RUN_ENV`]), so what
//! a ringside killed outright left behind can be found and stopped by the
//! next one ([`super::reaper`]), and a second ringside refuses a results
//! folder a live one is writing ([`owner_of`]).
//!
//! The registry is `$RINGSIDE_RUN_DIR`, else `$XDG_RUNTIME_DIR/ringside-runs`
//! when the user has a private runtime folder, else
//! `<temp dir>/ringside-runs-<uid>`. Since a lock decides what the reaper
//! stops, no one else may write it: the folder is created 0700, and one
//! owned by another user, writable by group or others, or a symbolic link is
//! refused with a sentence saying why ([`registry`]); a lock file owned by
//! another user is ignored and named ([`scan`]).

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

/// The registry folder, chosen as the module says (not checked: see [`registry`]).
pub fn registry_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RINGSIDE_RUN_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .filter(|d| d.is_absolute() && private_to_me(d).is_ok())
    {
        return runtime.join("ringside-runs");
    }
    std::env::temp_dir().join(format!("ringside-runs-{}", nix::unistd::geteuid()))
}

/// Ok when `dir` is a real folder (not a link) owned by this user and not
/// writable by group or others; else why not, in words.
fn private_to_me(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("cannot be read ({e})"))?;
    let me = nix::unistd::geteuid().as_raw();
    if meta.file_type().is_symlink() {
        return Err("is a symbolic link (it could point anywhere)".into());
    }
    if !meta.is_dir() {
        return Err("is not a folder".into());
    }
    if meta.uid() != me {
        return Err(format!(
            "belongs to uid {}, not to you (uid {me})",
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "is writable by group or others (mode {:o})",
            meta.mode() & 0o7777
        ));
    }
    Ok(())
}

/// The registry folder, created 0700 when missing and checked private to
/// this user. An error says why it is not used and what to do.
pub fn registry() -> anyhow::Result<PathBuf> {
    let dir = registry_dir();
    check_registry(&dir)?;
    Ok(dir)
}

/// Creates `dir` (0700) if missing, then refuses it unless it is private.
pub fn check_registry(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(e).with_context(|| format!("creating the run registry {}", dir.display()));
        }
    }
    private_to_me(dir).map_err(|why| {
        anyhow::anyhow!(
            "the run registry {} {why}: whoever can write there could make ringside stop \
             processes, so it is not used; remove it (`rm -r {}`) or set RINGSIDE_RUN_DIR \
             to a folder of your own",
            dir.display(),
            dir.display()
        )
    })
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
    let dir = registry()?;
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

/// What a registry folder holds.
#[derive(Debug, Default)]
pub struct Scan {
    /// Locks this user wrote, with their files.
    pub locks: Vec<(PathBuf, RunLock)>,
    /// `file: why` of each file not trusted (another user's, not a regular file).
    pub ignored: Vec<String>,
}

/// Largest lock file read (a lock is a few hundred bytes).
const MAX_LOCK_BYTES: u64 = 64 * 1024;

/// Every lock of registry folder `dir` this user owns; the rest named in `ignored`.
pub fn scan(dir: &Path) -> Scan {
    let mut out = Scan::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        match read_own_lock(&path) {
            Ok(Some(lock)) => out.locks.push((path, lock)),
            Ok(None) => {}
            Err(why) => out.ignored.push(format!("{}: {why}", path.display())),
        }
    }
    out
}

/// The lock in `path` when this user owns the file (opened without
/// following a link, checked on the open file); `None` when it is not a lock.
fn read_own_lock(path: &Path) -> Result<Option<RunLock>, String> {
    use std::io::Read as _;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("not opened ({e})"))?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    let me = nix::unistd::geteuid().as_raw();
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.uid() != me {
        return Err(format!(
            "owned by uid {}, not by you (uid {me}), so ringside does not act on it",
            meta.uid()
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_LOCK_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(serde_json::from_slice(&bytes).ok())
}

/// Every lock in the registry this user owns, with its file (none when the
/// registry is refused).
pub fn all() -> Vec<(PathBuf, RunLock)> {
    match registry() {
        Ok(dir) => scan(&dir).locks,
        Err(_) => Vec::new(),
    }
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
