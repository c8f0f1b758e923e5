//! "What upgrading the runtime is worth" beside "what switching framework is
//! worth": when a run measured one stack on several versions of its runtime
//! (`ringside run --node 22,24`), each scenario's throughput of the newer
//! version ÷ the oldest, with its interval, next to the spread between the
//! fastest and slowest framework on the same version.

use serde::Serialize;

use crate::report::ws_view::capacity_text;
use crate::results::{Results, StackRecord};
use crate::scenario::Scenario;
use crate::stack::runtime::parse_version;
use crate::stats::Comparison;
use crate::verdict::figures::{Family, Figures, ScenarioFigures, bounded_compare, bounded_ratio};
use crate::verdict::format::{fmt_int, fmt_ratio_ci};

/// One stack, one scenario, one newer runtime version against the oldest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuntimeRow {
    pub scenario: String,
    /// The deployment: `node-http`, `node-http@cluster`.
    pub stack: String,
    /// `node 22.23.5`.
    pub from: String,
    /// `node 24.22.3`.
    pub to: String,
    /// Throughput on each, formatted with the unit.
    pub from_rps: String,
    pub to_rps: String,
    /// `to ÷ from` with its interval: `1.08× [1.02–1.14]`.
    pub upgrade: String,
    /// `faster`, `slower`, `tie`.
    pub verdict: String,
    /// On `to`: fastest ÷ slowest stack of the same runtime and version, with
    /// their names: what switching framework is worth there.
    pub framework_spread: String,
}

/// The runtime of a record, with its exact version: `node 24.22.3`.
pub fn runtime_of(rec: &StackRecord) -> Option<String> {
    let name = runtime_name(rec);
    let v = bare_version(&name, rec.runtime_version.as_deref()?);
    Some(format!("{name} {v}"))
}

/// The version alone: files written before runtimes were named recorded
/// the runtime's own words (`node v22.11.0`, `CPython 3.12.7`, `rustc
/// 1.83.0`), which would read `node node v22.11.0` after the name.
fn bare_version<'a>(name: &str, recorded: &'a str) -> &'a str {
    let v = recorded.trim();
    let v = match v.split_once(' ') {
        Some((word, rest))
            if word.eq_ignore_ascii_case(name)
                || (name == "rust" && word == "rustc")
                || word.eq_ignore_ascii_case("python") =>
        {
            rest.trim_start()
        }
        _ => v,
    };
    match v.strip_prefix('v') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => v,
    }
}

/// The record's runtime by name; older files lack it: the language's default.
fn runtime_name(rec: &StackRecord) -> String {
    rec.runtime
        .clone()
        .unwrap_or_else(|| crate::stack::manifest::default_runtime(&rec.language).to_string())
}

/// The deployment a record measures whatever its runtime: `base[@variant]`.
fn deployment(rec: &StackRecord) -> String {
    let base = rec.base.clone().unwrap_or_else(|| {
        rec.name
            .split(" (")
            .next()
            .unwrap_or(&rec.name)
            .split('@')
            .next()
            .unwrap_or(&rec.name)
            .to_string()
    });
    match &rec.variant {
        Some(v) => format!("{base}@{v}"),
        None => base,
    }
}

fn version_key(runtime: &str) -> Vec<u64> {
    runtime
        .rsplit(' ')
        .next()
        .and_then(|v| parse_version(v.trim_end_matches('t')))
        .unwrap_or_default()
}

/// Every comparison of the run (empty when no stack ran on two versions).
pub fn rows(results: &Results, figures: &Figures) -> Vec<RuntimeRow> {
    // (deployment, runtime name) -> records, oldest version first.
    let mut groups: Vec<(String, Vec<&StackRecord>)> = Vec::new();
    for rec in &results.stacks {
        if runtime_of(rec).is_none() {
            continue;
        }
        let key = format!("{}\0{}", deployment(rec), runtime_name(rec));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(rec),
            None => groups.push((key, vec![rec])),
        }
    }
    let floor = figures.noise.floor(Family::Throughput);
    let mut out = Vec::new();
    for (sc, figs) in &figures.scenarios {
        for (_, recs) in &groups {
            let mut recs = recs.clone();
            recs.sort_by_key(|r| version_key(&runtime_of(r).unwrap_or_default()));
            recs.dedup_by_key(|r| runtime_of(r));
            if recs.len() < 2 {
                continue;
            }
            let find = |r: &StackRecord| figs.iter().find(|f| f.stack == r.name);
            let Some(old) = find(recs[0]) else { continue };
            if *sc == Scenario::WsChat {
                // ws-chat's throughput is the load offered, not a result:
                // what it measures is the capacity at the SLO.
                for new_rec in &recs[1..] {
                    if let Some(row) =
                        capacity_row(*sc, old, recs[0], find(new_rec), new_rec, floor)
                    {
                        out.push(row);
                    }
                }
                continue;
            }
            let Some(a) = old.throughput_rps else {
                continue;
            };
            for new_rec in &recs[1..] {
                let Some(new) = find(new_rec) else { continue };
                let Some(b) = new.throughput_rps else {
                    continue;
                };
                let ratio = bounded_ratio(&b, new.throughput_evidence, &a, old.throughput_evidence);
                let verdict = match bounded_compare(
                    &b,
                    new.throughput_evidence,
                    &a,
                    old.throughput_evidence,
                    floor,
                ) {
                    Comparison::Higher => "faster",
                    Comparison::Lower => "slower",
                    Comparison::Tie => "tie",
                };
                let to = runtime_of(new_rec).unwrap_or_default();
                out.push(RuntimeRow {
                    scenario: sc.name().to_string(),
                    stack: deployment(new_rec),
                    from: runtime_of(recs[0]).unwrap_or_default(),
                    to: to.clone(),
                    from_rps: fmt_int(a.median),
                    to_rps: fmt_int(b.median),
                    upgrade: fmt_ratio_ci(&ratio),
                    verdict: verdict.into(),
                    framework_spread: spread(results, figs, &to, *sc),
                });
            }
        }
    }
    out
}

