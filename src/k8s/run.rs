//! `ringside k8s run --image IMAGE [k8s flags] [run flags]`: writes the
//! Indexed Job that measures a `ringside run` as N shards on N nodes, one
//! stack (or a few) per node so stacks never share a machine, and prints the
//! commands that collect the shards' runs for `ringside merge`.
//!
//! The run flags are those of `ringside run`, validated here as every shard
//! will validate them (on this machine's stacks folder, which is the image's
//! when both come from one checkout), and passed to every pod verbatim.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory as _, Parser};

use super::job::RunJob;
use crate::error::bad_input_msg;
use crate::suite::cli::RunArgs;

/// The flags of `ringside k8s run` that shape the manifest (with `--out`
/// and `--shards` of [`RunArgs`], which mean the manifest's folder and its
/// pod count here).
#[derive(Debug, Clone, Args)]
pub struct K8sRunFlags {
    /// Container image with `ringside`, its stacks installed (`ringside
    /// setup`) and their runtimes (see docs/distributed.md).
    #[arg(long, value_name = "IMAGE")]
    pub image: String,
    /// Name of the Job (and prefix of its pods).
    #[arg(long, default_value = "ringside-run", value_name = "NAME")]
    pub name: String,
    /// Namespace of the Job [default: kubectl's current one].
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// CPU each shard requests and is limited to: whole cores, so that with
    /// the kubelet's static CPU manager the pod gets those cores to itself.
    #[arg(long, default_value = "2", value_name = "QTY")]
    pub cpu: String,
    /// Memory each shard requests and is limited to (a Kubernetes quantity).
    #[arg(long, default_value = "4Gi", value_name = "QTY")]
    pub memory: String,
    /// Kubernetes stops the Job after this long [default: three times the
    /// run's estimate for one shard, plus 20 min for launches].
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DUR")]
    pub deadline: Option<Duration>,
    /// Only nodes with this label, `KEY=VALUE` (repeatable), e.g. a pool kept
    /// for benchmarks.
    #[arg(long, value_name = "KEY=VALUE")]
    pub node_selector: Vec<String>,
    /// Prefer one shard per node instead of requiring it (the shards then
    /// may share a machine; the merge warns when they ran on fewer).
    #[arg(long)]
    pub same_node_ok: bool,
}

/// Flags of [`K8sRunFlags`] (and the two of [`RunArgs`] taken over) that
/// take a value, and those that do not: not passed to the shards.
const VALUE_FLAGS: [&str; 9] = [
    "--image",
    "--name",
    "--namespace",
    "--cpu",
    "--memory",
    "--deadline",
    "--node-selector",
    "--out",
    "--shards",
];
const SWITCH_FLAGS: [&str; 1] = ["--same-node-ok"];

#[derive(Debug, Parser)]
#[command(
    name = "ringside k8s run",
    about = "Write an Indexed Job that measures `ringside run` as N shards on N nodes",
    after_help = "Every other flag is a flag of `ringside run` (see `ringside run --help`), given to each shard.\n\
Example:\n  ringside k8s run --image registry.example/ringside-run:0.1 --node-selector pool=bench \\\n      --stacks node-http,node-fastify,python-fastapi,python-flask --out k8s/"
)]
struct Combined {
    #[command(flatten)]
    k8s: K8sRunFlags,
    #[command(flatten)]
    run: RunArgs,
}

/// The parser, with `--out` and `--shards` described as they act here.
fn command() -> clap::Command {
    // Refused here (a pod cannot honour them): kept parseable for the
    // message, hidden from the help.
    let refused = [
        "resume",
        "force",
        "shard",
        "emit_results",
        "url",
        "pid",
        "extra_stacks",
    ];
    refused
        .into_iter()
        .fold(Combined::command(), |cmd, id| {
            cmd.mut_arg(id, |a| a.hide(true))
        })
        .mut_arg("out", |a| {
            a.help("Write the manifest to DIR/NAME.yaml instead of standard output")
                .value_name("DIR")
        })
        .mut_arg("shards", |a| {
            a.help("Shards (pods, one node each) [default: one per stack of the selection]")
        })
}

