//! What the harness measures: a launched stack ([`crate::stack::Running`]) or
//! a server the user already runs (`--url`, optionally `--pid` for CPU and
//! memory, sampled from `/proc`), behind one small trait.

use std::collections::{BTreeMap, BTreeSet};

use crate::stack::{ProcSample, Running};

/// A server under measurement.
pub trait Target {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    fn base_url(&self) -> String;
    /// CPU and RSS of the server's process tree now (`None`: not measurable).
    fn sample(&self) -> Option<ProcSample>;
    /// `cgroup` or `proc`, or empty when CPU is not measured.
    fn cpu_source(&self) -> String;
    /// False once the server has exited.
    fn is_alive(&mut self) -> bool;
    /// The server's last output lines (empty when unknown).
    fn stderr_tail(&self, n: usize) -> Vec<String>;
}

impl Target for Running {
    fn base_url(&self) -> String {
        Running::base_url(self).trim_end_matches('/').to_string()
    }
    fn sample(&self) -> Option<ProcSample> {
        Some(Running::sample(self))
    }
    fn cpu_source(&self) -> String {
        Running::cpu_source(self).to_string()
    }
    fn is_alive(&mut self) -> bool {
        Running::is_alive(self)
    }
    fn stderr_tail(&self, n: usize) -> Vec<String> {
        Running::stderr_tail(self, n)
    }
}

/// A server ringside did not start (`--url`, `--pid`).
#[derive(Debug, Clone)]
pub struct External {
    pub url: url::Url,
    pub pid: Option<u32>,
}

impl Target for External {
    fn base_url(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_string()
    }
    fn sample(&self) -> Option<ProcSample> {
        self.pid.and_then(sample_tree)
    }
    fn cpu_source(&self) -> String {
        if self.pid.is_some() {
            "proc".into()
        } else {
            String::new()
        }
    }
    fn is_alive(&mut self) -> bool {
        match self.pid {
            Some(pid) => std::path::Path::new(&format!("/proc/{pid}")).exists(),
            None => true,
        }
    }
    fn stderr_tail(&self, _n: usize) -> Vec<String> {
        Vec::new()
    }
}

/// CPU (user+system, µs) and RSS (bytes) of `root` and all its descendants,
/// from `/proc/*/stat`. `None` when `root` does not exist.
pub fn sample_tree(root: u32) -> Option<ProcSample> {
    let tick_us = 1_000_000 / clock_ticks_per_s();
    let page = page_size();
    let mut stats: BTreeMap<u32, (u32, u64, u64)> = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name may hold spaces and parentheses: fields start after the last ')'.
        let Some(rest) = text.rfind(')').map(|i| &text[i + 2..]) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() < 22 {
            continue;
        }
        let num = |i: usize| f[i].parse::<u64>().unwrap_or(0);
        // After ')': state(0) ppid(1) ... utime(11) stime(12) ... rss(21) in pages.
        stats.insert(pid, (num(1) as u32, num(11) + num(12), num(21)));
    }
    stats.get(&root)?;
    let mut tree = BTreeSet::from([root]);
    // Bounded: each pass adds at least one process or stops.
    for _ in 0..stats.len() {
        let before = tree.len();
        for (pid, (ppid, _, _)) in &stats {
            if tree.contains(ppid) {
                tree.insert(*pid);
            }
        }
        if tree.len() == before {
            break;
        }
    }
    let mut s = ProcSample::default();
    for pid in &tree {
        let (_, ticks, pages) = stats[pid];
        s.cpu_us += ticks * tick_us;
        s.rss_bytes += pages * page;
        s.processes += 1;
    }
    Some(s)
}

fn clock_ticks_per_s() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map_or(100, |v| v.max(1) as u64)
}

fn page_size() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .map_or(4096, |v| v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_own_process_tree() {
        let s = sample_tree(std::process::id()).expect("own process");
        assert!(s.rss_bytes > 0);
        assert!(s.processes >= 1);
        assert!(sample_tree(u32::MAX - 1).is_none());
    }
}
