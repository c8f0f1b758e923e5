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
//! ordinary exit path the guard stops the watchdog first.

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
    Ok(guard::register(format!("watchdog of {name}"), move || {
        let _ = child.kill();
        let _ = child.wait();
    }))
}
