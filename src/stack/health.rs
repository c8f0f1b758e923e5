//! Whether a stack's install is really there, beyond its stamp: a stamp
//! says the install commands once succeeded, not that nothing was removed
//! since. Checked from the lockfiles: each dependency `package-lock.json`
//! names at the top level has its `node_modules/<name>/package.json`; a
//! virtual environment's interpreter runs, and each unconditional pin of
//! `requirements.txt` has its `.dist-info`; the program of the start
//! command, when it is a path inside the stack folder, exists.

use std::path::Path;
use std::process::{Command, Stdio};

use super::Stack;

/// What is missing from `stack`'s install, or `None` when it is whole.
/// Meant for a stack whose stamp matches (a stack never installed is
/// "not installed", not damaged).
pub fn damage(stack: &Stack) -> Option<String> {
    for lock in &stack.install.lockfiles {
        let path = stack.dir.join(lock);
        let name = Path::new(lock).file_name().and_then(|n| n.to_str());
        let found = match name {
            Some("package-lock.json") => npm_damage(&stack.dir, &path),
            Some("requirements.txt") => venv_damage(&stack.dir, &path),
            // A per-interpreter lock: requirements/py3.11.txt.
            Some(n) if n.starts_with("py") && n.ends_with(".txt") => venv_damage(&stack.dir, &path),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    start_program_damage(stack)
}

fn npm_damage(dir: &Path, lockfile: &Path) -> Option<String> {
    let text = std::fs::read_to_string(lockfile).ok()?;
    let lock: serde_json::Value = serde_json::from_str(&text).ok()?;
    let root = lock.get("packages")?.get("")?;
    let deps = root.get("dependencies")?.as_object()?;
    deps.keys().find_map(|name| {
        let manifest = dir.join("node_modules").join(name).join("package.json");
        (!manifest.is_file()).then(|| format!("node_modules/{name} is missing"))
    })
}

/// Normalised distribution name (PEP 503, with `_` as `.dist-info` folders spell it).
fn normalise(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['-', '.'], "_")
}

fn venv_damage(dir: &Path, requirements: &Path) -> Option<String> {
    let venv = dir.join(".venv");
    // Absolute: a relative program is looked up from the child's folder.
    let python = std::path::absolute(venv.join("bin/python")).ok()?;
    let runs = Command::new(&python)
        .args(["-c", ""])
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !runs {
        return Some(".venv/bin/python does not run".into());
    }
    let text = std::fs::read_to_string(requirements).ok()?;
    let installed: Vec<String> = std::fs::read_dir(venv.join("lib"))
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|py| {
            std::fs::read_dir(py.path().join("site-packages"))
                .into_iter()
                .flatten()
        })
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".dist-info")?;
            let (dist, _version) = stem.rsplit_once('-')?;
            Some(normalise(dist))
        })
        .collect();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        // Pins with an environment marker may not apply to this Python.
        .filter(|l| !l.is_empty() && !l.starts_with('-') && !l.contains(';'))
        .filter_map(|l| l.split(['=', '<', '>', '~', '!', '[', ' ']).next())
        .find(|name| !installed.contains(&normalise(name)))
        .map(|name| format!("{name} is not installed in .venv"))
}

fn start_program_damage(stack: &Stack) -> Option<String> {
    let program = stack.start.first()?;
    let relative = program.contains('/') && !program.starts_with('/') && !program.contains('{');
    let path = stack.dir.join(program);
    (relative && !path.exists()).then(|| format!("{program} is missing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_top_level_dependencies_must_be_present() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("package-lock.json");
        std::fs::write(
            &lock,
            r#"{"packages":{"":{"dependencies":{"ws":"8","@scope/pkg":"1"}},
                "node_modules/ws":{},"node_modules/@scope/pkg":{}}}"#,
        )
        .unwrap();
        let why = npm_damage(dir.path(), &lock).unwrap();
        assert!(why.contains("node_modules/"), "{why}");
        for name in ["ws", "@scope/pkg"] {
            let d = dir.path().join("node_modules").join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("package.json"), "{}").unwrap();
        }
        assert_eq!(npm_damage(dir.path(), &lock), None);
    }

    #[test]
    fn a_venv_without_a_working_interpreter_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let req = dir.path().join("requirements.txt");
        std::fs::write(&req, "flask==3.1.3\n").unwrap();
        let why = venv_damage(dir.path(), &req).unwrap();
        assert!(why.contains(".venv/bin/python"), "{why}");
    }

    #[test]
    fn names_are_normalised_like_dist_info_folders() {
        assert_eq!(normalise("Flask-Sock"), "flask_sock");
        assert_eq!(normalise("zope.interface"), "zope_interface");
    }
}
