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

/// `ringside run` of the small suite on both fixture stacks into `out`.
fn small_run(out: &Path, tag: &str, extra: &[&str]) -> std::process::Command {
    let py = fixture("suite-py");
    let node = fixture("suite-node");
    let mut cmd = run_cmd(out, tag, SMALL);
    cmd.args(["--stack", py.to_str().unwrap()])
        .args(["--stack", node.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .args(extra);
    cmd
}

fn run(out: &Path, tag: &str, extra: &[&str]) -> std::process::Output {
    small_run(out, tag, extra).output().unwrap()
}

fn merge(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ringside"))
        .arg("merge")
        .args(args)
        .output()
        .unwrap()
}

/// `ringside merge A B --out OUT`.
fn merge_into(a: &Path, b: &Path, out: &Path) -> std::process::Output {
    merge(&[
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
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
    for (out, extra) in [(&whole, vec![]), (&s0, vec!["--shard", "0/2"])] {
        let o = run(out, &tag, &extra);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // Shard 1 as a Kubernetes pod runs it: its index from JOB_COMPLETION_INDEX,
    // the run printed after its progress, stdout and stderr in one log.
    let log = tmp.path().join("shard-1.log");
    let file = std::fs::File::create(&log).unwrap();
    let status = small_run(&s1, &tag, &["--shards", "2", "--emit-results"])
        .env("JOB_COMPLETION_INDEX", "1")
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .unwrap();
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{log_text}");
    assert!(
        log_text.contains("==> results.json <==\n{"),
        "the run is printed after its marker: {log_text}"
    );
    let (_, a) = read_results(&s0);
    let (_, b) = read_results(&s1);
    assert_eq!(a.stacks.len(), 1, "one stack a shard");
    assert_eq!(b.stacks.len(), 1);
    assert_ne!(a.stacks[0].name, b.stacks[0].name);

    assert_eq!(
        a.settings.extra["shard"], "0/2",
        "shard 0 recorded as given by --shard"
    );
    assert_eq!(
        b.settings.extra["shard"], "1/2",
        "and 1 from the pod's index"
    );

    let merged = tmp.path().join("merged");
    let o = merge_into(&log, &s0, &merged);
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

    // Nodes pin other cores (a pod's cpuset): the shards still merge; any
    // other setting that differs is refused, named.
    let (mut doc, _) = read_results(&s0);
    doc["settings"]["server_cpus"] = serde_json::json!([6]);
    doc["settings"]["generator_cpus"] = serde_json::json!([7]);
    let moved = tmp.path().join("shard-0-moved.json");
    std::fs::write(&moved, doc.to_string()).unwrap();
    let o = merge_into(&moved, &s1, &tmp.path().join("merged-moved"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, same) = read_results(&tmp.path().join("merged-moved"));
    let mixed = |r: &Results| {
        r.points
            .iter()
            .filter(|p| {
                p.flags
                    .iter()
                    .any(|f| matches!(f, ringside::results::Flag::MixedHardware { .. }))
            })
            .count()
    };
    assert_eq!(mixed(&same), 0, "one kind of machine: nothing flagged");
    // Another CPU: every figure is flagged, the run says why, the reports read it.
    doc["machine"]["cpu_model"] = serde_json::json!("Other CPU 9000");
    std::fs::write(&moved, doc.to_string()).unwrap();
    let other = tmp.path().join("merged-other");
    let o = merge_into(&moved, &s1, &other);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (doc_other, r_other) = read_results(&other);
    assert!(
        schema_errors(&doc_other).is_empty(),
        "{:#?}",
        schema_errors(&doc_other)
    );
    assert_eq!(mixed(&r_other), r_other.points.len());
    assert!(
        r_other
            .warnings
            .iter()
            .any(|w| w.contains("2 kinds of machine")),
        "{:?}",
        r_other.warnings
    );
    assert!(other.join("report.html").is_file());
    doc["machine"] = serde_json::to_value(&a.machine).unwrap();
    doc["settings"]["slo_ms"] = serde_json::json!(50.0);
    std::fs::write(&moved, doc.to_string()).unwrap();
    let o = merge_into(&moved, &s1, &tmp.path().join("merged-slo"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("settings.slo_ms"), "{err}");
    // A log cut short before the run's end names the file and why.
    let cut = tmp.path().join("cut.log");
    std::fs::write(
        &cut,
        &log_text[..log_text.len() / 2 + log_text.find("==> results").unwrap() / 2],
    )
    .unwrap();
    let o = merge_into(&cut, &s0, &tmp.path().join("merged-cut"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cut.log") && err.contains("cut short"),
        "{err}"
    );
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
