//! `ringside verify`: flags → a validated [`VerifyConfig`] → for each stack,
//! install, launch against a freshly provisioned database, check, stop →
//! a table of stack × scenario and every failure with its reason.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::output::{self, StackStatus, StackVerification};
use super::{VerifyOptions, VerifyReport, http::Target, verify_url_with};
use crate::db::{self, Database, DbKind};
use crate::error::bad_input;
use crate::proc::guard;
use crate::scenario::{Scenario, UnknownScenario};
use crate::stack::{self, LaunchOpts, RuntimeStatus, SetupOpts, Stack};

/// Flags of `ringside verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Stacks to verify (default: every stack whose runtime is present).
    pub stacks: Vec<String>,
    /// Stacks to verify, comma separated, as `ringside run --stacks` takes them.
    #[arg(long = "stacks", value_delimiter = ',', value_name = "LIST")]
    pub stacks_list: Vec<String>,
    /// Database the stacks use during verification.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub db: DbKind,
    /// A stack of your own: path to its stack.toml (repeatable).
    #[arg(long = "stack", value_name = "PATH")]
    pub stack_files: Vec<PathBuf>,
    /// Check an already running server (http://127.0.0.1:PORT) instead of launching stacks.
    #[arg(long, value_name = "URL", conflicts_with_all = ["stacks", "stacks_list", "stack_files"])]
    pub url: Option<String>,
    /// Only these scenarios, comma-separated (default: every scenario a stack claims;
    /// with --url every endpoint scenario).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub scenarios: Vec<String>,
    /// Worker processes each stack is launched with (with more than 1, ws-chat
    /// spreads its room over several server processes).
    #[arg(long, default_value_t = 1)]
    pub workers: u32,
    /// Print the results as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Allow --url to name a host other than loopback.
    #[arg(long)]
    pub allow_remote: bool,
    /// Bound on each HTTP exchange of a check (e.g. 5s, 500ms).
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// Most bytes a response body may carry (e.g. 16MiB, 512KiB); a longer
    /// body fails its check and is not read on.
    #[arg(long, default_value = "16MiB", value_name = "SIZE", value_parser = crate::input::parse_size)]
    pub max_body: u64,
    /// Waiting for another ringside measuring on this machine (stacks only: `--url` launches nothing).
    #[command(flatten)]
    pub machine: crate::proc::machine_lock::MachineFlags,
    /// Runtimes: Node.js versions, Python interpreters.
    #[command(flatten)]
    pub runtimes: crate::stack::bind::RuntimeArgs,
}

/// A flag with a value `verify` cannot use.
#[derive(Debug, thiserror::Error)]
pub enum VerifyConfigError {
    #[error("--url {0}")]
    BadUrl(String),
    #[error(
        "--url `{0}` is not a loopback address; ringside only sends traffic to 127.0.0.1 unless --allow-remote"
    )]
    RemoteUrl(String),
    #[error("--scenarios: {0}")]
    UnknownScenario(#[from] UnknownScenario),
    #[error(
        "--scenarios: `{0}` is not an endpoint scenario (it applies to every stack in `ringside run`)"
    )]
    NotEndpoint(String),
    #[error("--workers must be at least 1, got 0")]
    NoWorkers,
    #[error("--timeout must be positive")]
    NoTimeout,
}

/// What to verify.
#[derive(Debug, Clone)]
pub enum Targets {
    /// A server already running.
    Url(String),
    /// Built-in stacks by name (none named and no manifest: every stack whose
    /// runtime is present) and the manifests given with `--stack`.
    Stacks {
        names: Vec<String>,
        files: Vec<PathBuf>,
    },
}

/// Validated `verify` flags.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    pub targets: Targets,
    pub db: DbKind,
    /// Restriction to these scenarios, if given.
    pub scenarios: Option<Vec<Scenario>>,
    pub workers: u32,
    pub json: bool,
    pub opts: VerifyOptions,
    /// `--node`, `--python` (resolved when the stacks are chosen).
    pub runtimes: crate::stack::bind::RuntimeArgs,
}

