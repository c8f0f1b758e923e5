//! Stops what a ringside killed outright (SIGKILL, a crash, a lost terminal)
//! left running, before a new one measures or touches a results folder: for
//! every run lock ([`super::lock`]) whose owner is gone, the PostgreSQL
//! instances it started (through their `postmaster.pid`, since the
//! postmaster is not ringside's child) and every process carrying its run id
//! in its environment (stack servers, their workers, escaped grandchildren).
//!
//! Never on a file's word alone: a lock is acted on only when this user owns
//! it (in a registry only this user can write, [`super::lock::registry`]); a
//! process is killed only when it is this user's, started after the dead
//! ringside did, and carries that ringside's run id in `/proc/PID/environ`;
//! a postmaster is stopped only when its instance folder holds the mark
//! ringside wrote there ([`mark_instance`]: a file of this user naming the
//! run) and the postmaster's own environment carries the same run id. The
//! signal goes through a pidfd opened before the checks, so a pid reused
//! between the checks and the signal is not hit. What is left alone is said.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::lock::{self, RUN_ENV, RunLock};
use super::tree;

/// How long a PostgreSQL instance gets to shut down (SIGQUIT) before SIGKILL.
const PG_GRACE: Duration = Duration::from_secs(5);

/// Name of the mark in a PostgreSQL instance folder (the data folder's parent).
pub const INSTANCE_MARK: &str = "ringside-instance";

/// What was stopped for one stale run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reaped {
    /// Pid of the ringside that is gone.
    pub owner: i32,
    /// Postmaster pids stopped.
    pub postmasters: Vec<i32>,
    /// Other pids killed.
    pub killed: Vec<i32>,
    /// What the lock named but was left alone, and why.
    pub ignored: Vec<String>,
}

impl Reaped {
    /// One line for the user, or `None` when nothing was left.
    pub fn describe(&self) -> Option<String> {
        if self.postmasters.is_empty() && self.killed.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        if !self.postmasters.is_empty() {
            parts.push(format!("PostgreSQL (postmaster {:?})", self.postmasters));
        }
        if !self.killed.is_empty() {
            parts.push(format!(
                "{} process(es) {:?}",
                self.killed.len(),
                self.killed
            ));
        }
        Some(format!(
            "stopped what an earlier ringside (pid {}, no longer running) left behind: {}",
            self.owner,
            parts.join(" and ")
        ))
    }
}

/// Reaps every stale run in the registry and removes its lock. Returns what
/// was stopped, one entry per stale run, and what was ignored (lock files
/// not this user's; the registry itself when it is refused).
pub fn reap_stale() -> (Vec<Reaped>, Vec<String>) {
    match lock::registry() {
        Ok(dir) => reap_stale_in(&dir),
        // `lock::acquire` says why right after; nothing here is acted on.
        Err(_) => (Vec::new(), Vec::new()),
    }
}

/// [`reap_stale`] on registry folder `dir`.
pub fn reap_stale_in(dir: &Path) -> (Vec<Reaped>, Vec<String>) {
    let scan = lock::scan(dir);
    let mut out = Vec::new();
    for (file, run) in scan.locks {
        if run.owner_alive() {
            continue;
        }
        out.push(reap(&run));
        let _ = std::fs::remove_file(file);
    }
    let ignored = scan
        .ignored
        .into_iter()
        .map(|why| format!("ignored run lock {why}"))
        .collect();
    (out, ignored)
}

/// Reaps stale runs and prints a line for each that had left something,
/// and one for everything left alone.
pub fn reap_stale_and_say() {
    let (reaped, ignored) = reap_stale();
    for line in ignored {
        eprintln!("warning: {line}");
    }
    for r in reaped {
        if let Some(line) = r.describe() {
            eprintln!("{line}");
        }
        for line in &r.ignored {
            eprintln!("warning: {line}");
        }
    }
}

