//! The manifests `ringside k8s load` writes validate against the Kubernetes
//! schemas of the version they are typed for (offline, with the PyPI package
//! `kubernetes-validate` in the project's `.venv-tools`, which
//! `scripts/install-tools.sh` makes and `scripts/test.sh` runs first).

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::cargo_bin;
use ringside::k8s::job::KUBERNETES_VERSION;

fn render(dir: &Path, args: &[&str]) {
    render_kind(dir, "load", args);
}

fn render_kind(dir: &Path, kind: &str, args: &[&str]) {
    let out = Command::new(cargo_bin("ringside"))
        .args(["k8s", kind])
        .args(args)
        .arg("--out")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ringside merge"),
        "the collect commands are printed: {stderr}"
    );
}

#[test]
fn rendered_manifests_validate_against_the_kubernetes_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let image = "registry.example/ringside:0.1";
    render(
        dir.path(),
        &[
            "http://api.shop.svc:8080/json",
            "--agents",
            "3",
            "--image",
            image,
            "--allow-remote",
            "--rate",
            "3000",
            "-d",
            "30s",
        ],
    );
    render(
        dir.path(),
        &[
            "--ws",
            "ws://chat.shop.svc:8080/ws/chat",
            "--clients",
            "6000",
            "--rooms",
            "600",
            "-d",
            "20s",
            "--agents",
            "4",
            "--image",
            image,
            "--allow-remote",
            "--same-node-ok",
            "--name",
            "chat-agents",
            "--namespace",
            "load",
            "--cpu",
            "1500m",
            "--memory",
            "1Gi",
        ],
    );
    render(
        dir.path(),
        &[
            "http://127.0.0.1:8080/",
            "-n",
            "100000",
            "-c",
            "64",
            "--agents",
            "2",
            "--image",
            image,
            "--name",
            "count-agents",
        ],
    );
    // The sharded benchmark matrix: one stack per node.
    render_kind(
        dir.path(),
        "run",
        &[
            "--image",
            "registry.example/ringside-run:0.1",
            "--stacks",
            "node-http,python-fastapi,rust-axum",
            "--trials",
            "3",
            "--node-selector",
            "pool=bench",
            "--namespace",
            "bench",
        ],
    );
    render_kind(
        dir.path(),
        "run",
        &[
            "--image",
            "registry.example/ringside-run:0.1",
            "--name",
            "matrix-pg",
            "--db",
            "postgres",
            "--shards",
            "2",
            "--same-node-ok",
            "--deadline",
            "3h",
        ],
    );
    let run_yaml = std::fs::read_to_string(dir.path().join("ringside-run.yaml")).unwrap();
    for needle in [
        "#   shard 0: node-http\n",
        "completionMode: Indexed",
        "completions: 3",
        "- --shards\n        - '3'",
        "- --emit-results",
        "pool: bench",
        "mountPath: /results",
    ] {
        assert!(run_yaml.contains(needle), "{needle} in {run_yaml}");
    }
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 5, "{files:?}");

    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-tools/bin/kubernetes-validate");
    if !tool.exists() {
        println!(
            "skipped: {} is absent — run scripts/install-tools.sh (scripts/test.sh does) to validate the manifests",
            tool.display()
        );
        return;
    }
    let version = format!("{KUBERNETES_VERSION}.0");
    let out = Command::new(&tool)
        .args(["--strict", "-k", &version])
        .args(&files)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert_eq!(
        text.matches("passed for resource job/").count(),
        5,
        "{text}"
    );
    assert!(
        text.contains(&format!("against version {KUBERNETES_VERSION}")),
        "{text}"
    );
}

#[test]
fn help_into_a_closed_pipe_and_bad_flags_exit_cleanly() {
    for kind in ["load", "run"] {
        let mut child = Command::new(cargo_bin("ringside"))
            .args(["k8s", kind, "--help"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // `| head` that has already quit
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{kind}: {err}");
        assert_eq!(out.status.code(), Some(0), "{kind}: {err}");

        let out = Command::new(cargo_bin("ringside"))
            .args(["k8s", kind, "--image", "r:1", "--bogus"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{kind}: {err}");
        assert!(
            err.starts_with("error: unexpected argument '--bogus'"),
            "{kind}: {err}"
        );
    }
}
