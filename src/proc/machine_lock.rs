//! The machine lock: one measuring ringside at a time on a machine. Two runs
//! pinned to the same cores measure each other (each reads half its real
//! throughput and says nothing), so `run`, `load` and a `verify` that
//! launches stacks take an advisory `flock` on one file before they pin or
//! launch anything. The kernel drops the lock when the process dies, so a
//! `kill -9` never leaves it stale.
//!
//! The file is `$RINGSIDE_MACHINE_LOCK` when set (a test gives each process
//! its own), else `/run/ringside/machine.lock` when an administrator made it
//! (root's folder: nobody else can replace it), else `ringside-machine.lock`
//! in `/run/lock` or `/tmp` (world-writable, sticky). Choices against a
//! hostile local user:
//! - the file is opened read-only, never truncated or written, with
//!   `O_NOFOLLOW` (a symlink planted in its place is refused, never followed)
//!   and created `0444` with `O_EXCL`; it must be a regular file;
//! - who holds the lock is read from the kernel (`/proc/locks`, then
//!   `/proc/PID`), not from the file, so it cannot be forged;
//! - after locking, the path must still name the locked file (a file the
//!   owner unlinked and recreated is locked again), so runs meet on one inode;
//! - anyone who can open the file can hold the lock — the price of a lock
//!   every user sees. A holder cannot hide: the waiting line names its pid,
//!   user, command and start time, and `--shared-machine` measures anyway
//!   (its figures flagged).

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;

/// Environment variable naming the lock file (tests give each run its own).
pub const LOCK_ENV: &str = "RINGSIDE_MACHINE_LOCK";

/// How often a waiting run tries the lock again.
const POLL: Duration = Duration::from_millis(200);

/// The flags of the commands that take the machine lock.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct MachineFlags {
    /// Exit at once (code 2) when another ringside is measuring on this
    /// machine, instead of waiting for it.
    #[arg(long, conflicts_with = "shared_machine")]
    pub no_wait: bool,
    /// Measure even while another ringside measures on this machine (no
    /// machine lock); every figure of this run is flagged `shared_machine`.
    #[arg(long)]
    pub shared_machine: bool,
}

/// The lock while held; the kernel releases it when the file is closed
/// (on drop, or when the process dies).
#[derive(Debug)]
pub struct MachineLock {
    _file: File,
    pub path: PathBuf,
}

/// The process holding the lock, as the kernel tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: i32,
    /// User name (or uid) owning the process.
    pub user: String,
    /// Its command line (shortened).
    pub command: String,
    /// Its start time, local `HH:MM:SS` (with the date when not today).
    pub started: Option<String>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} (user {}", self.pid, self.user)?;
        if let Some(s) = &self.started {
            write!(f, ", started {s}")?;
        }
        write!(f, "): `{}`", self.command)
    }
}

/// The lock file of this machine (see the module docs).
pub fn lock_path() -> PathBuf {
    if let Some(p) = std::env::var_os(LOCK_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let admin = Path::new("/run/ringside/machine.lock");
    if admin.is_file() {
        return admin.to_path_buf();
    }
    let dir = if Path::new("/run/lock").is_dir() {
        Path::new("/run/lock")
    } else {
        Path::new("/tmp")
    };
    dir.join("ringside-machine.lock")
}

/// Opens (creating when absent) the lock file read-only, refusing symlinks
/// and anything but a regular file.
fn open(path: &Path) -> io::Result<File> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"))?;
    let base = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    loop {
        // SAFETY: `c` is a valid NUL-terminated path; the fd is owned below.
        let fd = unsafe { libc::open(c.as_ptr(), base) };
        let fd = if fd < 0 && io::Error::last_os_error().kind() == io::ErrorKind::NotFound {
            // SAFETY: as above; the mode is passed as the variadic argument.
            let fd = unsafe {
                libc::open(
                    c.as_ptr(),
                    base | libc::O_CREAT | libc::O_EXCL,
                    0o444 as libc::c_uint,
                )
            };
            if fd < 0 && io::Error::last_os_error().kind() == io::ErrorKind::AlreadyExists {
                continue; // made by another run meanwhile: open that one
            }
            fd
        } else {
            fd
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor owned by nobody else.
        let file = unsafe { File::from_raw_fd(fd) };
        if !file.metadata()?.file_type().is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        return Ok(file);
    }
}

fn try_flock(file: &File) -> io::Result<bool> {
    // SAFETY: flock on a descriptor we own.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.kind() == io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(e)
    }
}

