//! `ringside k8s load URL --agents N [load flags]`: writes the Kubernetes
//! manifest that runs one load as N agents on N nodes ([`job`]), and prints
//! the commands that collect their reports for `ringside merge`.
//!
//! The load flags are those of `ringside load`, validated here exactly as an
//! agent will validate them, and passed to every agent verbatim; the agent
//! flags (`--shards`, `--start-at`) are the manifest's to set.

pub mod job;
pub mod run;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::error::bad_input_msg;
use crate::load::cli::LoadArgs;
use crate::load::config::{Schedule, Stop};
use crate::load::shard::{self, AgentFlags, START_FUTURE_BOUND};
use job::{AgentJob, KUBERNETES_VERSION};

/// `ringside k8s ...`.
#[derive(Debug, Args)]
pub struct K8sArgs {
    #[command(subcommand)]
    pub command: K8sCommand,
}

#[derive(Debug, Subcommand)]
pub enum K8sCommand {
    /// Write an Indexed Job running `ringside load` as N agents on N nodes.
    /// Usage: ringside k8s load URL --agents N --image IMAGE [k8s flags] [load flags]
    /// (`ringside k8s load --help` lists both).
    #[command(disable_help_flag = true)]
    Load(K8sLoadArgs),
    /// Write an Indexed Job measuring `ringside run` as N shards on N nodes.
    /// Usage: ringside k8s run --image IMAGE [k8s flags] [run flags]
    /// (`ringside k8s run --help` lists both).
    #[command(disable_help_flag = true)]
    Run(K8sLoadArgs),
}

/// Everything after `ringside k8s load` (or `run`): parsed by its own parser.
#[derive(Debug, Args)]
pub struct K8sLoadArgs {
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "URL [FLAGS]"
    )]
    pub args: Vec<String>,
}

/// The flags of `ringside k8s load` that shape the manifest (the others go to the agents).
#[derive(Debug, Clone, Args)]
pub struct K8sFlags {
    /// Agents (pods), each on its own node; the run is split over them.
    #[arg(long, value_name = "N")]
    pub agents: u32,
    /// Container image with `ringside` on its PATH (see docs/distributed.md).
    #[arg(long, value_name = "IMAGE")]
    pub image: String,
    /// Name of the Job (and prefix of its pods).
    #[arg(long, default_value = "ringside-load", value_name = "NAME")]
    pub name: String,
    /// Namespace of the Job [default: kubectl's current one].
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// CPU each agent requests and is limited to (a Kubernetes quantity).
    #[arg(long, default_value = "1", value_name = "QTY")]
    pub cpu: String,
    /// Memory each agent requests and is limited to (a Kubernetes quantity).
    #[arg(long, default_value = "512Mi", value_name = "QTY")]
    pub memory: String,
    /// Every agent starts this long after the manifest is written: time to apply
    /// it, schedule the pods and pull the image.
    #[arg(long, default_value = "2m", value_parser = humantime::parse_duration, value_name = "DUR")]
    pub start_in: Duration,
    /// Write the manifest to DIR/NAME.yaml instead of standard output.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Prefer one agent per node instead of requiring it (for clusters with fewer nodes).
    #[arg(long)]
    pub same_node_ok: bool,
}

/// Flags of [`K8sFlags`] that take a value, and those that do not: removed
/// from the command line before it is passed to the agents.
const VALUE_FLAGS: [&str; 8] = [
    "--agents",
    "--image",
    "--name",
    "--namespace",
    "--cpu",
    "--memory",
    "--start-in",
    "--out",
];
const SWITCH_FLAGS: [&str; 1] = ["--same-node-ok"];
/// Agent flags the manifest sets itself.
const OWN_FLAGS: [&str; 3] = ["--shard", "--shards", "--start-at"];

/// The whole command line of `ringside k8s load`.
#[derive(Debug, Parser)]
#[command(
    name = "ringside k8s load",
    about = "Write an Indexed Job that runs `ringside load` as N agents on N nodes",
    after_help = "Every other flag is a flag of `ringside load` (see `ringside load --help`), given to each agent.\n\
Example:\n  ringside k8s load http://api.shop.svc:8080/json --agents 4 --image registry.example/ringside:0.1 \\\n      --allow-remote --rate 40000 -d 60s --out k8s/"
)]
struct Combined {
    #[command(flatten)]
    k8s: K8sFlags,
    #[command(flatten)]
    load: LoadArgs,
}

