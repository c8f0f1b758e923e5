//! Footprint (dependencies, install size, own source lines) and installed packages.

use std::collections::BTreeMap;

use super::Stack;
use crate::suite::results::Footprint;

/// Dependency count, install size and lines of the stack's own source.
pub fn footprint(stack: &Stack) -> anyhow::Result<Footprint> {
    let _ = stack;
    Ok(Footprint::default())
}

/// Installed packages and their versions (npm lockfile, pip freeze, Cargo.lock).
pub fn packages(stack: &Stack) -> BTreeMap<String, String> {
    let _ = stack;
    BTreeMap::new()
}
