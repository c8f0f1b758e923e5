//! A process-wide registry of cleanups (process groups to kill, databases to
//! stop). A [`Guard`] runs its cleanup when dropped; SIGINT/SIGTERM/SIGHUP run
//! every registered cleanup and exit 128 + the signal (130, 143, 129; see
//! [`crate::exit`]), so no child outlives ringside. A command that can still
//! say something useful after an interrupt (`load` prints what it measured)
//! calls [`defer_exit`] and ends by itself; the message printed on a signal
//! claims only what the command set with [`set_interrupt_note`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

type Cleanup = Box<dyn FnOnce() + Send>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static REGISTRY: Mutex<BTreeMap<u64, (String, Cleanup)>> = Mutex::new(BTreeMap::new());
/// Set once a signal started the final cleanup: from then on a cleanup
/// registered (a process spawned by code still running on other threads)
/// runs at once instead of waiting for a sweep that already happened.
static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);
/// Held by the interrupt handler from setting [`SHUTTING_DOWN`] until the
/// process exits, so a main thread that finishes meanwhile waits for it.
static SWEEP: Mutex<()> = Mutex::new(());
/// The signal that started the shutdown (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// Set by [`defer_exit`]: the command ends by itself after an interrupt.
static DEFER: AtomicBool = AtomicBool::new(false);
/// What the interrupt message adds (where the results so far are).
static NOTE: Mutex<Option<String>> = Mutex::new(None);
/// How long a deferred command may take to finish after an interrupt.
const DEFER_LIMIT: Duration = Duration::from_secs(10);

/// Runs its cleanup once: when dropped, or by [`run_all`] on a signal.
#[must_use = "dropping the guard runs the cleanup at once"]
#[derive(Debug)]
pub struct Guard {
    id: u64,
}

impl Guard {
    /// Runs the cleanup now (same as dropping).
    pub fn release(self) {}

    /// Forgets the cleanup without running it (the resource was freed another way).
    pub fn disarm(self) {
        REGISTRY
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
        std::mem::forget(self);
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let entry = REGISTRY
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
        if let Some((_, cleanup)) = entry {
            cleanup();
        }
    }
}

/// Registers a cleanup, named for diagnostics; it runs when the guard drops
/// or when ringside is interrupted.
///
/// After an interrupt ([`shut_down`]) the cleanup runs before this returns:
/// whatever it guards must not outlive ringside, which is about to exit.
pub fn register(name: impl Into<String>, cleanup: impl FnOnce() + Send + 'static) -> Guard {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    REGISTRY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, (name.into(), Box::new(cleanup)));
    // The flag is set before the sweep takes the registry (under the same
    // lock), so either the sweep saw this entry or this sees the flag.
    if SHUTTING_DOWN.load(Ordering::SeqCst) {
        let entry = REGISTRY
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        if let Some((_, cleanup)) = entry {
            cleanup();
        }
    }
    Guard { id }
}

/// Registers a process group to be sent SIGKILL on cleanup.
pub fn kill_group_on_exit(name: impl Into<String>, pgid: i32) -> Guard {
    register(name, move || kill_group(pgid))
}

/// Sends SIGKILL to a process group, ignoring a group that is already gone.
pub fn kill_group(pgid: i32) {
    if pgid > 1 {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pgid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Runs every registered cleanup, newest first. Returns how many ran.
pub fn run_all() -> usize {
    let entries: Vec<_> = {
        let mut reg = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *reg).into_iter().rev().collect()
    };
    let n = entries.len();
    for (_, (_, cleanup)) in entries {
        cleanup();
    }
    n
}

/// Starts the final cleanup: every registered cleanup runs now, and any
/// registered later runs at once (see [`register`]). Returns how many ran.
pub fn shut_down() -> usize {
    let _sweep = SWEEP.lock().unwrap_or_else(|e| e.into_inner());
    SHUTTING_DOWN.store(true, Ordering::SeqCst);
    run_all()
}

/// Called when a command returns: after an interrupt, waits for the signal
/// handler's cleanup and exits 128 + the signal with it, instead of exiting
/// with the command's own code (e.g. `verify` reporting the server it saw
/// die) while the cleanup is still running.
pub fn exit_if_interrupted() {
    if SHUTTING_DOWN.load(Ordering::SeqCst) {
        let _sweep = SWEEP.lock().unwrap_or_else(|e| e.into_inner());
        std::process::exit(exit_code());
    }
}

/// True once a signal started the shutdown: work still running should stop
/// and report nothing it did not finish (a stack killed by the cleanup did
/// not crash).
pub fn interrupted() -> bool {
    SHUTTING_DOWN.load(Ordering::SeqCst)
}

/// The signal that interrupted ringside, if one did.
pub fn interrupt_signal() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

fn exit_code() -> i32 {
    crate::exit::for_signal(interrupt_signal().unwrap_or(libc::SIGINT))
}

/// What the interrupt message says after "stopped N child process groups",
/// e.g. where the results so far are; nothing is claimed unless set.
pub fn set_interrupt_note(note: impl Into<String>) {
    *NOTE.lock().unwrap_or_else(|e| e.into_inner()) = Some(note.into());
}

/// After an interrupt the command finishes by itself (cleanups have run;
/// [`interrupted`] is true) and exits through [`exit_if_interrupted`]; if it
/// has not within 10 s, or a second signal comes, ringside exits at once.
pub fn defer_exit() {
    DEFER.store(true, Ordering::SeqCst);
}

/// Names of the cleanups currently registered (for tests and diagnostics).
pub fn pending() -> Vec<String> {
    REGISTRY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .map(|(name, _)| name.clone())
        .collect()
}

/// Installs (once) a handler thread for SIGINT, SIGTERM and SIGHUP that runs
/// every cleanup and exits with 128 + the signal. `ringside run` writes its
/// results after each point, so exiting here loses nothing already measured.
pub fn install_signal_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            let mut pending = signals.forever();
            let Some(sig) = pending.next() else {
                return;
            };
            // Other threads keep running meanwhile (a verify loop may
            // launch the next server): the flag makes register() stop
            // those; the lock, held until exit, keeps the main thread
            // from exiting first (exit_if_interrupted).
            let sweep = SWEEP.lock().unwrap_or_else(|e| e.into_inner());
            SIGNAL.store(sig, Ordering::SeqCst);
            SHUTTING_DOWN.store(true, Ordering::SeqCst);
            let n = run_all();
            let note = NOTE
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .map(|n| format!("; {n}"))
                .unwrap_or_default();
            eprintln!(
                "\ninterrupted (signal {sig}): stopped {n} child process group(s) and services{note}"
            );
            if !DEFER.load(Ordering::SeqCst) {
                std::process::exit(exit_code());
            }
            // The command finishes by itself; a second signal or the time
            // limit ends it regardless.
            drop(sweep);
            std::thread::spawn(|| {
                std::thread::sleep(DEFER_LIMIT);
                run_all();
                std::process::exit(exit_code());
            });
            if pending.next().is_some() {
                run_all();
                std::process::exit(exit_code());
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn guard_runs_cleanup_once_on_drop_and_disarm_skips_it() {
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        let g = register("test-a", move || {
            h.fetch_add(1, Ordering::SeqCst);
        });
        drop(g);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        let h = hits.clone();
        let g = register("test-b", move || {
            h.fetch_add(1, Ordering::SeqCst);
        });
        g.disarm();
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }
}
