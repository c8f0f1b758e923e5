//! What the machine can carry, checked before the first request: one open
//! file per connection under the open-files limit (the soft limit is raised
//! to the hard one first; past that is the user's call, so the run is
//! refused naming both numbers), one local port per connection to a target
//! address, memory for the connections, and an offered rate the connections
//! can possibly carry. Errors the OS gives later are tallied by their cause
//! ([`note_os_error`]) so a report says "too many open files", not only
//! "connect".

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::config::{LoadConfig, RateSchedule, Schedule};
use crate::error::bad_input_msg;

/// Descriptors ringside needs besides its connections (stdio, the runtimes'
/// epoll and wakers, the signal pipe, files it writes).
pub const RESERVED_FDS: u64 = 64;
/// Highest rate one connection can carry: one request in flight, a loopback
/// round trip of at least 5 µs (far faster than any server answers).
pub const MAX_RPS_PER_CONNECTION: f64 = 200_000.0;
/// Memory one connection costs the generator (read buffer, socket, task).
pub const BYTES_PER_CONNECTION: u64 = 24 << 10;
/// Share of the available memory the connections may take.
const MEMORY_SHARE: f64 = 0.5;

/// The machine's figures the checks compare against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Machine {
    /// Soft open-files limit after raising it as far as allowed.
    pub nofile: u64,
    /// Hard open-files limit.
    pub nofile_hard: u64,
    /// Local ports for outgoing connections (`ip_local_port_range`), if known.
    pub local_ports: Option<u64>,
    /// `MemAvailable`, bytes, if known.
    pub mem_available: Option<u64>,
}

impl Machine {
    /// This machine now; raises the soft open-files limit to the hard one.
    pub fn here() -> Machine {
        let nofile = super::sys::raise_nofile_limit();
        let nofile_hard =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
                .map_or(nofile, |(_, hard)| hard);
        Machine {
            nofile,
            nofile_hard,
            local_ports: local_ports(),
            mem_available: mem_available(),
        }
    }
}

fn local_ports() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut it = text.split_whitespace().map(|v| v.parse::<u64>().ok());
    let (lo, hi) = (it.next()??, it.next()??);
    Some(hi.saturating_sub(lo) + 1)
}

fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Checks `connections` (the flag named `flag`) against the machine; bad
/// input (exit 2) naming the limit and the fix.
pub fn check_connections(flag: &str, connections: usize, m: &Machine) -> anyhow::Result<()> {
    let needed = connections as u64 + RESERVED_FDS;
    if needed > m.nofile {
        return Err(bad_input_msg(format!(
            "{flag} {connections} needs about {needed} open files, but the open-files limit is {} \
             (hard limit {}); raise it (`ulimit -n {needed}`) or use fewer connections",
            m.nofile, m.nofile_hard
        )));
    }
    if let Some(ports) = m.local_ports
        && connections as u64 > ports
    {
        return Err(bad_input_msg(format!(
            "{flag} {connections}: one target address takes at most {ports} connections \
             (local ports, net.ipv4.ip_local_port_range); use fewer connections"
        )));
    }
    if let Some(avail) = m.mem_available {
        let need = connections as u64 * BYTES_PER_CONNECTION;
        if need as f64 > MEMORY_SHARE * avail as f64 {
            return Err(bad_input_msg(format!(
                "{flag} {connections} needs about {} MiB of memory for its connections, more than \
                 half of the {} MiB available; use fewer connections",
                need >> 20,
                avail >> 20
            )));
        }
    }
    Ok(())
}

/// The highest rate of a schedule, requests/s.
pub fn peak_rps(schedule: &RateSchedule) -> f64 {
    match schedule {
        RateSchedule::Constant { rps } => *rps,
        RateSchedule::Ramp {
            from_rps, to_rps, ..
        } => from_rps.max(*to_rps),
        RateSchedule::Steps { steps } => steps.iter().map(|s| s.0).fold(0.0, f64::max),
    }
}

/// Checks a validated HTTP load config against the machine.
pub fn check(cfg: &LoadConfig, m: &Machine) -> anyhow::Result<()> {
    check_connections("--connections", cfg.connections, m)?;
    if let Schedule::Open(schedule) = &cfg.schedule {
        let peak = peak_rps(schedule);
        let lanes = cfg.connections * cfg.streams_per_connection();
        let most = lanes as f64 * MAX_RPS_PER_CONNECTION;
        if peak > most {
            return Err(bad_input_msg(format!(
                "--rate {peak}: {lanes} connections × streams can carry at most {most:.0} req/s \
                 (one request in flight each, a round trip of at least 5 µs); lower the rate or \
                 add connections (-c) or HTTP/2 streams (--streams)"
            )));
        }
    }
    Ok(())
}

static OS_ERRORS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// Tallies an error the OS gave (a failed connect), by its cause.
pub fn note_os_error(err: &std::io::Error) {
    let cause = match err.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code)
            .desc()
            .to_ascii_lowercase(),
        None => err.kind().to_string(),
    };
    *OS_ERRORS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(cause)
        .or_default() += 1;
}

/// The causes tallied since the last call, e.g. `too many open files × 66439`.
pub fn take_os_errors() -> Vec<String> {
    let tally = std::mem::take(&mut *OS_ERRORS.lock().unwrap_or_else(|e| e.into_inner()));
    tally
        .into_iter()
        .map(|(cause, n)| format!("{cause} × {n}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(nofile: u64) -> Machine {
        Machine {
            nofile,
            nofile_hard: nofile,
            local_ports: Some(28232),
            mem_available: Some(8 << 30),
        }
    }

    #[test]
    fn connections_past_the_open_files_limit_are_refused_naming_both() {
        let err = check_connections("--connections", 100_000, &machine(1024)).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        let msg = err.to_string();
        assert!(msg.contains("100000") && msg.contains("1024"), "{msg}");
        assert!(check_connections("--connections", 900, &machine(1024)).is_ok());
        let ports = check_connections("-c", 30_000, &machine(1 << 20)).unwrap_err();
        assert!(ports.to_string().contains("28232"), "{ports}");
        let mut small = machine(1 << 20);
        small.mem_available = Some(100 << 20);
        let mem = check_connections("-c", 20_000, &small).unwrap_err();
        assert!(mem.to_string().contains("MiB"), "{mem}");
    }

    #[test]
    fn a_rate_the_connections_cannot_carry_is_refused() {
        let url: url::Url = "http://127.0.0.1:1/".parse().unwrap();
        let cfg = LoadConfig::open(url, 64, 1e12, std::time::Duration::from_secs(1));
        let err = check(&cfg, &machine(1 << 20)).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        assert!(err.to_string().contains("--rate"), "{err}");
        let ok = LoadConfig {
            schedule: Schedule::Open(RateSchedule::Constant { rps: 1e6 }),
            ..cfg
        };
        assert!(check(&ok, &machine(1 << 20)).is_ok());
    }

    #[test]
    fn os_errors_are_named_by_cause() {
        take_os_errors();
        note_os_error(&std::io::Error::from_raw_os_error(libc::EMFILE));
        note_os_error(&std::io::Error::from_raw_os_error(libc::EMFILE));
        assert_eq!(
            take_os_errors(),
            vec!["too many open files × 2".to_string()]
        );
        assert!(take_os_errors().is_empty());
    }
}