/// ws-chat: the newer version's capacity at the SLO ÷ the oldest's, as the
/// bracket K7 reads; more or fewer clients only as the ws-chat table ranks
/// (one's lowest pass above the other's lowest failure beyond the floor).
fn capacity_row(
    sc: Scenario,
    old: &ScenarioFigures,
    old_rec: &StackRecord,
    new: Option<&ScenarioFigures>,
    new_rec: &StackRecord,
    floor: f64,
) -> Option<RuntimeRow> {
    let (a, b) = (old.capacity.as_ref()?, new?.capacity.as_ref()?);
    let r = b.ratio_to(a);
    let verdict = if !r.judged {
        "not enough evidence"
    } else if b.ahead_of(a, floor) {
        "more clients"
    } else if a.ahead_of(b, floor) {
        "fewer clients"
    } else {
        "tie"
    };
    Some(RuntimeRow {
        scenario: sc.name().to_string(),
        stack: deployment(new_rec),
        from: runtime_of(old_rec).unwrap_or_default(),
        to: runtime_of(new_rec).unwrap_or_default(),
        from_rps: capacity_text(old),
        to_rps: capacity_text(new?),
        upgrade: fmt_ratio_ci(&r),
        verdict: verdict.into(),
        framework_spread: "—".into(),
    })
}

/// Fastest ÷ slowest stack on `runtime` in this scenario: `1.9× [1.7–2.1] (node-fastify ÷ node-http)`.
fn spread(results: &Results, figs: &[ScenarioFigures], runtime: &str, _sc: Scenario) -> String {
    let on: Vec<&ScenarioFigures> = figs
        .iter()
        .filter(|f| f.throughput_rps.is_some())
        .filter(|f| {
            results
                .stacks
                .iter()
                .any(|r| r.name == f.stack && runtime_of(r).as_deref() == Some(runtime))
        })
        .collect();
    if on.len() < 2 {
        return "—".into();
    }
    let median = |f: &&ScenarioFigures| f.throughput_rps.map_or(0.0, |e| e.median);
    let best = on
        .iter()
        .max_by(|a, b| median(a).total_cmp(&median(b)))
        .expect("two or more");
    let worst = on
        .iter()
        .min_by(|a, b| median(a).total_cmp(&median(b)))
        .expect("two or more");
    let (Some(a), Some(b)) = (best.throughput_rps, worst.throughput_rps) else {
        return "—".into();
    };
    let r = bounded_ratio(&a, best.throughput_evidence, &b, worst.throughput_evidence);
    format!("{} ({} ÷ {})", fmt_ratio_ci(&r), best.stack, worst.stack)
}

/// A record's runtime and the exact versions of the packages its framework
/// names: `node 26.12.1, fastify 5.6.1`.
pub fn versions_of(rec: &StackRecord) -> String {
    let mut parts: Vec<String> = runtime_of(rec).into_iter().collect();
    for word in rec
        .framework
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .map(str::to_ascii_lowercase)
    {
        if let Some(v) = rec.packages.get(&word)
            && !parts.iter().any(|p| p.starts_with(&format!("{word} ")))
        {
            parts.push(format!("{word} {v}"));
        }
    }
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(", ")
    }
}

/// Every stack's versions, one clause each: `node-http: node 26.12.1; python-flask: cpython 3.11.2, flask 3.1.2`.
pub fn summary(results: &Results) -> String {
    let parts: Vec<String> = results
        .stacks
        .iter()
        .map(|r| format!("{}: {}", r.name, versions_of(r)))
        .collect();
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::bare_version;

    #[test]
    fn old_files_runtime_words_are_not_repeated() {
        assert_eq!(bare_version("node", "node v22.11.0"), "22.11.0");
        assert_eq!(bare_version("node", "v20.20.0"), "20.20.0");
        assert_eq!(bare_version("cpython", "CPython 3.12.7"), "3.12.7");
        assert_eq!(bare_version("cpython", "Python 3.11.2"), "3.11.2");
        assert_eq!(bare_version("rust", "rustc 1.83.0"), "1.83.0");
        assert_eq!(bare_version("node", "26.12.1"), "26.12.1");
        assert_eq!(bare_version("bun", "1.4.2"), "1.4.2");
        // Not a version prefix: left as recorded.
        assert_eq!(bare_version("deno", "vendor build"), "vendor build");
    }
}
