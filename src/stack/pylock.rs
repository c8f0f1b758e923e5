//! Python locks per interpreter: a stack's `[install]` names
//! `requirements/py{python_minor}.txt`, one exact lock with hashes for each
//! minor version (`scripts/lock-python.sh` writes them), and ringside fills
//! in the minor of the interpreter the venv is built on: the `--python` one
//! the stack is bound to, else the `python3` on the stack's PATH. The
//! interpreter's exact version is recorded in the install spec, so the
//! install stamp changes with it (a new patch release rebuilds the venv).
//!
//! An interpreter without a lock is not resolved on the fly: its install
//! fails saying which lock is missing, which exist, and how to write it
//! ([`missing_lock`]); a lock resolved at install time would make the
//! framework version a run reports depend on the day it ran.

use std::path::{Path, PathBuf};

use super::Stack;
use super::python::{self, Interpreter};

/// The placeholder in `[install]` lockfiles and commands.
pub const MINOR: &str = "{python_minor}";

/// True when the stack's install names [`MINOR`].
pub fn uses_minor(stack: &Stack) -> bool {
    stack.install.lockfiles.iter().any(|l| l.contains(MINOR))
        || stack
            .install
            .commands
            .iter()
            .flatten()
            .any(|a| a.contains(MINOR))
}

/// `3.11` for 3.11.7; `3.14t` for a free-threaded build (its wheels differ).
pub fn minor_of(interp: &Interpreter) -> String {
    let mut parts = interp.version.split('.');
    let minor = format!(
        "{}.{}",
        parts.next().unwrap_or(""),
        parts.next().unwrap_or("")
    );
    if interp.free_threaded_build {
        format!("{minor}t")
    } else {
        minor
    }
}

/// Fills in [`MINOR`] in `stack`'s (and its variants') install for
/// `interp`, and records the interpreter's exact version there.
pub fn resolve(stack: &mut Stack, interp: &Interpreter) {
    if !uses_minor(stack) {
        return;
    }
    let minor = minor_of(interp);
    let fill = |s: &mut Stack| {
        for l in &mut s.install.lockfiles {
            *l = l.replace(MINOR, &minor);
        }
        for a in s.install.commands.iter_mut().flatten() {
            *a = a.replace(MINOR, &minor);
        }
        s.install.interpreter = Some(interp.label());
    };
    fill(stack);
    for v in &mut stack.variants {
        fill(v);
    }
}

/// The `python3` a stack's install runs: the first on its PATH (its own
/// `env` PATH, else ringside's).
pub fn host_python(stack: &Stack) -> Option<PathBuf> {
    let path = stack
        .env
        .get("PATH")
        .cloned()
        .or_else(|| std::env::var("PATH").ok())?;
    std::env::split_paths(&path)
        .map(|d| d.join("python3"))
        .find(|p| p.is_file())
}

/// Resolves every stack that names [`MINOR`] and was not resolved yet,
/// probing each `python3` once. A stack whose `python3` cannot be probed is
/// left as it is: its runtime check says what is missing.
pub fn resolve_all(stacks: &mut [Stack]) {
    let mut probed: Vec<(PathBuf, Option<Interpreter>)> = Vec::new();
    for s in stacks.iter_mut().filter(|s| uses_minor(s)) {
        let Some(py) = host_python(s) else { continue };
        let interp = match probed.iter().find(|(p, _)| *p == py) {
            Some((_, i)) => i.clone(),
            None => {
                let i = python::probe(&py).ok();
                probed.push((py, i.clone()));
                i
            }
        };
        if let Some(i) = interp {
            resolve(s, &i);
        }
    }
}

/// When a lockfile of `stack` is missing and it is a per-interpreter lock:
/// the sentence saying which locks exist and how to write this one.
pub fn missing_lock(stack: &Stack) -> Option<String> {
    let interp = stack.install.interpreter.as_deref()?;
    let lock = stack
        .install
        .lockfiles
        .iter()
        .find(|l| !stack.dir.join(l).is_file())?;
    let path = Path::new(lock);
    let minor = path.file_stem()?.to_str()?.strip_prefix("py")?.to_string();
    let mut have: Vec<String> = std::fs::read_dir(stack.dir.join(path.parent()?))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.strip_prefix("py")?.strip_suffix(".txt").map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    have.sort_by_key(|m| {
        m.trim_end_matches('t')
            .split('.')
            .map(|x| x.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    Some(format!(
        "no lock for {interp}: {lock} is missing (locks here: {}); write it with `scripts/lock-python.sh {minor}` (needs uv), or pick an interpreter with a lock (--python PATH)",
        if have.is_empty() {
            "none".to_string()
        } else {
            have.iter()
                .map(|m| format!("Python {m}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interp(version: &str, ft: bool) -> Interpreter {
        Interpreter {
            path: PathBuf::from("/usr/bin/python3"),
            version: version.into(),
            free_threaded: ft,
            free_threaded_build: ft,
        }
    }

    fn py_stack(dir: &Path) -> Stack {
        let mut s = Stack {
            name: "py".into(),
            dir: dir.to_path_buf(),
            ..Default::default()
        };
        s.install.lockfiles = vec!["requirements/py{python_minor}.txt".into()];
        s.install.commands = vec![vec![
            ".venv/bin/pip".into(),
            "install".into(),
            "--require-hashes".into(),
            "-r".into(),
            "requirements/py{python_minor}.txt".into(),
        ]];
        s.variants = vec![s.clone()];
        s
    }

    #[test]
    fn the_lock_of_the_interpreter_minor_is_named() {
        let mut s = py_stack(Path::new("/x"));
        assert!(uses_minor(&s));
        resolve(&mut s, &interp("3.12.1", false));
        assert_eq!(s.install.lockfiles, vec!["requirements/py3.12.txt"]);
        assert_eq!(s.install.commands[0][4], "requirements/py3.12.txt");
        assert_eq!(s.variants[0].install.lockfiles, s.install.lockfiles);
        assert_eq!(s.install.interpreter.as_deref(), Some("cpython 3.12.1"));
        assert!(!uses_minor(&s));
        assert_eq!(minor_of(&interp("3.14.2", true)), "3.14t");
    }

    #[test]
    fn the_exact_interpreter_keys_the_install() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("requirements")).unwrap();
        std::fs::write(d.path().join("requirements/py3.11.txt"), "x==1\n").unwrap();
        let mut a = py_stack(d.path());
        let mut b = a.clone();
        resolve(&mut a, &interp("3.11.7", false));
        resolve(&mut b, &interp("3.11.9", false));
        assert_eq!(a.install.lockfiles, b.install.lockfiles);
        assert_ne!(
            super::super::setup::install_hash(&a),
            super::super::setup::install_hash(&b)
        );
    }

    #[test]
    fn a_missing_lock_names_the_locks_there_and_the_script() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("requirements")).unwrap();
        for m in ["3.11", "3.10", "3.12"] {
            std::fs::write(d.path().join(format!("requirements/py{m}.txt")), "").unwrap();
        }
        let mut s = py_stack(d.path());
        resolve(&mut s, &interp("3.9.18", false));
        let why = missing_lock(&s).unwrap();
        assert!(
            why.starts_with("no lock for cpython 3.9.18: requirements/py3.9.txt is missing (locks here: Python 3.10, Python 3.11, Python 3.12)"),
            "{why}"
        );
        assert!(why.contains("scripts/lock-python.sh 3.9"), "{why}");
        let mut s = py_stack(d.path());
        resolve(&mut s, &interp("3.11.7", false));
        assert_eq!(missing_lock(&s), None);
    }
}