/// Stops what `run` left: its PostgreSQL instances, then every process with its run id.
pub fn reap(run: &RunLock) -> Reaped {
    let mut reaped = Reaped {
        owner: run.pid,
        ..Reaped::default()
    };
    for data in &run.postgres {
        match stop_postmaster_of(data, Some(&run.run_id)) {
            Ok(Some(pid)) => reaped.postmasters.push(pid),
            Ok(None) => {}
            Err(why) => reaped.ignored.push(format!(
                "left PostgreSQL of {} running: {why}",
                data.display()
            )),
        }
    }
    let marker = format!("{RUN_ENV}={}", run.run_id);
    let me = std::process::id() as i32;
    let my_uid = nix::unistd::geteuid().as_raw();
    let candidates: Vec<i32> = tree::scan()
        .iter()
        .filter(|p| !p.zombie && p.pid != me && p.pid > 1)
        .map(|p| p.pid)
        .filter(|&pid| has_env(pid, &marker))
        .collect();
    let mut pids = Vec::new();
    for pid in candidates {
        let matches = |pid: i32| -> Result<(), String> {
            match uid_of(pid) {
                Some(uid) if uid == my_uid => {}
                Some(uid) => return Err(format!("it belongs to uid {uid}, not to you")),
                None => return Err("it is gone".into()),
            }
            match tree::start_time(pid) {
                Some(t) if t >= run.started => {}
                _ => return Err("it started before that ringside did".into()),
            }
            if !has_env(pid, &marker) {
                return Err("its environment does not carry that run's id".into());
            }
            Ok(())
        };
        match signal_checked(pid, Signal::SIGKILL, matches) {
            Ok(()) => pids.push(pid),
            Err(why) => reaped.ignored.push(format!(
                "left process {pid} running though it carries {marker}: {why}"
            )),
        }
    }
    wait_gone(&pids, Duration::from_secs(2));
    reaped.killed = pids;
    reaped
}

/// True when `/proc/PID/environ` holds the entry `marker` (`KEY=value`).
fn has_env(pid: i32, marker: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()))
}

/// Owner (real uid) of process `pid`.
fn uid_of(pid: i32) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{pid}"))
        .ok()
        .map(|m| m.uid())
}

/// Sends `sig` to `pid` only if `check(pid)` passes, through a pidfd opened
/// before the check (a pid freed and reused meanwhile gets no signal). Falls
/// back to kill(2) where pidfds are missing (Linux before 5.3).
fn signal_checked(
    pid: i32,
    sig: Signal,
    check: impl Fn(i32) -> Result<(), String>,
) -> Result<(), String> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::ENOSYS) {
            return Err(format!("it is gone ({err})"));
        }
        check(pid)?;
        return kill(Pid::from_raw(pid), sig).map_err(|e| e.to_string());
    }
    // SAFETY: `fd` was just returned by pidfd_open and is owned here only.
    let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd as i32) };
    check(pid)?;
    // SAFETY: pidfd_send_signal with a valid pidfd, a signal, no siginfo, no flags.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            sig as libc::c_int,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    Ok(())
}