/// Runs `ringside k8s run ARGS`.
pub fn run(argv: &[String]) -> anyhow::Result<ExitCode> {
    let Some(combined) = super::parse::<Combined>(command(), argv)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let job = run_job(&combined, argv)?;
    let written = super::write_manifest(&job.name, &job.yaml()?, combined.run.out.as_deref())?;
    eprintln!(
        "(Kubernetes {} or later) apply it, then collect and merge the shards' runs:\n\
         kubectl apply -f {}\n{}",
        super::job::KUBERNETES_VERSION,
        written.map_or("<the manifest>".to_string(), |p| {
            super::job::sh(&p.display().to_string())
        }),
        job.collect_commands()
    );
    Ok(ExitCode::SUCCESS)
}

/// Validates the command line into the Job: the k8s flags, and the run flags
/// as a shard will check them.
fn run_job(c: &Combined, argv: &[String]) -> anyhow::Result<RunJob> {
    let k = &c.k8s;
    let r = &c.run;
    super::check_name(&k.name)?;
    super::check_namespace(k.namespace.as_deref())?;
    super::check_quantities(&k.cpu, &k.memory)?;
    for (given, flag, why) in [
        (
            r.resume.is_some(),
            "--resume",
            "a pod starts its shard afresh",
        ),
        (r.force, "--force", "each pod writes a new run"),
        (
            r.shard.is_some(),
            "--shard",
            "each pod's shard is its completion index; give the count with --shards",
        ),
        (r.emit_results, "--emit-results", "the manifest sets it"),
        (
            r.url.is_some(),
            "--url",
            "a pod measures the image's stacks; measure your server with `ringside k8s load`",
        ),
        (
            !r.extra_stacks.is_empty(),
            "--stack",
            "a manifest path on this machine is not in the image; add the stack to the image's stacks folder and name it with --stacks",
        ),
    ] {
        if given {
            return Err(bad_input_msg(format!(
                "{flag} is not for `ringside k8s run`: {why}"
            )));
        }
    }
    let node_selector = node_selector(&k.node_selector)?;

    // The run flags, checked as every shard will check them; the cores of a
    // node are not this machine's, so the core lists are checked there.
    let scratch = tempfile::tempdir()?;
    let mut probe = r.clone();
    probe.out = Some(scratch.path().join("whole"));
    probe.shards = None;
    probe.tuning.server_cpus.clear();
    probe.tuning.generator_cpus.clear();
    let whole = crate::suite::config::SuiteConfig::from_args(&probe, Vec::new())?;
    let stacks = crate::suite::runner::resolve_stacks(&whole)?;
    let names: Vec<String> = stacks.iter().map(|s| s.name.clone()).collect();
    let shards = match r.shards {
        Some(0) => return Err(bad_input_msg("--shards must be at least 1")),
        Some(n) if n as usize > names.len() => {
            return Err(bad_input_msg(format!(
                "--shards {n}: the selection has only {} stacks ({}), so some shards would have none; use at most {}",
                names.len(),
                names.join(", "),
                names.len()
            )));
        }
        Some(n) => n,
        None => names.len() as u32,
    };
    let per_shard: Vec<Vec<String>> = (0..shards)
        .map(|i| {
            names
                .iter()
                .enumerate()
                .filter(|(j, _)| *j as u32 % shards == i)
                .map(|(_, n)| n.clone())
                .collect()
        })
        .collect();
    probe.out = Some(scratch.path().join("shard"));
    probe.shard = Some(format!("0/{shards}"));
    let shard_cfg = crate::suite::config::SuiteConfig::from_args(&probe, Vec::new())?;
    let most = per_shard.iter().map(Vec::len).max().unwrap_or(1);
    let deadline = k.deadline.unwrap_or_else(|| {
        crate::suite::planned_time(&shard_cfg, most) * 3 + Duration::from_secs(20 * 60)
    });
    Ok(RunJob {
        name: k.name.clone(),
        namespace: k.namespace.clone(),
        image: k.image.clone(),
        shards,
        args: super::pass_through(argv, &VALUE_FLAGS, &SWITCH_FLAGS),
        cpu: k.cpu.clone(),
        memory: k.memory.clone(),
        deadline,
        same_node_ok: k.same_node_ok,
        node_selector,
        stacks: per_shard,
    })
}