impl VerifyConfig {
    pub fn from_args(args: VerifyArgs) -> Result<VerifyConfig, VerifyConfigError> {
        let scenarios = if args.scenarios.is_empty() {
            None
        } else {
            let mut out = Vec::new();
            for name in args
                .scenarios
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
            {
                let sc: Scenario = name.parse()?;
                if !sc.is_endpoint() {
                    return Err(VerifyConfigError::NotEndpoint(name.to_string()));
                }
                if !out.contains(&sc) {
                    out.push(sc);
                }
            }
            Some(out)
        };
        if args.workers == 0 {
            return Err(VerifyConfigError::NoWorkers);
        }
        if args.timeout.is_zero() {
            return Err(VerifyConfigError::NoTimeout);
        }
        let targets = match args.url {
            Some(url) => {
                let target = Target::parse(&url).map_err(VerifyConfigError::BadUrl)?;
                if !target.is_loopback() && !args.allow_remote {
                    return Err(VerifyConfigError::RemoteUrl(url));
                }
                Targets::Url(url)
            }
            None => {
                let mut names = args.stacks;
                for name in args.stacks_list.into_iter().map(|n| n.trim().to_string()) {
                    if !name.is_empty() && !names.contains(&name) {
                        names.push(name);
                    }
                }
                Targets::Stacks {
                    names,
                    files: args.stack_files,
                }
            }
        };
        Ok(VerifyConfig {
            runtimes: args.runtimes,
            targets,
            db: args.db,
            scenarios,
            workers: args.workers,
            json: args.json,
            opts: VerifyOptions {
                timeout: args.timeout,
                // Several workers: enough members that a room kept per process
                // is very likely split (2 workers, 6 members: 31 in 32).
                ws_room_members: if args.workers > 1 {
                    (3 * args.workers as usize).clamp(6, 12)
                } else {
                    2
                },
                max_body: args.max_body,
                ..VerifyOptions::default()
            },
        })
    }
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let machine = args.machine;
    let config = VerifyConfig::from_args(args).map_err(bad_input)?;
    // Launched stacks would load the cores another run is measuring.
    let _machine = match config.targets {
        Targets::Url(_) => None,
        _ => crate::proc::machine_lock::take(&machine, "verify")?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let results = runtime.block_on(verify(&config))?;
    if guard::interrupted() {
        // The interrupt's cleanup stopped the stacks: what verify saw after
        // it (a server gone) is not the stack's fault, so nothing is printed.
        return Ok(ExitCode::from(crate::exit::FAILED));
    }
    let mut stdout = std::io::stdout().lock();
    if config.json {
        output::write_json(&mut stdout, config.db, &results)?;
    } else {
        output::write_text(&mut stdout, &results)?;
    }
    let passed = results.iter().all(StackVerification::passed);
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Verifies what `config` names; one entry per stack (or the one URL).
pub async fn verify(config: &VerifyConfig) -> anyhow::Result<Vec<StackVerification>> {
    match &config.targets {
        Targets::Url(url) => {
            let scenarios = config.scenarios.clone().unwrap_or_else(|| {
                Scenario::ALL
                    .into_iter()
                    .filter(|s| s.is_endpoint())
                    .collect()
            });
            let report = verify_url_with(url, &scenarios, None, &config.opts).await;
            Ok(vec![StackVerification {
                stack: url.clone(),
                status: StackStatus::Verified,
                error: None,
                stderr_tail: Vec::new(),
                scenarios,
                unsupported: Default::default(),
                report,
            }])
        }
        Targets::Stacks { names, files } => {
            let (stacks, mut results) = select_stacks(names, files, &config.runtimes)?;
            if stacks.is_empty() {
                if results.is_empty() {
                    anyhow::bail!("no stack to verify");
                }
                return Ok(results);
            }
            // Stacks that claim a database scenario connect at startup (their
            // `/health` waits for it), even when only other scenarios are checked.
            let needs_db = stacks
                .iter()
                .any(|s| s.scenarios.iter().any(|sc| sc.needs_db()));
            let work = work_dir()?;
            // Ctrl-C exits from the signal handler, past TempDir's drop: the
            // folder (a PostgreSQL data directory, tens of MB) goes with the
            // registered cleanups, after the database's own (newest first).
            let work_path = work.path().to_path_buf();
            let _work_cleanup = guard::register(
                format!("verify work folder {}", work_path.display()),
                move || {
                    let _ = std::fs::remove_dir_all(&work_path);
                },
            );
            let database = if needs_db {
                eprintln!("provisioning the {} database…", config.db.name());
                let db = db::provision(config.db, work.path())
                    .await
                    .with_context(|| format!("provisioning the {} database", config.db.name()))?;
                Some(db)
            } else {
                None
            };
            for stack in &stacks {
                if guard::interrupted() {
                    break;
                }
                results.push(verify_stack(stack, database.as_ref(), config).await);
            }
            if let Some(db) = database {
                db.shutdown()
                    .await
                    .with_context(|| format!("stopping the {} database", config.db.name()))?;
            }
            Ok(results)
        }
    }
}

/// The stacks to launch, and entries for named stacks that cannot run here.
fn select_stacks(
    names: &[String],
    files: &[PathBuf],
    runtimes: &crate::stack::bind::RuntimeArgs,
) -> anyhow::Result<(Vec<Stack>, Vec<StackVerification>)> {
    let mut stacks = Vec::new();
    let mut not_run = Vec::new();
    for file in files {
        let stack = stack::load_manifest(file)
            .with_context(|| format!("reading the stack manifest {}", file.display()))?;
        stacks.push(stack);
    }
    if names.is_empty() && !files.is_empty() {
        return Ok((stacks, not_run));
    }
    let root = stack::stacks_root();
    let builtin = stack::discover(&root)
        .with_context(|| format!("finding the built-in stacks in {}", root.display()))?;
    // No names: every deployment, variants included (conformance binds them
    // all); a name is a stack (`python-flask`) or a variant (`python-flask@sync`).
    let chosen: Vec<Stack> = if names.is_empty() {
        stack::deployments(&builtin)
    } else {
        stack::select(&builtin, names).map_err(bad_input)?
    };
    let chosen = stack::bind::bind(&chosen, &runtimes.choice()?, &stack::node::runtimes_root())?;
    stack::bind::ensure_runtimes(&chosen, &mut |n| eprintln!("{n}"))?;
    for stack in chosen {
        match stack::runtime_status(&stack) {
            RuntimeStatus::Present { .. } => stacks.push(stack),
            RuntimeStatus::Missing { reason } => not_run.push(StackVerification {
                stack: stack.name.clone(),
                // Named on the command line: a failure; by default: only skipped.
                status: if names.is_empty() {
                    StackStatus::Skipped
                } else {
                    StackStatus::RuntimeMissing
                },
                error: Some(reason),
                stderr_tail: Vec::new(),
                scenarios: Vec::new(),
                unsupported: unsupported_of(&stack, None),
                report: VerifyReport::default(),
            }),
        }
    }
    Ok((stacks, not_run))
}

/// What the stack says it cannot serve (not claimed), restricted to `only`.
fn unsupported_of(
    stack: &Stack,
    only: Option<&[Scenario]>,
) -> std::collections::BTreeMap<String, String> {
    stack
        .unsupported
        .iter()
        .filter(|(sc, _)| !stack.scenarios.iter().any(|s| s.name() == sc.as_str()))
        .filter(|(sc, _)| only.is_none_or(|only| only.iter().any(|s| s.name() == sc.as_str())))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The endpoint scenarios a stack claims, restricted to `only` if given.
fn claimed(stack: &Stack, only: Option<&[Scenario]>) -> Vec<Scenario> {
    stack
        .scenarios
        .iter()
        .copied()
        .filter(|s| s.is_endpoint())
        .filter(|s| only.is_none_or(|only| only.contains(s)))
        .collect()
}

/// Install, launch, check and stop one stack; never fails, says why instead.
async fn verify_stack(
    stack: &Stack,
    db: Option<&Database>,
    config: &VerifyConfig,
) -> StackVerification {
    let scenarios = claimed(stack, config.scenarios.as_deref());
    let mut result = StackVerification {
        stack: stack.name.clone(),
        status: StackStatus::Verified,
        error: None,
        stderr_tail: Vec::new(),
        scenarios: scenarios.clone(),
        unsupported: unsupported_of(stack, config.scenarios.as_deref()),
        report: VerifyReport::default(),
    };
    eprintln!("verifying {}…", stack.name);
    let to_install = stack.clone();
    let setup = tokio::task::spawn_blocking(move || {
        stack::setup(
            &to_install,
            &SetupOpts {
                force: false,
                quiet: true,
            },
        )
    })
    .await;
    let setup = match setup {
        Ok(r) => r,
        Err(e) => Err(anyhow::anyhow!("the install task failed: {e}")),
    };
    if let Err(e) = setup {
        result.status = StackStatus::SetupFailed;
        result.error = Some(format!("{e:#}"));
        return result;
    }
    let ws_apart = scenarios.contains(&Scenario::WsChat)
        && stack.start_override.contains_key(&Scenario::WsChat);
    let (ws, http): (Vec<Scenario>, Vec<Scenario>) = scenarios
        .iter()
        .partition(|s| ws_apart && **s == Scenario::WsChat);
    let mut rounds = vec![(None, http)];
    if !ws.is_empty() {
        rounds.push((Some(Scenario::WsChat), ws));
    }
    for (launch_for, round) in rounds {
        if round.is_empty() {
            continue;
        }
        let launch = LaunchOpts {
            port: None,
            workers: config.workers,
            cpus: None,
            env: db.map(Database::env).unwrap_or_default(),
            scenario: launch_for,
        };
        let mut running = match stack::launch(stack, &launch).await {
            Ok(r) => r,
            Err(e) => {
                result.status = StackStatus::StartFailed;
                let what = launch_for.map_or(String::new(), |s| format!(" (for {s})"));
                result.error = Some(format!("starting {}{what}: {e:#}", stack.name));
                return result;
            }
        };
        let opts = VerifyOptions {
            require_keep_alive: stack.keep_alive,
            protocol: stack.protocol,
            ..config.opts.clone()
        };
        let report = verify_url_with(running.base_url(), &round, db, &opts).await;
        let failed = !report.all_passed();
        result.report.checks.extend(report.checks);
        if !running.is_alive() {
            result.error = Some("the server exited during verification".into());
        }
        if failed {
            result.stderr_tail = running.stderr_tail(15);
        }
        if let Err(e) = running.stop().await {
            eprintln!("warning: stopping {}: {e:#}", stack.name);
        }
    }
    result
}

/// `.ringside/work/verify-<pid>-XXXX` (or a temporary folder), removed on drop.
fn work_dir() -> anyhow::Result<tempfile::TempDir> {
    let parent = PathBuf::from(".ringside/work");
    let prefix = format!("verify-{}-", std::process::id());
    if std::fs::create_dir_all(&parent).is_ok()
        && let Ok(dir) = tempfile::Builder::new().prefix(&prefix).tempdir_in(&parent)
    {
        return Ok(dir);
    }
    tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir()
        .context("creating a work folder for the database")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: VerifyArgs,
    }

    fn config(argv: &[&str]) -> Result<VerifyConfig, VerifyConfigError> {
        let cli = Cli::try_parse_from(std::iter::once("verify").chain(argv.iter().copied()))
            .expect("flags parse");
        VerifyConfig::from_args(cli.args)
    }

    #[test]
    fn remote_urls_need_a_flag() {
        let err = config(&["--url", "http://10.0.0.8:8080"]).unwrap_err();
        assert!(err.to_string().contains("--allow-remote"), "{err}");
        assert!(config(&["--url", "http://10.0.0.8:8080", "--allow-remote"]).is_ok());
        assert!(config(&["--url", "http://127.0.0.1:8080"]).is_ok());
    }

    #[test]
    fn bad_urls_and_scenarios_name_the_flag() {
        let err = config(&["--url", "ftp://127.0.0.1"]).unwrap_err();
        assert!(err.to_string().starts_with("--url"), "{err}");
        let err = config(&["--scenarios", "json,jsn"]).unwrap_err();
        assert!(err.to_string().contains("`jsn`"), "{err}");
        let err = config(&["--scenarios", "idle"]).unwrap_err();
        assert!(err.to_string().contains("not an endpoint"), "{err}");
        assert!(matches!(
            config(&["--workers", "0"]),
            Err(VerifyConfigError::NoWorkers)
        ));
    }

    #[test]
    fn stacks_are_taken_as_arguments_or_as_a_list_like_run() {
        let names = |c: VerifyConfig| match c.targets {
            Targets::Stacks { names, .. } => names,
            Targets::Url(_) => panic!("stacks expected"),
        };
        assert_eq!(
            names(config(&["node-http", "rust-axum"]).unwrap()),
            ["node-http", "rust-axum"]
        );
        assert_eq!(
            names(config(&["--stacks", "node-http,rust-axum", "rust-axum"]).unwrap()),
            ["rust-axum", "node-http"]
        );
    }

    #[test]
    fn scenarios_are_deduplicated_in_order() {
        let c = config(&["--scenarios", "cpu, json,cpu"]).unwrap();
        assert_eq!(c.scenarios, Some(vec![Scenario::Cpu, Scenario::Json]));
    }
}