/// Runs `ringside k8s`.
pub fn run(args: K8sArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        K8sCommand::Load(load) => run_load(&load.args, SystemTime::now()),
        K8sCommand::Run(r) => run::run(&r.args),
    }
}

fn run_load(argv: &[String], now: SystemTime) -> anyhow::Result<ExitCode> {
    use clap::CommandFactory as _;
    let Some(combined) = parse::<Combined>(Combined::command(), argv)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let agent_job = agent_job(&combined, argv, now)?;
    write_manifest(
        &agent_job.name,
        &agent_job.yaml()?,
        combined.k8s.out.as_deref(),
    )?;
    eprintln!(
        "(Kubernetes {KUBERNETES_VERSION} or later) apply it before {} (when the agents start), then collect and merge their reports:\n{}",
        agent_job.start_at,
        agent_job.collect_commands()
    );
    Ok(ExitCode::SUCCESS)
}

/// Validates the command line into the Job: the k8s flags, and the load
/// flags as each agent will check them (shard 0 standing for all).
fn agent_job(c: &Combined, argv: &[String], now: SystemTime) -> anyhow::Result<AgentJob> {
    let k = &c.k8s;
    if k.agents == 0 {
        return Err(bad_input_msg("--agents must be at least 1"));
    }
    check_name(&k.name)?;
    check_namespace(k.namespace.as_deref())?;
    check_quantities(&k.cpu, &k.memory)?;
    if k.start_in > START_FUTURE_BOUND {
        return Err(bad_input_msg(format!(
            "--start-in {:?} is beyond the {} s an agent accepts",
            k.start_in,
            START_FUTURE_BOUND.as_secs()
        )));
    }
    if let Some(own) = argv.iter().find(|a| {
        OWN_FLAGS
            .iter()
            .any(|f| *a == f || a.starts_with(&format!("{f}=")))
    }) {
        return Err(bad_input_msg(format!(
            "{own}: the manifest sets each agent's shard and start itself; leave it out (use --agents and --start-in)"
        )));
    }
    let whole = validate_load(&c.load)?;
    let shard0 = AgentFlags {
        shard: Some(format!("0/{}", k.agents)),
        ..Default::default()
    };
    shard::plan_for(&shard0, &whole)?;
    if c.load.ws {
        let rooms = c.load.ws_flags.rooms as u32;
        if rooms < k.agents {
            return Err(bad_input_msg(format!(
                "--rooms {rooms} cannot be split over {} agents: each agent drives whole rooms",
                k.agents
            )));
        }
    }
    // Whole seconds, so every agent's per-second series starts on a wall-clock second.
    let start = now + k.start_in;
    let since_epoch = start
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(since_epoch.as_secs() + 1);
    let run_length = run_length(&c.load, &whole);
    Ok(AgentJob {
        name: k.name.clone(),
        namespace: k.namespace.clone(),
        image: k.image.clone(),
        agents: k.agents,
        args: pass_through(argv, &VALUE_FLAGS, &SWITCH_FLAGS),
        cpu: k.cpu.clone(),
        memory: k.memory.clone(),
        start_at: shard::rfc3339(start).replace(".000000Z", "Z"),
        deadline: k.start_in + run_length + Duration::from_secs(120),
        same_node_ok: k.same_node_ok,
    })
}

/// The load flags checked as `ringside load` checks them (a WebSocket URL as its HTTP twin).
fn validate_load(load: &LoadArgs) -> anyhow::Result<crate::load::LoadConfig> {
    if !load.ws {
        return load.http.to_config(&load.urls);
    }
    let [url] = load.urls.as_slice() else {
        return Err(bad_input_msg(
            "--ws takes exactly one URL, e.g. ws://chat.svc:8080/ws/chat",
        ));
    };
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| bad_input_msg(format!("--ws `{url}`: a WebSocket URL starts with ws://")))?;
    load.http.to_config(&[format!("http://{rest}")])
}

/// How long one agent's run lasts at most (a closed-loop `-n` run: up to an hour).
fn run_length(load: &LoadArgs, cfg: &crate::load::LoadConfig) -> Duration {
    let active = match (cfg.stop, &cfg.schedule) {
        (Stop::Duration(d), _) => d,
        (Stop::Requests(_), Schedule::Open(_)) => crate::load::plan::Plan::for_config(cfg)
            .map_or(Duration::from_secs(3600), |p| p.active_window()),
        (Stop::Requests(_), Schedule::Closed) => Duration::from_secs(3600),
    };
    let tail = if load.ws {
        load.ws_flags.drain
    } else {
        cfg.timeout
    };
    shard::CONNECT_LEAD + cfg.warmup + active + tail
}

