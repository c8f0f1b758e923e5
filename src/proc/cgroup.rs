//! A cgroup-v1 `cpuacct` group per launched stack: the server joins it before
//! `exec` (children inherit it), so `cpuacct.usage` counts the CPU of the
//! whole tree, exited processes included, and `cgroup.procs` lists every
//! process even one that left the process group. Set `RINGSIDE_NO_CGROUP=1`
//! to fall back to `/proc` accounting.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Mount points where a cgroup-v1 hierarchy with `cpuacct` may live.
const MOUNTS: [&str; 3] = [
    "/sys/fs/cgroup/cpuacct",
    "/sys/fs/cgroup/cpu,cpuacct",
    "/sys/fs/cgroup/cpuacct,cpu",
];

/// One cpuacct cgroup, removed (when empty) on drop.
#[derive(Debug)]
pub struct Cgroup {
    path: PathBuf,
    procs: CString,
    removed: AtomicBool,
}

impl Cgroup {
    /// Creates `NAME` under ringside's own cpuacct cgroup; `None` when cgroups
    /// v1 cpuacct is absent, not writable, or disabled by `RINGSIDE_NO_CGROUP`.
    pub fn create(name: &str) -> Option<Cgroup> {
        if std::env::var_os("RINGSIDE_NO_CGROUP").is_some_and(|v| !v.is_empty() && v != "0") {
            return None;
        }
        let mount = MOUNTS
            .iter()
            .map(Path::new)
            .find(|m| m.join("cpuacct.usage").is_file())?;
        let own = own_cgroup_path().unwrap_or_default();
        let base = mount.join(own.trim_start_matches('/'));
        let base = if base.join("cpuacct.usage").is_file() {
            base
        } else {
            mount.to_path_buf()
        };
        remove_stale(&base);
        let path = base.join(name);
        std::fs::create_dir(&path).ok()?;
        let procs = CString::new(path.join("cgroup.procs").as_os_str().as_bytes()).ok()?;
        Some(Cgroup {
            path,
            procs,
            removed: AtomicBool::new(false),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `cgroup.procs` as a C string, for [`join_in_child`].
    pub fn procs_cstring(&self) -> CString {
        self.procs.clone()
    }

    /// Moves a process (and its future children) into the group.
    pub fn add(&self, pid: i32) -> std::io::Result<()> {
        std::fs::write(self.path.join("cgroup.procs"), pid.to_string())
    }

    /// Processes (thread-group ids) in the group.
    pub fn pids(&self) -> Vec<i32> {
        std::fs::read_to_string(self.path.join("cgroup.procs"))
            .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// Cumulative CPU of every process that ever ran in the group, nanoseconds.
    pub fn usage_ns(&self) -> Option<u64> {
        std::fs::read_to_string(self.path.join("cpuacct.usage"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// SIGKILL to every process in the group.
    pub fn kill_all(&self) {
        for pid in self.pids() {
            if pid > 1 {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }

    /// Removes the group once its processes are gone (retries for up to ~1 s).
    /// Returns false when it could not.
    pub fn remove(&self) -> bool {
        if self.removed.load(Ordering::SeqCst) {
            return true;
        }
        for _ in 0..100 {
            match std::fs::remove_dir(&self.path) {
                Ok(()) => {
                    self.removed.store(true, Ordering::SeqCst);
                    return true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    self.removed.store(true, Ordering::SeqCst);
                    return true;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        false
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        if !self.removed.load(Ordering::SeqCst) {
            self.kill_all();
            self.remove();
        }
    }
}

/// Joins the cgroup whose `cgroup.procs` is `procs` from a freshly forked
/// child (in `pre_exec`): only async-signal-safe calls.
///
/// # Safety
/// Call only between fork and exec.
pub unsafe fn join_in_child(procs: &CString) -> bool {
    // SAFETY: open/write/close are async-signal-safe; `procs` outlives the calls.
    unsafe {
        let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return false;
        }
        let ok = libc::write(fd, b"0".as_ptr().cast(), 1) == 1;
        libc::close(fd);
        ok
    }
}

/// Removes empty `ringside-PID-N` groups left by a ringside that was killed
/// outright (PID no longer alive).
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("ringside-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            // Fails harmlessly while the group still has processes.
            let _ = std::fs::remove_dir(e.path());
        }
    }
}

/// ringside's own cpuacct cgroup path, from `/proc/self/cgroup`.
fn own_cgroup_path() -> Option<String> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let _id = parts.next()?;
        let controllers = parts.next()?;
        let path = parts.next()?;
        controllers
            .split(',')
            .any(|c| c == "cpuacct")
            .then(|| path.to_string())
    })
}