/// `KEY=VALUE` labels, checked for the label syntax Kubernetes accepts.
fn node_selector(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let name_ok = |s: &str, max: usize| {
        s.len() <= max
            && (s.is_empty()
                || (s
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                    && s.as_bytes()[0].is_ascii_alphanumeric()
                    && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()))
    };
    let mut out = BTreeMap::new();
    for pair in pairs {
        let ok = pair.split_once('=').filter(|(key, value)| {
            let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
            !name.is_empty()
                && name_ok(name, 63)
                && (prefix.is_empty() || name_ok(prefix, 253))
                && name_ok(value, 63)
        });
        let Some((key, value)) = ok else {
            return Err(bad_input_msg(format!(
                "--node-selector `{pair}` is not a node label KEY=VALUE, e.g. pool=bench or node.kubernetes.io/instance-type=c7i.xlarge"
            )));
        };
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    fn job(text: &str) -> anyhow::Result<RunJob> {
        let a = argv(text);
        let c = super::super::parse::<Combined>(command(), &a)?.unwrap();
        run_job(&c, &a)
    }

    #[test]
    fn the_scanner_knows_every_k8s_flag() {
        super::super::assert_flags_listed(
            K8sRunFlags::augment_args(clap::Command::new("x")),
            &VALUE_FLAGS,
            &SWITCH_FLAGS,
        );
        command().debug_assert();
    }

    #[test]
    fn one_shard_per_stack_and_the_run_flags_passed_on() {
        let ok = job(
            "--image r:1 --stacks node-http,python-flask,rust-axum --scenarios json,db --trials 2 \
             --node-selector pool=bench --out k8s/",
        )
        .unwrap();
        assert_eq!(ok.shards, 3);
        assert_eq!(
            ok.stacks,
            [vec!["node-http"], vec!["python-flask"], vec!["rust-axum"]]
        );
        assert_eq!(
            ok.args,
            argv("--stacks node-http,python-flask,rust-axum --scenarios json,db --trials 2")
        );
        assert_eq!(ok.node_selector["pool"], "bench");
        assert!(ok.deadline > Duration::from_secs(20 * 60));
        let two = job("--image r:1 --stacks node-http,python-flask,rust-axum --shards 2").unwrap();
        assert_eq!(
            two.stacks,
            [vec!["node-http", "rust-axum"], vec!["python-flask"]]
        );
    }

    #[test]
    fn flags_a_pod_cannot_honour_are_refused() {
        for (text, needle) in [
            ("--image r:1 --stacks node-http --shards 2", "only 1 stacks"),
            ("--image r:1 --shards 0", "at least 1"),
            ("--image r:1 --shard 0/2", "completion index"),
            ("--image r:1 --url http://127.0.0.1:1/", "--url"),
            ("--image r:1 --resume x", "--resume"),
            ("--image r:1 --emit-results", "sets it"),
            ("--image r:1 --node-selector pool", "--node-selector `pool`"),
            ("--image r:1 --cpu lots", "--cpu `lots`"),
            ("--image r:1 --name Bad", "--name `Bad`"),
            ("--image r:1 --trials 0", "trials"),
            ("--image r:1 --stacks nosuch", "nosuch"),
            ("--stacks node-http", "--image"),
        ] {
            let err = job(text).unwrap_err();
            assert_eq!(crate::error::exit_code(&err), 2, "{text}: {err:#}");
            assert!(format!("{err:#}").contains(needle), "{text}: {err:#}");
        }
        assert!(node_selector(&["node.kubernetes.io/instance-type=c7i.xlarge".into()]).is_ok());
        assert!(node_selector(&["a=".into()]).is_ok());
        assert!(node_selector(&["-a=b".into()]).is_err());
    }
}
