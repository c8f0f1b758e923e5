//! spec/fairness.md R17: every launched stack runs with glibc's malloc
//! thresholds pinned, unless its manifest sets its own.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ringside::stack::{self, LaunchOpts};

fn fixture() -> stack::Stack {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks/py-basic/stack.toml");
    stack::load_manifest(&path).expect("fixture manifest")
}

/// The launched server's own environment, as the kernel holds it.
async fn launched_env(st: &stack::Stack) -> BTreeMap<String, String> {
    let running = stack::launch(st, &LaunchOpts::default()).await.unwrap();
    let raw = std::fs::read(format!("/proc/{}/environ", running.pid())).unwrap();
    running.stop().await.unwrap();
    raw.split(|b| *b == 0)
        .filter_map(|kv| {
            let kv = String::from_utf8_lossy(kv);
            let (k, v) = kv.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

#[tokio::test]
async fn a_launched_stack_runs_with_both_thresholds_pinned() {
    let env = launched_env(&fixture()).await;
    assert_eq!(
        env.get("MALLOC_MMAP_THRESHOLD_").map(String::as_str),
        Some("33554432")
    );
    assert_eq!(
        env.get("MALLOC_TRIM_THRESHOLD_").map(String::as_str),
        Some("67108864")
    );
}

#[tokio::test]
async fn a_manifest_that_sets_its_own_keeps_it_and_gets_neither_of_ours() {
    let mut st = fixture();
    st.env
        .insert("MALLOC_TRIM_THRESHOLD_".into(), "131072".into());
    let env = launched_env(&st).await;
    assert_eq!(
        env.get("MALLOC_TRIM_THRESHOLD_").map(String::as_str),
        Some("131072")
    );
    assert_eq!(env.get("MALLOC_MMAP_THRESHOLD_"), None);
}
