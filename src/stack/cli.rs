//! `ringside stacks` and `ringside setup`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::{RuntimeStatus, SetupOpts, SetupOutcome, Stack};

/// Flags of `ringside stacks`.
#[derive(Debug, Args)]
pub struct StacksArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also list this stack (path to its stack.toml); repeatable.
    #[arg(long = "stack", value_name = "STACK_TOML")]
    pub manifests: Vec<PathBuf>,
    /// Print the deployment-facts block of this stack's README (generated
    /// from its stack.toml) instead of the list.
    #[arg(long, value_name = "NAME")]
    pub facts: Option<String>,
    /// Runtimes: Node.js versions, Python interpreters.
    #[command(flatten)]
    pub runtimes: super::bind::RuntimeArgs,
}

/// Flags of `ringside setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Stacks to install (default: every stack whose runtime is present).
    pub stacks: Vec<String>,
    /// Reinstall even when the lockfiles have not changed.
    #[arg(long)]
    pub force: bool,
    /// Install this stack (path to its stack.toml); repeatable.
    #[arg(long = "stack", value_name = "STACK_TOML")]
    pub manifests: Vec<PathBuf>,
    /// Do not echo the install commands' output (never echoed when
    /// several stacks install side by side).
    #[arg(long, short)]
    pub quiet: bool,
    /// Installs at once (1: one stack after another; default 1 on two
    /// cores or fewer, where side by side measured slower, else 3).
    #[arg(long, short, value_name = "N", default_value_t = super::setup_many::default_lanes() as u16,
          value_parser = clap::value_parser!(u16).range(1..=16))]
    pub jobs: u16,
    /// Runtimes: Node.js versions, Python interpreters.
    #[command(flatten)]
    pub runtimes: super::bind::RuntimeArgs,
}

/// The built-in stacks plus the `--stack` manifests; names must be unique.
pub fn load_stacks(manifests: &[PathBuf]) -> anyhow::Result<Vec<Stack>> {
    let root = super::stacks_root();
    let mut stacks = if root.is_dir() {
        super::discover(&root)?
    } else {
        Vec::new()
    };
    for path in manifests {
        let stack = super::load_manifest(path)?;
        if let Some(other) = stacks.iter().find(|s| s.name == stack.name) {
            return Err(crate::error::bad_input(super::ManifestError::Duplicate {
                file: path.display().to_string(),
                value: stack.name.clone(),
                other: other.manifest.display().to_string(),
            }));
        }
        stacks.push(stack);
    }
    Ok(stacks)
}

/// Runtime checks of every stack, run in parallel (each starts a process).
fn runtime_statuses(stacks: &[Stack]) -> Vec<RuntimeStatus> {
    std::thread::scope(|s| {
        let handles: Vec<_> = stacks
            .iter()
            .map(|st| s.spawn(move || super::runtime_status(st)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or(RuntimeStatus::Missing {
                    reason: "runtime check panicked".into(),
                })
            })
            .collect()
    })
}

#[derive(Serialize)]
struct StackRow<'a> {
    name: &'a str,
    base: &'a str,
    variant: Option<&'a str>,
    /// The runtime by name (`node`, `bun`, `cpython`, ...).
    runtime_name: &'a str,
    /// In `ringside run` without `--stacks`.
    default_run: bool,
    /// The version `[runtime] version_command` reports (a runtime the install brings).
    installed_version: Option<String>,
    /// The runtime chosen for it (`--node`, `--python`); none: the host's.
    binding: Option<&'a super::bind::Binding>,
    /// Runs on a Python whose GIL is disabled.
    free_threaded: bool,
    language: &'a str,
    framework: &'a str,
    description: &'a str,
    dir: &'a std::path::Path,
    runtime: &'a RuntimeStatus,
    installed: bool,
    /// What is missing from an install whose stamp matches (`None`: whole or not installed).
    damaged: Option<String>,
    scenarios: Vec<&'static str>,
    unsupported: &'a BTreeMap<String, String>,
    databases: &'a BTreeMap<String, String>,
    /// `http/1.1` or `h2c`: what health checks, verify and loads speak to it.
    protocol: &'static str,
    /// HTTP/2 streams the harness keeps in flight a connection (1 for HTTP/1.1).
    streams: u32,
}

