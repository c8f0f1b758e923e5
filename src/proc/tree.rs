//! A launched server's process tree read from `/proc`: the members of its
//! process group plus every descendant of its leader, with their CPU times and
//! memory.

use std::collections::{BTreeSet, HashMap};

/// One process as read from `/proc/PID/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub zombie: bool,
    /// utime + stime, clock ticks.
    pub self_ticks: u64,
    /// cutime + cstime (reaped children), clock ticks.
    pub children_ticks: u64,
}

/// Parses the contents of `/proc/PID/stat`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let pid = text.split_whitespace().next()?.parse().ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
    Some(ProcStat {
        pid,
        ppid: num(1)? as i32,
        pgrp: num(2)? as i32,
        zombie: f.first().is_some_and(|s| *s == "Z" || *s == "X"),
        self_ticks: (num(11)? + num(12)?).max(0) as u64,
        children_ticks: (num(13)? + num(14)?).max(0) as u64,
    })
}

/// Every process on the machine.
pub fn scan() -> Vec<ProcStat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let e = e.ok()?;
        let name = e.file_name();
        let pid: i32 = name.to_str()?.parse().ok()?;
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        parse_stat(&text)
    })
    .collect()
}

/// The processes of process group `pgid` plus every descendant of `leader`
/// (and any `extra` pids, e.g. a cgroup's members), zombies included.
pub fn tree(all: &[ProcStat], pgid: i32, leader: i32, extra: &[i32]) -> Vec<ProcStat> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for p in all {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut keep: BTreeSet<i32> = all
        .iter()
        .filter(|p| p.pgrp == pgid)
        .map(|p| p.pid)
        .collect();
    keep.extend(extra.iter().copied());
    let mut visited = BTreeSet::new();
    let mut stack = vec![leader];
    while let Some(pid) = stack.pop() {
        if visited.insert(pid) {
            keep.insert(pid);
            if let Some(kids) = children.get(&pid) {
                stack.extend(kids.iter().copied());
            }
        }
    }
    all.iter()
        .filter(|p| keep.contains(&p.pid))
        .copied()
        .collect()
}

/// Pids of the live (non-zombie) processes of the tree.
pub fn live_pids(pgid: i32, leader: i32, extra: &[i32]) -> Vec<i32> {
    tree(&scan(), pgid, leader, extra)
        .into_iter()
        .filter(|p| !p.zombie)
        .map(|p| p.pid)
        .collect()
}

/// Memory of one process in bytes: `Pss` from `smaps_rollup` (shared pages
/// split between the processes sharing them, so forked workers are not
/// double-counted), else `VmRSS`.
pub fn memory_bytes(pid: i32) -> u64 {
    memory(pid).0
}

/// [`memory_bytes`] and whether the figure is `Pss` (false: the `VmRSS` fallback).
pub fn memory(pid: i32) -> (u64, bool) {
    let field = |path: String, key: &str| -> Option<u64> {
        let text = std::fs::read_to_string(path).ok()?;
        text.lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
            .map(|kb| kb * 1024)
    };
    match field(format!("/proc/{pid}/smaps_rollup"), "Pss:") {
        Some(b) => (b, true),
        None => (
            field(format!("/proc/{pid}/status"), "VmRSS:").unwrap_or(0),
            false,
        ),
    }
}

/// Memory of a process tree in bytes, the same whoever else runs: every
/// process's private pages (`Private_Clean + Private_Dirty` of
/// `smaps_rollup`) plus the largest shared set of any one process
/// (`Shared_Clean + Shared_Dirty`), so pages forked workers share are counted
/// once. Unlike `Pss`, it does not shrink when another stack on the same
/// runtime maps the same binary (Pss splits those pages between every
/// process on the machine that shares them). The flag is false when
/// `smaps_rollup` was unreadable and `VmRSS` (summed) stands in.
pub fn tree_memory(pids: &[i32]) -> (u64, bool) {
    let rollup = |pid: i32| -> Option<(u64, u64)> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
        let kb = |key: &str| -> u64 {
            text.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
                * 1024
        };
        Some((
            kb("Private_Clean:") + kb("Private_Dirty:"),
            kb("Shared_Clean:") + kb("Shared_Dirty:"),
        ))
    };
    let (mut private, mut shared, mut exact) = (0u64, 0u64, true);
    for &pid in pids {
        match rollup(pid) {
            Some((p, s)) => {
                private += p;
                shared = shared.max(s);
            }
            None => {
                exact = false;
                private += memory(pid).0;
            }
        }
    }
    (private + shared, exact)
}

/// When `pid` started (clock ticks after boot), to tell it from a later
/// process that reused the pid.
pub fn start_time(pid: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
pub fn ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_in_comm() {
        let s = "42 (my (odd) srv) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 2 1 20 0 1 0 100 1000 50";
        let p = parse_stat(s).unwrap();
        assert_eq!((p.pid, p.ppid, p.pgrp), (42, 1, 42));
        assert_eq!((p.self_ticks, p.children_ticks), (10, 3));
        assert!(!p.zombie);
        assert!(start_time(std::process::id() as i32).is_some());
    }

    #[test]
    fn tree_includes_descendants_outside_the_group() {
        let mk = |pid, ppid, pgrp| ProcStat {
            pid,
            ppid,
            pgrp,
            zombie: false,
            self_ticks: 0,
            children_ticks: 0,
        };
        let all = [mk(10, 1, 10), mk(11, 10, 10), mk(12, 11, 12), mk(13, 1, 13)];
        let pids: Vec<i32> = tree(&all, 10, 10, &[]).iter().map(|p| p.pid).collect();
        assert_eq!(pids, [10, 11, 12]);
    }
}
