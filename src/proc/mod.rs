//! Child processes: every child in its own process group, drained on its own
//! tasks, killed on every exit path ([`guard`]), Ctrl-C included, and by the
//! kernel when ringside itself is killed ([`deathsig`]); what a killed
//! ringside still left is found through its run lock ([`lock`]) and stopped
//! by the next one ([`reaper`]); commands run to completion ([`run`]); a
//! launched server's process tree ([`tree`]) and its CPU accounting group
//! ([`cgroup`]); one measuring ringside at a time on a machine ([`machine_lock`]).

pub mod cgroup;
pub mod deathsig;
pub mod guard;
pub mod lock;
pub mod machine_lock;
pub mod reaper;
pub mod run;
pub mod tree;
pub mod watchdog;
