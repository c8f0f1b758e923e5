//! `setup`: the install stamp (second run is up to date, a changed lockfile
//! reinstalls, a failed install writes no stamp and quotes its output).

use std::path::Path;

use ringside::proc::run::ScriptedSpawner;
use ringside::stack::{self, SetupOpts, SetupOutcome};

fn make_stack(dir: &Path, commands: &str) -> stack::Stack {
    std::fs::write(dir.join("deps.lock"), "left-pad 1.0.0\n").unwrap();
    let manifest = format!(
        r#"
name = "setup-fixture"
language = "other"
framework = "none"
scenarios = ["plaintext"]
[install]
lockfiles = ["deps.lock"]
commands = {commands}
[start]
command = ["true", "{{port}}"]
"#
    );
    let path = dir.join("stack.toml");
    std::fs::write(&path, manifest).unwrap();
    stack::load_manifest(&path).unwrap()
}

fn quiet() -> SetupOpts {
    SetupOpts {
        force: false,
        quiet: true,
    }
}

#[test]
fn stamp_makes_second_run_up_to_date_and_lockfile_change_reinstalls() {
    let dir = tempfile::tempdir().unwrap();
    let st = make_stack(dir.path(), r#"[["sh", "-c", "echo run >> installs.log"]]"#);
    assert!(!stack::is_installed(&st));
    let first = stack::setup(&st, &quiet()).unwrap();
    assert!(matches!(first, SetupOutcome::Installed { .. }), "{first:?}");
    assert!(stack::is_installed(&st));
    assert_eq!(stack::setup(&st, &quiet()).unwrap(), SetupOutcome::UpToDate);
    let runs = || {
        std::fs::read_to_string(dir.path().join("installs.log"))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(runs(), 1);

    std::fs::write(dir.path().join("deps.lock"), "left-pad 1.0.1\n").unwrap();
    assert!(!stack::is_installed(&st));
    assert!(matches!(
        stack::setup(&st, &quiet()).unwrap(),
        SetupOutcome::Installed { .. }
    ));
    assert_eq!(runs(), 2);

    let force = SetupOpts {
        force: true,
        quiet: true,
    };
    assert!(matches!(
        stack::setup(&st, &force).unwrap(),
        SetupOutcome::Installed { .. }
    ));
    assert_eq!(runs(), 3);
}

#[test]
fn failing_install_quotes_its_stderr_and_writes_no_stamp() {
    let dir = tempfile::tempdir().unwrap();
    let st = make_stack(
        dir.path(),
        r#"[["sh", "-c", "echo resolving; echo 'npm ERR! 404 left-pad@9 not found' >&2; exit 4"]]"#,
    );
    let err = stack::setup(&st, &quiet()).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("installing stack setup-fixture"), "{msg}");
    assert!(msg.contains("`sh -c echo resolving;"), "{msg}");
    assert!(msg.contains("(exit status 4)"), "{msg}");
    assert!(msg.contains("npm ERR! 404 left-pad@9 not found"), "{msg}");
    assert!(!dir.path().join(".ringside-installed").exists());
    assert!(!stack::is_installed(&st));
}

#[test]
fn scripted_failure_stops_at_the_failing_command() {
    let dir = tempfile::tempdir().unwrap();
    let st = make_stack(
        dir.path(),
        r#"[["step-one"], ["step-two"], ["step-three"]]"#,
    );
    let spawner = ScriptedSpawner::new([
        ScriptedSpawner::ok(),
        ScriptedSpawner::fail(1, &["E: disk full"]),
    ]);
    let err = stack::setup_with(&st, &quiet(), &spawner).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("`step-two` failed (exit status 1):\n  E: disk full"),
        "{msg}"
    );
    assert_eq!(spawner.calls(), [vec!["step-one"], vec!["step-two"]]);
    assert!(!stack::is_installed(&st));

    // Scripted success: every command runs, the stamp is written.
    let ok = ScriptedSpawner::new([]);
    let out = stack::setup_with(&st, &quiet(), &ok).unwrap();
    assert!(matches!(out, SetupOutcome::Installed { .. }));
    assert_eq!(ok.calls().len(), 3);
    assert!(stack::is_installed(&st));
}

#[test]
fn missing_install_program_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let st = make_stack(dir.path(), r#"[["no-such-installer-xyz", "ci"]]"#);
    let msg = format!("{:#}", stack::setup(&st, &quiet()).unwrap_err());
    assert!(msg.contains("`no-such-installer-xyz` not found"), "{msg}");
}
