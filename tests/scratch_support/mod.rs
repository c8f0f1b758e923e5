//! A scratch folder for `ringside` with no built-in stacks and its runtimes
//! homed there, and executable stand-in scripts (npm, node, python).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

/// Writes an executable `/bin/sh` script.
pub fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `ringside` in `scratch`, with no built-in stacks and runtimes homed there.
pub fn ringside(scratch: &Path) -> Command {
    let empty = scratch.join("no-stacks");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cmd = Command::cargo_bin("ringside").unwrap();
    cmd.current_dir(scratch)
        .env("RINGSIDE_STACKS_DIR", &empty)
        .env("RINGSIDE_RUNTIMES_DIR", scratch.join("runtimes"))
        .env_remove("RINGSIDE_NODE")
        .timeout(Duration::from_secs(60));
    cmd
}
