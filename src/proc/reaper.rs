//! Stops what a ringside killed outright (SIGKILL, a crash, a lost terminal)
//! left running, before a new one measures or touches a results folder: for
//! every run lock ([`super::lock`]) whose owner is gone, the PostgreSQL
//! instances it started (through their `postmaster.pid`, since the
//! postmaster is not ringside's child) and every process carrying its run id
//! in its environment (stack servers, their workers, escaped grandchildren).

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::lock::{self, RUN_ENV, RunLock};
use super::tree;

/// How long a PostgreSQL instance gets to shut down (SIGQUIT) before SIGKILL.
const PG_GRACE: Duration = Duration::from_secs(5);

/// What was stopped for one stale run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reaped {
    /// Pid of the ringside that is gone.
    pub owner: i32,
    /// Postmaster pids stopped.
    pub postmasters: Vec<i32>,
    /// Other pids killed.
    pub killed: Vec<i32>,
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
/// was stopped, one entry per stale run.
pub fn reap_stale() -> Vec<Reaped> {
    let mut out = Vec::new();
    for (file, run) in lock::all() {
        if run.owner_alive() {
            continue;
        }
        out.push(reap(&run));
        let _ = std::fs::remove_file(file);
    }
    out
}

/// Reaps stale runs and prints a line for each that had left something.
pub fn reap_stale_and_say() {
    for r in reap_stale() {
        if let Some(line) = r.describe() {
            eprintln!("{line}");
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
        if let Some(pid) = stop_postmaster(data) {
            reaped.postmasters.push(pid);
        }
    }
    let marker = format!("{RUN_ENV}={}", run.run_id);
    let me = std::process::id() as i32;
    let pids: Vec<i32> = tree::scan()
        .iter()
        .filter(|p| !p.zombie && p.pid != me && p.pid > 1)
        .map(|p| p.pid)
        .filter(|&pid| has_env(pid, &marker))
        .collect();
    for &pid in &pids {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
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

/// The live postmaster of data folder `data_dir`, from its `postmaster.pid`
/// (checked to be a postgres process whose working folder is `data_dir`, so
/// a reused pid is left alone).
pub fn live_postmaster(data_dir: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    if pid <= 1 || !alive(pid) {
        return None;
    }
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
    let same = match (std::fs::canonicalize(data_dir), std::fs::canonicalize(&cwd)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let postgres = String::from_utf8_lossy(&cmd).contains("postgres");
    (same && postgres).then_some(pid)
}

/// Stops the PostgreSQL server of `data_dir` if one runs: SIGQUIT (immediate
/// shutdown: the postmaster stops its backends), SIGKILL to it and its
/// children after [`PG_GRACE`]. Returns the postmaster's pid when one ran.
pub fn stop_postmaster(data_dir: &Path) -> Option<i32> {
    let pid = live_postmaster(data_dir)?;
    let children: Vec<i32> = tree::scan()
        .iter()
        .filter(|p| p.ppid == pid)
        .map(|p| p.pid)
        .collect();
    let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
    if !wait_gone(&[pid], PG_GRACE) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    for &c in &children {
        let _ = kill(Pid::from_raw(c), Signal::SIGKILL);
    }
    let mut all = children;
    all.push(pid);
    wait_gone(&all, Duration::from_secs(2));
    Some(pid)
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
