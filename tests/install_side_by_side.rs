//! `ringside setup` installs several stacks side by side and prints each
//! install's duration; a Python stack installs the lock of its interpreter's
//! minor version, and an interpreter without one is told how to write it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod scratch_support;
use scratch_support::{ringside, script};

/// A stack whose install is `install` (one command) and whose lockfile is `lock`.
fn stack(scratch: &Path, name: &str, language: &str, lock: &str, install: &str) -> PathBuf {
    let dir = scratch.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("stack.toml");
    std::fs::write(
        &manifest,
        format!(
            r#"name = "{name}"
language = "{language}"
framework = "app"
scenarios = ["plaintext"]
[install]
lockfiles = ["{lock}"]
commands = [{install}]
[start]
command = ["true", "{{port}}"]
"#
        ),
    )
    .unwrap();
    manifest
}

#[test]
fn setup_installs_side_by_side_and_prints_each_duration() {
    let d = tempfile::tempdir().unwrap();
    let mut cmd = ringside(d.path());
    // Three at once, whatever the machine's cores (two or fewer default to one).
    cmd.args(["setup", "--jobs", "3"]);
    for name in ["a", "b", "c"] {
        std::fs::create_dir_all(d.path().join(name)).unwrap();
        std::fs::write(d.path().join(name).join("lock"), name).unwrap();
        cmd.arg("--stack")
            .arg(stack(d.path(), name, "other", "lock", r#"["sleep", "1"]"#));
    }
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let wall = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Three 1 s installs one after the other take 3 s.
    assert!(wall < Duration::from_millis(2700), "{wall:?}\n{text}");
    for name in ["a", "b", "c"] {
        assert!(text.contains(&format!("{name}: installed in 1.")), "{text}");
    }
    assert!(text.contains("install durations (side by side):"), "{text}");
    assert!(text.contains("3 installs in"), "{text}");
    assert!(text.contains("one after the other"), "{text}");
}

/// A stand-in python3 that answers ringside's probe as `version` and, as a
/// venv's pip, records the requirements file it was given.
fn stand_in_python(scratch: &Path, version: &str) -> PathBuf {
    let bin = scratch.join(format!("py{version}"));
    std::fs::create_dir_all(&bin).unwrap();
    let py = bin.join("python3");
    script(
        &py,
        &format!(
            "case \"$1\" in -c) echo {version}; echo gil; echo gil-build;; *) echo \"$@\" > installed-with;; esac\n"
        ),
    );
    py
}

#[test]
fn a_python_stack_installs_the_lock_of_its_interpreter_minor() {
    let d = tempfile::tempdir().unwrap();
    let py = stand_in_python(d.path(), "3.12.1");
    let manifest = stack(
        d.path(),
        "py-app",
        "python",
        "requirements/py{python_minor}.txt",
        r#"["python3", "-m", "pip", "install", "--require-hashes", "-r", "requirements/py{python_minor}.txt"]"#,
    );
    let dir = manifest.parent().unwrap().to_path_buf();
    std::fs::create_dir_all(dir.join("requirements")).unwrap();
    for m in ["3.11", "3.12"] {
        std::fs::write(dir.join(format!("requirements/py{m}.txt")), m).unwrap();
    }
    let out = ringside(d.path())
        .args(["setup", "--python"])
        .arg(&py)
        .arg("--stack")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Installed in the interpreter's own copy of the stack.
    let copy = std::fs::read_dir(d.path().join("runtimes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("cpython-3.12.1-")
        })
        .unwrap()
        .join("stacks/py-app");
    let args = std::fs::read_to_string(copy.join("installed-with")).unwrap();
    assert_eq!(
        args.trim(),
        "-m pip install --require-hashes -r requirements/py3.12.txt"
    );

    // An interpreter without a lock: the install fails saying how to write one.
    let old = stand_in_python(d.path(), "3.9.18");
    let out = ringside(d.path())
        .args(["setup", "--python"])
        .arg(&old)
        .arg("--stack")
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no lock for cpython 3.9.18: requirements/py3.9.txt is missing (locks here: Python 3.11, Python 3.12)"),
        "{err}"
    );
    assert!(err.contains("scripts/lock-python.sh 3.9"), "{err}");
}

#[test]
fn every_built_in_python_stack_has_a_hashed_lock_for_each_supported_minor() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks");
    for name in ["python-django", "python-fastapi", "python-flask"] {
        let toml = std::fs::read_to_string(root.join(name).join("stack.toml")).unwrap();
        assert!(toml.contains("requirements/py{python_minor}.txt"), "{name}");
        assert!(toml.contains("--require-hashes"), "{name}");
        for m in ["3.10", "3.11", "3.12", "3.13", "3.14"] {
            let lock = root.join(name).join(format!("requirements/py{m}.txt"));
            let text = std::fs::read_to_string(&lock)
                .unwrap_or_else(|_| panic!("{} missing", lock.display()));
            let pins: Vec<&str> = text
                .lines()
                .filter(|l| !l.starts_with([' ', '#']) && l.contains("=="))
                .collect();
            assert!(!pins.is_empty(), "{}", lock.display());
            // Exact: no environment markers left to choose a version at install.
            assert!(
                pins.iter()
                    .all(|p| !p.contains("python_version") && !p.contains("python_full_version")),
                "{}: {pins:?}",
                lock.display()
            );
            assert!(text.contains("--hash=sha256:"), "{}", lock.display());
        }
    }
}
