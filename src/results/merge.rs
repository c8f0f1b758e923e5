//! Merging the results of a sharded run (`ringside run --shard I/N`): every
//! shard measured its own stacks with the same settings; the merge is one
//! run with every stack, its rounds joined by number. Pure: the caller reads
//! and writes the files.

use std::collections::BTreeMap;

use crate::error::bad_input_msg;

use super::{Results, RoundRecord};

/// The `Settings.extra` key a sharded run records its shard under (`I/N`).
pub const SHARD_KEY: &str = "shard";

/// The shard (`index`, `count`) a results file was measured as, if any.
pub fn shard_of(r: &Results) -> Option<(u32, u32)> {
    let text = r.settings.extra.get(SHARD_KEY)?.as_str()?;
    let (i, n) = text.split_once('/')?;
    Some((i.trim().parse().ok()?, n.trim().parse().ok()?))
}

/// The settings every shard must share: all but the stacks and the shard;
/// of the pinned cores, their number (a node's cpuset names other cores).
fn comparable(r: &Results) -> serde_json::Value {
    let mut s = r.settings.clone();
    s.stacks.clear();
    s.extra.remove(SHARD_KEY);
    s.server_cpus = (0..s.server_cpus.len()).collect();
    s.generator_cpus = (0..s.generator_cpus.len()).collect();
    serde_json::to_value(s).unwrap_or_default()
}

/// A machine's hardware in words: CPU model and the cores the run could use.
fn hardware(m: &super::Machine) -> String {
    let model = if m.cpu_model.is_empty() {
        "unknown CPU"
    } else {
        &m.cpu_model
    };
    format!("{model}, {} cores", m.cores)
}

/// The first field (dotted path) where two JSON values differ.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Option<String> {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let (va, vb) = (
                    x.get(k).unwrap_or(&serde_json::Value::Null),
                    y.get(k).unwrap_or(&serde_json::Value::Null),
                );
                first_difference(va, vb, &format!("{at}.{k}"))
            })
        }
        _ if a == b => None,
        _ => Some(format!("{at} is {a} in one and {b} in the other")),
    }
}

