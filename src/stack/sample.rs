//! CPU and memory of a launched stack's whole process tree. With a cpuacct
//! cgroup: CPU from `cpuacct.usage` (exact, exited processes included) and
//! the members from `cgroup.procs`, no `/proc` scan. Without: the tree is
//! found by scanning `/proc`, CPU is utime+stime of every process of the
//! tree plus the cutime+cstime each has collected from reaped children.

use super::ProcSample;
use crate::proc::cgroup::Cgroup;
use crate::proc::tree;

/// Samples the tree led by `pid` (also its process group id).
pub fn sample(pid: i32, cgroup: Option<&Cgroup>) -> ProcSample {
    if let Some(cg) = cgroup
        && let Some(ns) = cg.usage_ns()
    {
        let pids = cg.pids();
        let mem: Vec<(u64, bool)> = pids.iter().map(|&p| tree::memory(p)).collect();
        return ProcSample {
            cpu_us: ns / 1_000,
            rss_bytes: mem.iter().map(|m| m.0).sum(),
            processes: pids.len() as u32,
            pss: mem.iter().all(|m| m.1),
        };
    }
    let members = tree::tree(&tree::scan(), pid, pid, &[]);
    let ticks: u64 = members
        .iter()
        .map(|p| p.self_ticks + p.children_ticks)
        .sum();
    let live: Vec<_> = members.iter().filter(|p| !p.zombie).collect();
    let mem: Vec<(u64, bool)> = live.iter().map(|p| tree::memory(p.pid)).collect();
    ProcSample {
        cpu_us: ticks * 1_000_000 / tree::ticks_per_second(),
        rss_bytes: mem.iter().map(|m| m.0).sum(),
        processes: live.len() as u32,
        pss: mem.iter().all(|m| m.1),
    }
}