/// True when `path` still names the file open as `file` (not unlinked and replaced).
fn still_named(path: &Path, file: &File) -> bool {
    match (std::fs::symlink_metadata(path), file.metadata()) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

/// One attempt: `Ok(Some(lock))` when taken, `Ok(None)` when another process holds it.
pub fn try_lock(path: &Path) -> io::Result<Option<MachineLock>> {
    loop {
        let file = open(path)?;
        if !try_flock(&file)? {
            return Ok(None);
        }
        if still_named(path, &file) {
            return Ok(Some(MachineLock {
                _file: file,
                path: path.to_path_buf(),
            }));
        }
        // Replaced while we locked it: lock the file the path names now.
    }
}

/// Who holds the lock on `path`, from `/proc/locks` (`None` when unknown:
/// another pid namespace, or released meanwhile).
pub fn holder(path: &Path) -> Option<Holder> {
    let meta = std::fs::metadata(path).ok()?;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let pid = holder_pid(&locks, meta.ino(), meta.dev())?;
    Some(describe(pid))
}

/// The pid of the FLOCK on inode `ino` in `/proc/locks` text (device
/// matched when it can be; an overlay filesystem reports another one).
pub fn holder_pid(locks: &str, ino: u64, dev: u64) -> Option<i32> {
    let (major, minor) = (libc::major(dev) as u64, libc::minor(dev) as u64);
    let mut by_inode = None;
    for line in locks.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // `1: FLOCK  ADVISORY  WRITE 1234 08:02:131090 0 EOF`; waiters have `->`.
        if fields.len() < 6 || fields[1] != "FLOCK" {
            continue;
        }
        let Ok(pid) = fields[4].parse::<i32>() else {
            continue;
        };
        let parts: Vec<&str> = fields[5].split(':').collect();
        let [ma, mi, inode] = parts.as_slice() else {
            continue;
        };
        if inode.parse::<u64>().ok() != Some(ino) {
            continue;
        }
        let same_dev = u64::from_str_radix(ma, 16).ok() == Some(major)
            && u64::from_str_radix(mi, 16).ok() == Some(minor);
        if same_dev {
            return Some(pid);
        }
        by_inode.get_or_insert(pid);
    }
    by_inode
}

/// What `/proc` says of `pid`.
fn describe(pid: i32) -> Holder {
    let command = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            let parts: Vec<String> = b
                .split(|c| *c == 0)
                .filter(|p| !p.is_empty())
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            parts.join(" ")
        })
        .unwrap_or_default();
    let command = if command.chars().count() > 120 {
        format!("{}…", command.chars().take(119).collect::<String>())
    } else if command.is_empty() {
        "?".to_string()
    } else {
        command
    };
    let uid = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|r| r.split_whitespace().next().map(String::from))
        })
        .and_then(|u| u.parse::<u32>().ok());
    let user = match uid {
        Some(u) => nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(u))
            .ok()
            .flatten()
            .map_or(u.to_string(), |usr| usr.name),
        None => "?".into(),
    };
    Holder {
        pid,
        user,
        command,
        started: started_at(pid),
    }
}

/// The local start time of `pid`, from its start tick and the boot time.
fn started_at(pid: i32) -> Option<String> {
    let ticks = super::tree::start_time(pid)?;
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let btime: i64 = stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let secs = btime + (ticks / super::tree::ticks_per_second().max(1)) as i64;
    let at = chrono::DateTime::from_timestamp(secs, 0)?.with_timezone(&chrono::Local);
    let today = chrono::Local::now().date_naive() == at.date_naive();
    Some(if today {
        at.format("%H:%M:%S").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S").to_string()
    })
}