/// Writes the mark of a PostgreSQL instance folder `root` (the data
/// folder's parent): a file of this user holding this process's run id.
pub fn mark_instance(root: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    let path = root.join(INSTANCE_MARK);
    let _ = std::fs::remove_file(&path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .with_context(|| format!("marking {} as ringside's", root.display()))?;
    f.write_all(lock::run_id().as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The run id in the mark of the instance holding `data_dir`, when the mark
/// is a regular file of this user; else why it does not vouch for it.
fn instance_mark(data_dir: &Path) -> Result<String, String> {
    use std::io::Read as _;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let path = data_dir
        .parent()
        .ok_or("the data folder has no parent")?
        .join(INSTANCE_MARK);
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&path)
        .map_err(|_| format!("no ringside mark ({}) beside it", path.display()))?;
    let meta = f.metadata().map_err(|e| e.to_string())?;
    let me = nix::unistd::geteuid().as_raw();
    if !meta.is_file() || meta.uid() != me {
        return Err(format!(
            "its mark {} is not a file of yours (uid {})",
            path.display(),
            meta.uid()
        ));
    }
    let mut text = String::new();
    f.take(256)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    Ok(text.trim().to_string())
}

/// The live postmaster of data folder `data_dir`, from its `postmaster.pid`
/// (checked to be a postgres process whose working folder is `data_dir`, so
/// a reused pid is left alone).
pub fn live_postmaster(data_dir: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    is_postmaster_of(pid, data_dir).then_some(pid)
}

fn is_postmaster_of(pid: i32, data_dir: &Path) -> bool {
    if pid <= 1 || !alive(pid) {
        return false;
    }
    let Ok(cwd) = std::fs::read_link(format!("/proc/{pid}/cwd")) else {
        return false;
    };
    let same = match (std::fs::canonicalize(data_dir), std::fs::canonicalize(&cwd)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    same && String::from_utf8_lossy(&cmd).contains("postgres")
}

/// Stops the PostgreSQL server of `data_dir` if one runs and ringside
/// started it ([`stop_postmaster_of`] with no run id expected). `None` when
/// none ran; an error says why a running one was left alone.
pub fn stop_postmaster(data_dir: &Path) -> Result<Option<i32>, String> {
    stop_postmaster_of(data_dir, None)
}

/// Stops the PostgreSQL server of `data_dir` when one runs, its instance
/// carries this user's mark naming a run (`run_id` when given), and the
/// postmaster's environment carries that run id: SIGQUIT (immediate
/// shutdown: the postmaster stops its backends), SIGKILL to it and its
/// children after [`PG_GRACE`]. Returns the postmaster's pid when one ran.
pub fn stop_postmaster_of(data_dir: &Path, run_id: Option<&str>) -> Result<Option<i32>, String> {
    let Some(pid) = live_postmaster(data_dir) else {
        return Ok(None);
    };
    let marked = instance_mark(data_dir)?;
    if let Some(expected) = run_id
        && marked != expected
    {
        return Err(format!(
            "its mark names run {marked}, not the run {expected} whose lock named it"
        ));
    }
    let env = format!("{RUN_ENV}={marked}");
    let check = |pid: i32| -> Result<(), String> {
        if !is_postmaster_of(pid, data_dir) {
            return Err("its postmaster is gone".into());
        }
        if !has_env(pid, &env) {
            return Err(format!(
                "its postmaster (pid {pid}) does not carry {env} in its environment"
            ));
        }
        Ok(())
    };
    let children: Vec<i32> = tree::scan()
        .iter()
        .filter(|p| p.ppid == pid)
        .map(|p| p.pid)
        .collect();
    signal_checked(pid, Signal::SIGQUIT, check)?;
    if !wait_gone(&[pid], PG_GRACE) {
        let _ = signal_checked(pid, Signal::SIGKILL, check);
    }
    for &c in &children {
        // Backends are forked by the postmaster: its children, with its environment.
        let _ = signal_checked(c, Signal::SIGKILL, |c| {
            if has_env(c, &env) {
                Ok(())
            } else {
                Err("not the postmaster's".into())
            }
        });
    }
    let mut all = children;
    all.push(pid);
    wait_gone(&all, Duration::from_secs(2));
    Ok(Some(pid))
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| tree::parse_stat(&s))
        .is_some_and(|p| !p.zombie)
}

/// Waits until none of `pids` is alive; false when some still are at `limit`.
fn wait_gone(pids: &[i32], limit: Duration) -> bool {
    let until = Instant::now() + limit;
    loop {
        if !pids.iter().any(|&p| alive(p)) {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaps_the_processes_of_a_dead_run_and_only_those() {
        let id = format!("test-{}-{}", std::process::id(), line!());
        let spawn = |run: &str| {
            std::process::Command::new("sleep")
                .arg("30")
                .env(RUN_ENV, run)
                .spawn()
                .unwrap()
        };
        let mut theirs = spawn(&id);
        let mut other = spawn("someone-else");
        // Wait for exec, so /proc shows the child's own environment.
        let t0 = Instant::now();
        while !has_env(theirs.id() as i32, &format!("{RUN_ENV}={id}"))
            && t0.elapsed() < Duration::from_secs(2)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let run = RunLock {
            pid: i32::MAX - 7,
            started: 1,
            run_id: id,
            command: "run".into(),
            out_dir: None,
            postgres: vec![std::env::temp_dir().join("no-such-pg-data")],
        };
        assert!(!run.owner_alive());
        let reaped = reap(&run);
        assert_eq!(reaped.killed, vec![theirs.id() as i32]);
        assert!(reaped.postmasters.is_empty());
        assert!(reaped.describe().unwrap().contains("1 process(es)"));
        assert!(
            theirs.wait().unwrap().code().is_none(),
            "killed by a signal"
        );
        assert!(
            other.try_wait().unwrap().is_none(),
            "another run's child lives"
        );
        let _ = other.kill();
        let _ = other.wait();
    }
}