/// `argv` parsed by `cmd` into `T`; `None` when clap printed the help or
/// the version (exit 0); a bad flag is bad input (exit 2).
fn parse<T: clap::FromArgMatches>(
    cmd: clap::Command,
    argv: &[String],
) -> anyhow::Result<Option<T>> {
    let name = cmd.get_name().to_string();
    let matches = match cmd.try_get_matches_from(std::iter::once(name).chain(argv.iter().cloned()))
    {
        Ok(m) => m,
        Err(e) if !e.use_stderr() => {
            // `--help | head`: a closed stdout is an io error, not a panic.
            use std::io::Write as _;
            write!(std::io::stdout().lock(), "{e}").context("writing the help")?;
            return Ok(None);
        }
        Err(e) => {
            // clap's text starts with its own `error: `; ours adds one.
            let text = e.render().to_string();
            let text = text.trim_end();
            return Err(bad_input_msg(
                text.strip_prefix("error: ").unwrap_or(text).to_string(),
            ));
        }
    };
    T::from_arg_matches(&matches)
        .map(Some)
        .map_err(|e| bad_input_msg(e.to_string().trim_end().to_string()))
}

/// Writes the manifest to `DIR/NAME.yaml` (returning that path), or to
/// standard output without a folder.
fn write_manifest(
    name: &str,
    yaml: &str,
    dir: Option<&std::path::Path>,
) -> anyhow::Result<Option<PathBuf>> {
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let path = dir.join(format!("{name}.yaml"));
            std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
            Ok(Some(path))
        }
        None => {
            use std::io::Write as _;
            std::io::stdout()
                .lock()
                .write_all(yaml.as_bytes())
                .context("writing the manifest")?;
            Ok(None)
        }
    }
}

/// A Job name: a DNS-1123 label short enough for its pods' names.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 50
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        return Ok(());
    }
    Err(bad_input_msg(format!(
        "--name `{name}`: a Job name is 1–50 lower-case letters, digits and `-`, not starting or ending with `-`"
    )))
}

/// `--namespace`, when given, as Kubernetes takes it: a DNS-1123 label.
fn check_namespace(namespace: Option<&str>) -> anyhow::Result<()> {
    let Some(ns) = namespace else {
        return Ok(());
    };
    let ok = !ns.is_empty()
        && ns.len() <= 63
        && ns
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !ns.starts_with('-')
        && !ns.ends_with('-');
    if ok {
        return Ok(());
    }
    Err(bad_input_msg(format!(
        "--namespace `{}`: a namespace is a DNS-1123 label: 1–63 lower-case letters, digits and `-`, not starting or ending with `-`",
        crate::input::printable(ns, 80)
    )))
}

/// `--cpu` and `--memory` as Kubernetes quantities.
fn check_quantities(cpu: &str, memory: &str) -> anyhow::Result<()> {
    for (flag, value) in [("cpu", cpu), ("memory", memory)] {
        if !is_quantity(value) {
            return Err(bad_input_msg(format!(
                "--{flag} `{value}` is not a Kubernetes quantity like 500m, 2, 512Mi or 1Gi"
            )));
        }
    }
    Ok(())
}

/// The command line minus the manifest's own flags (`value_flags` with their
/// values, `switch_flags`): what every pod runs.
fn pass_through(argv: &[String], value_flags: &[&str], switch_flags: &[&str]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut skip_value = false;
    for arg in argv {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if value_flags.contains(&arg.as_str()) {
            skip_value = true;
        } else if !switch_flags.contains(&arg.as_str())
            && !value_flags
                .iter()
                .any(|f| arg.starts_with(&format!("{f}=")))
        {
            out.push(arg.clone());
        }
    }
    out
}