/// Takes the machine lock for `command` as `flags` say: waits (saying for
/// whom), exits 2 with `--no-wait`, or skips it with `--shared-machine`
/// (`Ok(None)`). A lock file that cannot be opened at all is a warning, not
/// a stop: the run goes on unguarded, as before this lock existed.
pub fn take(flags: &MachineFlags, command: &str) -> anyhow::Result<Option<MachineLock>> {
    if flags.shared_machine {
        return Ok(None);
    }
    let path = lock_path();
    let first = match try_lock(&path) {
        Ok(Some(lock)) => return Ok(Some(lock)),
        Ok(None) => holder(&path),
        Err(e) => {
            eprintln!(
                "warning: no machine lock ({}: {e}); another ringside measuring now would go unnoticed",
                path.display()
            );
            return Ok(None);
        }
    };
    let who = first.map_or_else(
        || "a process this one cannot see".to_string(),
        |h| h.to_string(),
    );
    if flags.no_wait {
        return Err(crate::error::bad_input_msg(format!(
            "another ringside is measuring on this machine: {who}; its figures and this {command}'s would halve each other. \
             Run again when it ends, or pass --shared-machine to measure anyway (figures flagged)"
        )));
    }
    eprintln!(
        "waiting for the machine: another ringside is measuring on it, {who}. This {command} starts when it ends \
         (Ctrl-C to give up; --no-wait exits at once; --shared-machine measures anyway, figures flagged)"
    );
    let since = Instant::now();
    loop {
        std::thread::sleep(POLL);
        if super::guard::interrupted() {
            anyhow::bail!("interrupted while waiting for the machine lock");
        }
        match try_lock(&path) {
            Ok(Some(lock)) => {
                eprintln!(
                    "the machine is free: measuring (waited {})",
                    humantime::format_duration(Duration::from_secs(since.elapsed().as_secs()))
                );
                return Ok(Some(lock));
            }
            Ok(None) => {}
            Err(e) => anyhow::bail!("waiting for the machine lock {}: {e}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_open_cannot_take_a_held_lock_until_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.lock");
        let first = try_lock(&path).unwrap().expect("free");
        assert!(try_lock(&path).unwrap().is_none(), "held by `first`");
        let me = std::process::id() as i32;
        assert_eq!(holder(&path).map(|h| h.pid), Some(me));
        drop(first);
        assert!(try_lock(&path).unwrap().is_some());
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode & 0o222, 0, "created read-only: {mode:o}");
    }

    #[test]
    fn a_symlink_or_a_folder_in_its_place_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim");
        std::fs::write(&target, "precious").unwrap();
        let link = dir.path().join("m.lock");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(try_lock(&link).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        let sub = dir.path().join("d.lock");
        std::fs::create_dir(&sub).unwrap();
        assert!(try_lock(&sub).is_err());
    }

    #[test]
    fn the_holder_is_read_from_proc_locks() {
        let text = "1: POSIX  ADVISORY  WRITE 77 08:02:555 0 EOF\n\
                    2: FLOCK  ADVISORY  WRITE 4242 fd:01:555 0 EOF\n\
                    2: -> FLOCK  ADVISORY  WRITE 99 fd:01:555 0 EOF\n";
        let dev = libc::makedev(0xfd, 0x01);
        assert_eq!(holder_pid(text, 555, dev), Some(4242));
        // Another device (an overlay): matched by inode alone.
        assert_eq!(holder_pid(text, 555, libc::makedev(0, 99)), Some(4242));
        assert_eq!(holder_pid(text, 556, dev), None);
    }

    #[test]
    fn the_waiting_line_names_pid_user_start_and_command() {
        let h = describe(std::process::id() as i32);
        let line = h.to_string();
        assert!(line.starts_with(&format!("pid {} (user ", std::process::id())));
        assert!(line.contains("started "), "{line}");
        assert!(h.command != "?");
    }
}
