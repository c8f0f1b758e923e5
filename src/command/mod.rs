//! The command layer: commands that join the harness ([`crate::suite`]),
//! the verdict ([`crate::verdict`]) and the exporters ([`crate::report`]),
//! so none of those reaches into another.

pub mod run;
