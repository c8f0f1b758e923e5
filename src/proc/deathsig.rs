//! Children die with ringside, even when ringside is killed with SIGKILL and
//! no cleanup of [`super::guard`] can run: every process ringside spawns asks
//! the kernel, between fork and exec, for SIGKILL when its parent dies
//! (`PR_SET_PDEATHSIG`), and carries the run id ([`super::lock::RUN_ENV`]) so
//! the next ringside's [`super::reaper`] finds what escaped (grandchildren,
//! a daemonised PostgreSQL).
//!
//! The kernel sends the signal when the *thread* that forked the child ends,
//! not the process. ringside forks only from threads that outlive their
//! children:
//! - stacks (`tokio::process`) are spawned from the future given to
//!   `Runtime::block_on` (the main thread) or from a task on a runtime worker
//!   thread; both live until the command returns, after every stack stopped.
//!   Never launch a stack from `spawn_blocking`: blocking-pool threads end
//!   after 10 s idle, and the stack would be killed with them.
//! - short commands (installs, runtime checks, `pg_ctl`) are spawned and
//!   waited for on one thread ([`super::run`]), so that thread cannot end
//!   before its child does.
//!
//! `tests/faults.rs` pins both: a stack launched after the blocking pool
//! went idle for over 10 s is alive, and a child forked from a blocking
//! thread that then ended is killed (so the signal really is armed).

use std::os::unix::process::CommandExt;

/// Arms SIGKILL-on-parent-death in a freshly forked child, and exits the
/// child when the parent (`parent`, ringside's pid) already died between
/// fork and `prctl`.
///
/// # Safety
/// Call only between fork and exec (in `pre_exec`): it makes only
/// async-signal-safe calls.
pub unsafe fn arm_in_child(parent: libc::pid_t) -> std::io::Result<()> {
    // SAFETY: prctl and getppid are async-signal-safe system calls.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::getppid() != parent {
            return Err(std::io::Error::other(
                "ringside exited before its child started",
            ));
        }
    }
    Ok(())
}

/// Prepares a std command: the run id in its environment and
/// SIGKILL-on-parent-death armed before exec. Wait for the child on the
/// thread that spawns it (see the module doc).
pub fn arm(cmd: &mut std::process::Command) -> &mut std::process::Command {
    let (key, value) = super::lock::child_env();
    cmd.env(key, value);
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the hook only calls arm_in_child, which is async-signal-safe.
    unsafe { cmd.pre_exec(move || arm_in_child(parent)) }
}
