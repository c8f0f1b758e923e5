//! A watchdog for a server that is not ringside's child and so escapes the
//! parent-death signal ([`super::deathsig`]): the PostgreSQL postmaster,
//! which `pg_ctl` daemonises. A small `sh` loop, outside ringside's process
//! groups and without a death signal, waits (shell builtins only, one
//! `sleep` a second) for ringside to die, then sends the server SIGQUIT
//! (PostgreSQL's immediate shutdown) and SIGKILL three seconds later. The
//! server is recognised by its working folder, so a reused pid is left
//! alone, and a server that has died but is not yet reaped (a zombie, whose
//! working folder can no longer be read) counts as stopped: in a container
//! whose pid 1 does not reap, `kill -0` would see it for ever. On every
//! ordinary exit path the guard stops the watchdog first: its whole process
//! group (the shell and its `sleep`, which would otherwise outlive ringside
//! by up to a second), waited for.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use super::guard::{self, Guard};

/// The watchdog's script: `$1` ringside's pid, `$2` the server's pid, `$3`
/// the server's working folder.
const SCRIPT: &str = r#"
while read -r _pid _comm _state ppid _rest < /proc/$$/stat && [ "$ppid" = "$1" ]; do sleep 1; done
[ "$(readlink /proc/$2/cwd)" = "$3" ] || exit 0
kill -QUIT "$2" 2>/dev/null
i=0
while [ $i -lt 30 ] && [ "$(readlink /proc/$2/cwd)" = "$3" ]; do sleep 0.1; i=$((i+1)); done
[ "$(readlink /proc/$2/cwd)" = "$3" ] && kill -KILL "$2" 2>/dev/null
exit 0
"#;

/// Starts a watchdog that stops `pid` (whose working folder is `cwd`) if
/// ringside dies without stopping it. The guard stops the watchdog.
pub fn stop_if_ringside_dies(name: &str, pid: i32, cwd: &Path) -> std::io::Result<Guard> {
    let cwd = std::fs::canonicalize(cwd)?;
    let (key, value) = super::lock::child_env();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("ringside-watchdog")
        .arg(std::process::id().to_string())
        .arg(pid.to_string())
        .arg(&cwd)
        .env(key, value)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .current_dir("/")
        .process_group(0)
        .spawn()?;
    let pgid = child.id() as i32;
    Ok(guard::register(format!("watchdog of {name}"), move || {
        // The whole group: the loop's `sleep 1` would outlive the shell
        // (up to a second, with ringside's environment) if only it were killed.
        guard::kill_group(pgid);
        let _ = child.wait();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while !super::tree::live_pids(pgid, pgid, &[]).is_empty()
            && std::time::Instant::now() < until
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// The pid of the watchdog shell guarding `server`.
    fn watchdog_of(server: u32) -> Option<i32> {
        super::super::tree::scan().into_iter().find_map(|p| {
            let cmd = std::fs::read(format!("/proc/{}/cmdline", p.pid)).ok()?;
            let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
            let ours = args.contains(&&b"ringside-watchdog"[..])
                && args.contains(&server.to_string().as_bytes());
            ours.then_some(p.pid)
        })
    }

    #[test]
    fn dropping_the_guard_leaves_nothing_of_the_watchdog_alive() {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Command::new("sleep")
            .arg("30")
            .current_dir(dir.path())
            .spawn()
            .unwrap();
        let guard = stop_if_ringside_dies("test", server.id() as i32, dir.path()).unwrap();
        // Wait until the shell sleeps in its loop: a `sleep 1` of its own.
        let t0 = Instant::now();
        let (sh, sleeping) = loop {
            let sh = watchdog_of(server.id());
            let kids: Vec<i32> = super::super::tree::scan()
                .iter()
                .filter(|p| Some(p.ppid) == sh && !p.zombie)
                .map(|p| p.pid)
                .collect();
            if let (Some(sh), false) = (sh, kids.is_empty()) {
                break (sh, kids);
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "no watchdog loop");
            std::thread::sleep(Duration::from_millis(5));
        };
        drop(guard);
        let left = super::super::tree::live_pids(sh, sh, &sleeping);
        assert!(left.is_empty(), "alive after the guard ran: {left:?}");
        assert!(
            server.try_wait().unwrap().is_none(),
            "the server is left alone"
        );
        let _ = server.kill();
        let _ = server.wait();
    }
}