pub fn list(args: StacksArgs) -> anyhow::Result<ExitCode> {
    if let Some(name) = &args.facts {
        let all = load_stacks(&args.manifests)?;
        let stack = super::find(&all, name).map_err(crate::error::bad_input)?;
        let base = all.iter().find(|s| s.name == stack.base).unwrap_or(&stack);
        write!(
            std::io::stdout().lock(),
            "{}",
            super::facts::readme_block(base)
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let choice = args.runtimes.choice()?;
    let bound = super::bind::bind(
        &load_stacks(&args.manifests)?,
        &choice,
        &super::node::runtimes_root(),
    )?;
    let stacks = super::deployments(&bound);
    let statuses = runtime_statuses(&stacks);
    // Checked once a stack (a venv check runs its interpreter).
    let states: BTreeMap<String, super::InstallState> = stacks
        .iter()
        .map(|s| (s.name.clone(), super::install_state(s)))
        .collect();
    let state_of = |s: &Stack| states[&s.name].clone();
    // Installed: the versions that are there, not the manifest's.
    let frameworks: BTreeMap<String, String> = stacks
        .iter()
        .map(|s| {
            let label = match state_of(s) {
                super::InstallState::Installed => {
                    super::framework::installed_label(&s.framework, &super::packages(s))
                }
                _ => s.framework.clone(),
            };
            (s.name.clone(), label)
        })
        .collect();
    let rows: Vec<StackRow> = stacks
        .iter()
        .zip(&statuses)
        .map(|(s, rt)| StackRow {
            name: &s.name,
            base: &s.base,
            variant: s.variant.as_deref(),
            runtime_name: &s.runtime_name,
            binding: s.binding.as_ref(),
            free_threaded: s.binding.as_ref().is_some_and(|b| b.free_threaded),
            default_run: s.default_run,
            installed_version: s
                .runtime
                .as_ref()
                .and_then(|rt| rt.version_command.as_ref())
                .and_then(|_| super::runtime::installed_version(s)),
            language: &s.language,
            framework: &frameworks[&s.name],
            description: &s.description,
            dir: &s.dir,
            runtime: rt,
            installed: state_of(s) == super::InstallState::Installed,
            damaged: match state_of(s) {
                super::InstallState::Damaged(why) => Some(why),
                _ => None,
            },
            scenarios: s.scenarios.iter().map(|sc| sc.name()).collect(),
            unsupported: &s.unsupported,
            databases: &s.databases,
            protocol: s.protocol.name(),
            streams: s.streams,
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        let text = serde_json::to_string_pretty(&rows)?;
        writeln!(out, "{text}")?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        writeln!(
            out,
            "no stacks found in {} (set RINGSIDE_STACKS_DIR or pass --stack)",
            super::stacks_root().display()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header([
        "stack",
        "language",
        "framework",
        "runtime",
        "default run",
        "installed",
        "scenarios",
    ]);
    for r in &rows {
        let mut runtime = match r.runtime {
            RuntimeStatus::Present { version } => match &r.installed_version {
                Some(v) => format!("{} {v}", r.runtime_name),
                None => format!("{} {version}", r.runtime_name),
            },
            RuntimeStatus::Missing { reason } => format!("{}: missing: {reason}", r.runtime_name),
        };
        match r.binding {
            Some(b) if b.managed => runtime.push_str(" (from npm)"),
            Some(_) => runtime.push_str(" (--python)"),
            None if r.runtime_name == "node" || r.runtime_name == "cpython" => {
                runtime.push_str(" (host)")
            }
            None => {}
        }
        if r.free_threaded {
            runtime.push_str(", free-threaded: GIL disabled");
        }
        table.add_row([
            if r.protocol == "http/1.1" {
                r.name.to_string()
            } else {
                format!("{} ({}, {} streams)", r.name, r.protocol, r.streams)
            },
            r.language.to_string(),
            r.framework.to_string(),
            runtime,
            if r.default_run { "yes" } else { "no" }.to_string(),
            match (&r.damaged, r.installed) {
                (Some(why), _) => {
                    format!("damaged ({why}) — run `ringside setup --force {}`", r.base)
                }
                (None, true) => "yes".to_string(),
                (None, false) => "no".to_string(),
            },
            scenario_cell(r),
        ]);
    }
    writeln!(out, "{table}")?;
    Ok(ExitCode::SUCCESS)
}

/// The scenarios a deployment serves, then those it says it cannot.
fn scenario_cell(r: &StackRow) -> String {
    let unsupported: Vec<&str> = r
        .unsupported
        .keys()
        .map(String::as_str)
        .filter(|sc| !r.scenarios.iter().any(|s| s == sc))
        .collect();
    if unsupported.is_empty() {
        r.scenarios.join(" ")
    } else {
        format!(
            "{} (unsupported: {})",
            r.scenarios.join(" "),
            unsupported.join(" ")
        )
    }
}

/// `setup`'s lines as installs start and end (several run at once).
struct SetupLines {
    quiet: bool,
}

impl super::setup_many::SetupEvents for SetupLines {
    fn started(&self, s: &Stack) {
        if !self.quiet && !super::is_installed(s) {
            eprintln!("[{}] installing in {}", s.name, s.dir.display());
        }
    }

    fn finished(&self, s: &Stack, outcome: &anyhow::Result<SetupOutcome>) {
        let mut out = std::io::stdout().lock();
        let _ = match outcome {
            Ok(SetupOutcome::UpToDate) => writeln!(out, "{}: up to date", s.name),
            Ok(SetupOutcome::Installed { seconds }) => writeln!(
                out,
                "{}: installed in {}",
                s.name,
                super::setup_many::fmt_secs(*seconds)
            ),
            Err(e) => {
                eprintln!("error: {e:#}");
                writeln!(out, "{}: FAILED", s.name)
            }
        };
    }
}

pub fn setup(args: SetupArgs) -> anyhow::Result<ExitCode> {
    let choice = args.runtimes.choice()?;
    let all = load_stacks(&args.manifests)?;
    // A variant shares its stack's folder and install: naming one installs that.
    let named = super::select(&all, &args.stacks).map_err(crate::error::bad_input)?;
    let mut chosen: Vec<&Stack> = Vec::new();
    for s in &named {
        if let Some(base) = all.iter().find(|b| b.name == s.base || b.name == s.name)
            && !chosen.iter().any(|c| c.name == base.name)
        {
            chosen.push(base);
        }
    }
    let explicit = !args.stacks.is_empty() || !args.manifests.is_empty();
    if !args.manifests.is_empty() {
        let extra_names: Vec<String> = args
            .manifests
            .iter()
            .filter_map(|m| all.iter().find(|s| &s.manifest == m))
            .map(|s| s.name.clone())
            .collect();
        for s in all.iter().filter(|s| extra_names.contains(&s.name)) {
            if !chosen.iter().any(|c| c.name == s.name) {
                chosen.push(s);
            }
        }
    }
    let candidates: Vec<Stack> = if explicit {
        chosen.into_iter().cloned().collect()
    } else {
        all.clone()
    };
    let candidates = super::bind::bind(&candidates, &choice, &super::node::runtimes_root())?;
    super::bind::ensure_runtimes(&candidates, &mut |n| eprintln!("{n}"))?;
    let mut chosen: Vec<&Stack> = Vec::new();
    if explicit {
        chosen.extend(candidates.iter());
    } else {
        let statuses = runtime_statuses(&candidates);
        for (s, rt) in candidates.iter().zip(statuses) {
            match rt {
                RuntimeStatus::Present { .. } => chosen.push(s),
                RuntimeStatus::Missing { reason } => {
                    eprintln!("skipping {}: runtime missing ({reason})", s.name)
                }
            }
        }
    }
    let opts = SetupOpts {
        force: args.force,
        quiet: args.quiet,
    };
    let events = SetupLines { quiet: args.quiet };
    let bases: Vec<Stack> = chosen.into_iter().cloned().collect();
    let (done, wall) =
        super::setup_many::setup_all_timed(&bases, &opts, usize::from(args.jobs), &events);
    let mut out = std::io::stdout().lock();
    for line in super::setup_many::summary(&done, wall, usize::from(args.jobs)) {
        writeln!(out, "{line}")?;
    }
    let failed: Vec<String> = done
        .iter()
        .filter(|d| d.outcome.is_err())
        .map(|d| d.name.clone())
        .collect();
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("setup failed for: {}", failed.join(", "));
        Ok(ExitCode::from(1))
    }
}
