//! Child processes: every child in its own process group, drained on its own
//! tasks, killed on every exit path ([`guard`]), Ctrl-C included.

pub mod guard;
