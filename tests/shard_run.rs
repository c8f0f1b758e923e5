//! The matrix, sharded: `ringside run --shard I/N` measures its share of the
//! stacks, `ringside merge` of the shards' folders gives one run that the
//! reports accept, with the cells of an unsharded run of the same settings.

mod suite_support;

use std::collections::BTreeMap;
use std::path::Path;

use ringside::results::Results;
use suite_support::*;

const SMALL: &[&str] = &[
    "--scenarios",
    "plaintext,json",
    "--trials",
    "2",
    "--slices",
    "1",
    "--duration",
    "300ms",
    "--warmup",
    "100ms",
    "--concurrency",
    "4",
    "--rates",
    "20",
    "--capacity-steps",
    "0",
];

fn run(out: &Path, tag: &str, extra: &[&str]) -> std::process::Output {
    let py = fixture("suite-py");
    let node = fixture("suite-node");
    run_cmd(out, tag, SMALL)
        .args(["--stack", py.to_str().unwrap()])
        .args(["--stack", node.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

fn merge(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ringside"))
        .arg("merge")
        .args(args)
        .output()
        .unwrap()
}

/// Points per cell: (stack, scenario, kind, trial, slice) → count.
fn cells(r: &Results) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in &r.points {
        let key = format!(
            "{} {} {:?} {} {}",
            p.stack, p.scenario, p.kind, p.trial, p.slice
        );
        *m.entry(key).or_insert(0) += 1;
    }
    m
}

#[test]
fn two_shards_merge_into_the_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let tag = tag();
    let whole = tmp.path().join("whole");
    let s0 = tmp.path().join("shard-0");
    let s1 = tmp.path().join("shard-1");
    for (out, extra) in [
        (&whole, vec![]),
        (&s0, vec!["--shard", "0/2"]),
        (&s1, vec!["--shard", "1/2"]),
    ] {
        let o = run(out, &tag, &extra);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (_, a) = read_results(&s0);
    let (_, b) = read_results(&s1);
    assert_eq!(a.stacks.len(), 1, "one stack a shard");
    assert_eq!(b.stacks.len(), 1);
    assert_ne!(a.stacks[0].name, b.stacks[0].name);

    let merged = tmp.path().join("merged");
    let o = merge(&[
        s1.to_str().unwrap(),
        s0.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(merged.join("report.html").is_file());
    assert!(merged.join("summary.md").is_file());
    let (doc, m) = read_results(&merged);
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    let (_, w) = read_results(&whole);
    let names = |r: &Results| {
        let mut v: Vec<String> = r.stacks.iter().map(|s| s.name.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(names(&m), names(&w));
    assert_eq!(cells(&m), cells(&w), "the same cells, point for point");
    assert_eq!(m.rounds.len(), w.rounds.len());
    for (x, y) in m.rounds.iter().zip(&w.rounds) {
        let (mut xs, mut ys) = (x.stacks.clone(), y.stacks.clone());
        xs.sort();
        ys.sort();
        assert_eq!(xs, ys, "round {}", x.number);
    }
    // `report` and `compare` accept it.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(["compare"])
        .arg(whole.join("results.json"))
        .arg(merged.join("results.json"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Refused: a shard twice, a run that is not a shard, no --out.
    for (args, needle) in [
        (
            vec![s0.to_str().unwrap(), s0.to_str().unwrap(), "--out"],
            "given twice",
        ),
        (
            vec![whole.to_str().unwrap(), s0.to_str().unwrap(), "--out"],
            "not a shard",
        ),
    ] {
        let dir = tmp.path().join("refused");
        let mut a = args.clone();
        a.push(dir.to_str().unwrap());
        let o = merge(&a);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{err}");
        assert!(!dir.join("results.json").exists());
    }
    let o = merge(&[s0.to_str().unwrap(), s1.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"));
    assert!(tagged_processes(&tag).is_empty());
}

#[test]
fn a_shard_with_no_stack_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = run(&out, &tag(), &["--shard", "2/3"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("only 2 stacks"), "{err}");
    let o = run(&out, &tag(), &["--shard", "3/3"]);
    assert_eq!(o.status.code(), Some(2));
}