/// Merges the shards `inputs` (name, results) of one sharded run. Refuses
/// (bad input) files that are not shards, shards of different runs (count,
/// settings), a shard given twice and a stack measured by two shards. A
/// missing shard, an unfinished shard and shards measured on different
/// machines are kept as warnings in the merged run.
pub fn merge_results(inputs: &[(String, Results)]) -> anyhow::Result<Results> {
    let Some((first_name, first)) = inputs.first() else {
        return Err(bad_input_msg("nothing to merge".to_string()));
    };
    let mut shards: BTreeMap<u32, &str> = BTreeMap::new();
    let mut count = None;
    for (name, r) in inputs {
        let Some((i, n)) = shard_of(r) else {
            return Err(bad_input_msg(format!(
                "{name}: not a shard of a sharded run (settings.extra.shard is missing): merge the \
                 results.json of `ringside run --shard I/N` runs"
            )));
        };
        if *count.get_or_insert(n) != n {
            return Err(bad_input_msg(format!(
                "{name}: shard {i}/{n}, but {first_name} is a shard of {}: not the same sharded run",
                count.unwrap_or(n)
            )));
        }
        if let Some(other) = shards.insert(i, name) {
            return Err(bad_input_msg(format!(
                "{name}: shard {i}/{n} is given twice (also {other})"
            )));
        }
        if let Some(why) = first_difference(&comparable(first), &comparable(r), "settings") {
            return Err(bad_input_msg(format!(
                "{name}: its settings differ from {first_name}'s ({why}): the shards of one run \
                 share every setting but the stacks"
            )));
        }
    }
    let count = count.unwrap_or(1);
    let mut order: Vec<&(String, Results)> = inputs.iter().collect();
    order.sort_by_key(|(_, r)| shard_of(r).map_or(0, |s| s.0));

    let mut out = first.clone();
    out.settings.extra.remove(SHARD_KEY);
    out.settings
        .extra
        .insert("merged_shards".into(), serde_json::json!(count));
    out.settings.stacks.clear();
    out.stacks.clear();
    out.points.clear();
    out.capacity.clear();
    out.warmups.clear();
    out.rounds.clear();
    out.warnings.clear();
    let mut rounds: BTreeMap<u32, RoundRecord> = BTreeMap::new();
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    let mut hosts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, r) in order {
        let (i, _) = shard_of(r).unwrap_or((0, count));
        for s in &r.stacks {
            if let Some(other) = owner.insert(s.name.clone(), name) {
                return Err(bad_input_msg(format!(
                    "{name}: stack `{}` was also measured by {other}: shards measure disjoint stacks",
                    s.name
                )));
            }
            hosts
                .entry(r.machine.hostname.clone())
                .or_default()
                .push(s.name.clone());
        }
        out.started_at = out.started_at.min(r.started_at);
        out.finished_at = match (out.finished_at, r.finished_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        if r.finished_at.is_none() {
            out.warnings
                .push(format!("shard {i}/{count} ({name}) did not finish"));
        }
        for s in &r.settings.stacks {
            if !out.settings.stacks.contains(s) {
                out.settings.stacks.push(s.clone());
            }
        }
        out.stacks.extend(r.stacks.iter().cloned());
        out.points.extend(r.points.iter().cloned());
        out.capacity.extend(r.capacity.iter().cloned());
        out.warmups.extend(r.warmups.iter().cloned());
        for round in &r.rounds {
            let merged = rounds.entry(round.number).or_insert_with(|| RoundRecord {
                stacks: Vec::new(),
                scenarios: Vec::new(),
                workers_extra: Vec::new(),
                reason: Vec::new(),
                ..round.clone()
            });
            merged.stacks.extend(round.stacks.iter().cloned());
            for sc in &round.scenarios {
                if !merged.scenarios.contains(sc) {
                    merged.scenarios.push(*sc);
                }
            }
            merged
                .workers_extra
                .extend(round.workers_extra.iter().cloned());
            merged.reason.extend(round.reason.iter().cloned());
        }
        out.warnings
            .extend(r.warnings.iter().map(|w| format!("shard {i}/{count}: {w}")));
    }
    out.rounds = rounds.into_values().collect();
    for i in 0..count {
        if !shards.contains_key(&i) {
            out.warnings.push(format!(
                "shard {i}/{count} is missing from the merge: its stacks are not in this run"
            ));
        }
    }
    if hosts.len() > 1 {
        let each: Vec<String> = hosts
            .iter()
            .map(|(h, s)| format!("{h} ({})", s.join(", ")))
            .collect();
        out.warnings.push(format!(
            "the shards ran on {} machines: {}; stacks measured on different machines compare only \
             as far as the machines are alike",
            hosts.len(),
            each.join("; ")
        ));
    }
    // Hosts of one kind (one node type) compare as far as hosts ever do;
    // different hardware makes every cross-shard figure a comparison of the
    // machines too: shown, not evidence.
    let kinds: std::collections::BTreeSet<String> =
        inputs.iter().map(|(_, r)| hardware(&r.machine)).collect();
    if kinds.len() > 1 {
        let machines = kinds.len() as u32;
        for p in &mut out.points {
            p.flags.push(super::Flag::MixedHardware { machines });
        }
        out.warnings.push(format!(
            "the shards ran on {machines} kinds of machine ({}): every figure is flagged and no \
             verdict rests on them; run the shards on one node type (`ringside k8s run \
             --node-selector node.kubernetes.io/instance-type=...`)",
            kinds.into_iter().collect::<Vec<_>>().join("; ")
        ));
    }
    out.command = vec!["ringside".into(), "merge".into()];
    out.command.extend(inputs.iter().map(|(n, _)| n.clone()));
    Ok(out)
}
