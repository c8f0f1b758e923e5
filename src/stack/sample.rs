//! CPU and memory of a launched stack's whole process tree. CPU comes from
//! its cpuacct cgroup when there is one (exact, exited processes included),
//! else from `/proc`: utime+stime of every live process of the tree plus the
//! cutime+cstime each has collected from reaped children.

use super::ProcSample;
use crate::proc::cgroup::Cgroup;
use crate::proc::tree;

/// Samples the tree led by `pid` (also its process group id).
pub fn sample(pid: i32, cgroup: Option<&Cgroup>) -> ProcSample {
    let extra = cgroup.map(Cgroup::pids).unwrap_or_default();
    let members = tree::tree(&tree::scan(), pid, pid, &extra);
    let live: Vec<_> = members.iter().filter(|p| !p.zombie).collect();
    let proc_cpu_us = || {
        let ticks: u64 = members
            .iter()
            .map(|p| p.self_ticks + p.children_ticks)
            .sum();
        ticks * 1_000_000 / tree::ticks_per_second()
    };
    let cpu_us = cgroup
        .and_then(Cgroup::usage_ns)
        .map(|ns| ns / 1_000)
        .unwrap_or_else(proc_cpu_us);
    ProcSample {
        cpu_us,
        rss_bytes: live.iter().map(|p| tree::memory_bytes(p.pid)).sum(),
        processes: live.len() as u32,
    }
}