/// A Kubernetes resource quantity: a decimal number with an optional suffix.
fn is_quantity(text: &str) -> bool {
    const SUFFIXES: [&str; 14] = [
        "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    ];
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    !number.is_empty()
        && number.matches('.').count() <= 1
        && number != "."
        && SUFFIXES.contains(&suffix)
}

/// Every flag of `cmd` is in `value_flags` or `switch_flags` (as it takes a
/// value or not), so [`pass_through`] strips it from the pods' command line.
#[cfg(test)]
fn assert_flags_listed(cmd: clap::Command, value_flags: &[&str], switch_flags: &[&str]) {
    for arg in cmd.get_arguments() {
        let long = format!("--{}", arg.get_long().unwrap());
        let (list, name) = if arg.get_action().takes_values() {
            (value_flags, "VALUE_FLAGS")
        } else {
            (switch_flags, "SWITCH_FLAGS")
        };
        assert!(list.contains(&long.as_str()), "{long} must be in {name}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    fn argv(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_scanner_knows_every_k8s_flag() {
        assert_flags_listed(
            K8sFlags::augment_args(clap::Command::new("x")),
            &VALUE_FLAGS,
            &SWITCH_FLAGS,
        );
        Combined::command().debug_assert();
    }

    #[test]
    fn agents_get_the_load_flags_only() {
        let a = argv(
            "http://t:80/ --agents 3 --rate 900 --image x:1 --same-node-ok --out=d -d 10s --allow-remote",
        );
        assert_eq!(
            pass_through(&a, &VALUE_FLAGS, &SWITCH_FLAGS),
            argv("http://t:80/ --rate 900 -d 10s --allow-remote")
        );
    }

    #[test]
    fn the_job_is_validated_like_an_agent() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let job = |text: &str| {
            let a = argv(text);
            let c =
                Combined::try_parse_from(std::iter::once("k".to_string()).chain(a.iter().cloned()))
                    .unwrap();
            agent_job(&c, &a, now)
        };
        let ok = job("http://api:8080/json --agents 3 --image r:1 --allow-remote --rate 900 -d 30s --start-in 90s").unwrap();
        assert_eq!(ok.start_at, "2027-01-15T08:01:31Z");
        assert_eq!(ok.deadline, Duration::from_secs(90 + 2 + 30 + 10 + 120));
        assert_eq!(
            ok.args,
            argv("http://api:8080/json --allow-remote --rate 900 -d 30s")
        );
        for (text, needle) in [
            ("http://api:8080/ --agents 3 --image r:1", "--allow-remote"),
            (
                "http://127.0.0.1:1/ --agents 3 --image r:1 -c 2",
                "cannot be split over 3 agents",
            ),
            (
                "http://127.0.0.1:1/ --agents 2 --image r:1 --shard 0/2",
                "sets each agent's shard",
            ),
            (
                "http://127.0.0.1:1/ --agents 2 --image r:1 --cpu lots",
                "--cpu `lots`",
            ),
            (
                "http://127.0.0.1:1/ --agents 2 --image r:1 --name Bad_Name",
                "--name `Bad_Name`",
            ),
            ("http://127.0.0.1:1/ --agents 0 --image r:1", "--agents"),
            (
                "http://127.0.0.1:1/ --agents 2 --image r:1 --namespace x;y",
                "--namespace `x;y`: a namespace is a DNS-1123 label",
            ),
            (
                "http://127.0.0.1:1/ --agents 2 --image r:1 --namespace Team",
                "--namespace `Team`",
            ),
            (
                "--ws ws://127.0.0.1:1/ws/chat --agents 4 --image r:1 --rooms 2",
                "--rooms 2",
            ),
        ] {
            let err = job(text).unwrap_err();
            assert_eq!(crate::error::exit_code(&err), 2, "{text}");
            assert!(format!("{err:#}").contains(needle), "{text}: {err:#}");
        }
        let a = argv("http://127.0.0.1:1/ --agents 2 --image r:1 -d 5s --namespace load-test-1");
        let c = Combined::try_parse_from(std::iter::once("k".to_string()).chain(a.iter().cloned()))
            .unwrap();
        let commands = agent_job(&c, &a, now).unwrap().collect_commands();
        assert!(
            commands.contains("kubectl -n load-test-1 wait"),
            "{commands}"
        );
        assert!(check_namespace(Some(&"a".repeat(63))).is_ok());
        assert!(check_namespace(Some(&"a".repeat(64))).is_err());
        assert!(check_namespace(Some("-a")).is_err() && check_namespace(Some("")).is_err());
        assert!(
            is_quantity("500m")
                && is_quantity("1.5")
                && is_quantity("512Mi")
                && !is_quantity("1x")
                && !is_quantity("")
        );
    }
}
