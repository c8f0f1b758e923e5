//! Python interpreters the user names with `--python PATH`: what each one is
//! (exact version, free-threaded or not, from the interpreter itself) and the
//! folder its stacks are installed in (`.ringside/runtimes/cpython-VERSION[t]-HASH/`,
//! a venv per stack, keyed by the interpreter's version and the lockfile).

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::proc::run::run_captured;

/// What the interpreter prints about itself: version, GIL state, build flag.
const PROBE: &str = "import sys, sysconfig\nprint(sys.version.split()[0])\ng = getattr(sys, '_is_gil_enabled', None)\nprint('gil-disabled' if g is not None and not g() else 'gil')\nprint('ft-build' if sysconfig.get_config_var('Py_GIL_DISABLED') else 'gil-build')\n";

/// A Python interpreter, as it describes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// The path as given, made absolute.
    pub path: PathBuf,
    /// `sys.version`'s number: `3.13.1`.
    pub version: String,
    /// `sys._is_gil_enabled()` is false: threads run Python in parallel.
    pub free_threaded: bool,
    /// Built with `Py_GIL_DISABLED` (a `3.13t`), whatever the GIL's state now.
    pub free_threaded_build: bool,
}

impl Interpreter {
    /// `cpython 3.13.1` or `cpython 3.13.1t` (free-threaded, GIL off).
    pub fn label(&self) -> String {
        format!(
            "cpython {}{}",
            self.version,
            if self.free_threaded { "t" } else { "" }
        )
    }
}

/// A `--python` value that is no usable interpreter; bad input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum PythonError {
    #[error(
        "--python {path}: not found (give the path of a python3 executable, e.g. ~/.pyenv/versions/3.13.1/bin/python3)"
    )]
    NotFound { path: String },
    #[error("--python {path}: did not describe itself as a Python interpreter: {why}")]
    NotPython { path: String, why: String },
}

/// Runs `path` and reads its version and GIL state.
pub fn probe(path: &Path) -> Result<Interpreter, PythonError> {
    let shown = path.display().to_string();
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if !abs.is_file() {
        return Err(PythonError::NotFound { path: shown });
    }
    let out = run_captured(
        &abs.clone().into_os_string(),
        &["-c".to_string(), PROBE.to_string()],
        Path::new("."),
        &Default::default(),
        Duration::from_secs(30),
    )
    .map_err(|e| PythonError::NotPython {
        path: shown.clone(),
        why: e.to_string(),
    })?;
    let lines: Vec<&str> = out.stdout.lines().map(str::trim).collect();
    let version = lines.first().copied().unwrap_or("");
    let ok = out.success
        && lines.len() >= 3
        && super::runtime::parse_version(version).is_some_and(|v| v.len() >= 2);
    if !ok {
        let why = out
            .stderr
            .lines()
            .chain(out.stdout.lines())
            .find(|l| !l.trim().is_empty())
            .unwrap_or(&out.status)
            .trim()
            .to_string();
        return Err(PythonError::NotPython { path: shown, why });
    }
    Ok(Interpreter {
        path: abs,
        version: version.to_string(),
        free_threaded: lines[1] == "gil-disabled",
        free_threaded_build: lines[2] == "ft-build",
    })
}

/// The folder of the stacks installed against `interp`: one per interpreter
/// version and path, so two interpreters of one version do not share venvs.
pub fn home(root: &Path, interp: &Interpreter) -> PathBuf {
    let mut h = Sha256::new();
    h.update(interp.path.as_os_str().as_encoded_bytes());
    let tag: String = h
        .finalize()
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    let t = if interp.free_threaded_build { "t" } else { "" };
    let dir = root.join(format!("cpython-{}{t}-{tag}", interp.version));
    std::path::absolute(&dir).unwrap_or(dir)
}

/// Makes `home/bin/python3` (and `python`) run `interp`, so a stack's
/// `python3 -m venv .venv` builds its venv on that interpreter.
pub fn prepare_bin(home: &Path, interp: &Interpreter) -> std::io::Result<PathBuf> {
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin)?;
    for name in ["python3", "python"] {
        let link = bin.join(name);
        if std::fs::read_link(&link).ok().as_deref() == Some(interp.path.as_path()) {
            continue;
        }
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&interp.path, &link)?;
    }
    Ok(bin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// `probe` of a script this test has just written: another test's
    /// thread may fork while the file is open for writing, and its child
    /// holds the descriptor until it execs, so running the script can fail
    /// with ETXTBSY for a moment (seen once in a full-suite run).
    fn probe_fresh(p: &Path) -> Result<Interpreter, PythonError> {
        for _ in 0..100 {
            match probe(p) {
                Err(PythonError::NotPython { why, .. }) if why.contains("os error 26") => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                other => return other,
            }
        }
        probe(p)
    }

    /// A script that answers the probe like a free-threaded 3.14 would.
    fn stand_in(dir: &Path, gil: &str, build: &str) -> PathBuf {
        let p = dir.join("python3.14t");
        std::fs::write(
            &p,
            format!("#!/bin/sh\necho 3.14.2\necho {gil}\necho {build}\n"),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn a_free_threaded_interpreter_is_detected() {
        let d = tempfile::tempdir().unwrap();
        let i = probe_fresh(&stand_in(d.path(), "gil-disabled", "ft-build")).unwrap();
        assert_eq!(i.version, "3.14.2");
        assert!(i.free_threaded && i.free_threaded_build);
        assert_eq!(i.label(), "cpython 3.14.2t");
        // A free-threaded build run with PYTHON_GIL=1 has its GIL back.
        let i = probe_fresh(&stand_in(d.path(), "gil", "ft-build")).unwrap();
        assert!(!i.free_threaded && i.free_threaded_build);
        assert_eq!(i.label(), "cpython 3.14.2");
    }

    #[test]
    fn the_host_python_reports_its_gil() {
        let Ok(i) = probe(Path::new("/usr/bin/python3")) else {
            return; // no system Python on this machine
        };
        let v = super::super::runtime::parse_version(&i.version).unwrap();
        assert_eq!(v[0], 3);
        if v[1] < 13 {
            // Free threading exists from 3.13 on.
            assert!(!i.free_threaded && !i.free_threaded_build, "{i:?}");
        }
    }

    #[test]
    fn a_bad_path_says_what_to_give() {
        let err = probe(Path::new("/nonexistent/python3"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--python /nonexistent/python3: not found"),
            "{err}"
        );
        let err = probe(Path::new("/bin/true")).unwrap_err().to_string();
        assert!(err.contains("did not describe itself"), "{err}");
    }

    #[test]
    fn homes_differ_by_interpreter_and_bin_links_it() {
        let d = tempfile::tempdir().unwrap();
        let i = probe_fresh(&stand_in(d.path(), "gil-disabled", "ft-build")).unwrap();
        let h = home(d.path(), &i);
        assert!(
            h.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("cpython-3.14.2t-")
        );
        let mut j = i.clone();
        j.path = PathBuf::from("/other/python3");
        assert_ne!(home(d.path(), &j), h);
        let bin = prepare_bin(&h, &i).unwrap();
        assert_eq!(std::fs::read_link(bin.join("python3")).unwrap(), i.path);
    }
}
