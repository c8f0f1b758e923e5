//! Child processes: every child in its own process group, drained on its own
//! tasks, killed on every exit path ([`guard`]), Ctrl-C included; commands
//! run to completion ([`run`]); a launched server's process tree ([`tree`])
//! and its CPU accounting group ([`cgroup`]).

pub mod cgroup;
pub mod guard;
pub mod run;
pub mod tree;
