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
        let (bytes, exact) = tree::tree_memory(&pids);
        return ProcSample {
            cpu_us: ns / 1_000,
            rss_bytes: bytes,
            processes: pids.len() as u32,
            pss: exact,
        };
    }
    let members = tree::tree(&tree::scan(), pid, pid, &[]);
    let ticks: u64 = members
        .iter()
        .map(|p| p.self_ticks + p.children_ticks)
        .sum();
    let live: Vec<_> = members.iter().filter(|p| !p.zombie).collect();
    let pids: Vec<i32> = live.iter().map(|p| p.pid).collect();
    let (bytes, exact) = tree::tree_memory(&pids);
    ProcSample {
        cpu_us: ticks * 1_000_000 / tree::ticks_per_second(),
        rss_bytes: bytes,
        processes: live.len() as u32,
        pss: exact,
    }
}
