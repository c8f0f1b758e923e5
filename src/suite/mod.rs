//! The head-to-head harness (`ringside run`): per stack and scenario, launch,
//! verify, warm up, measure (trials), and write results after every point.
//!
//! Flow: [`cli`] flags → [`config::SuiteConfig`] → [`runner`] (stacks, trials)
//! → [`points`] (one scenario) → [`measure`] / [`capacity`] / [`idle`] (one
//! load) → [`results`], with [`events`] feeding the progress display and the
//! results writer; [`stats`] summarises trials for the reports; [`workers`]
//! and [`ws`] hold the scenarios with launches or loads of their own.

pub mod capacity;
pub mod cli;
pub mod config;
pub mod events;
pub mod idle;
pub mod machine;
pub mod measure;
pub mod outcome;
pub mod outdir;
pub mod points;
pub mod results;
pub mod runner;
pub mod target;
pub mod validate;
pub mod workers;
pub mod ws;

use config::SuiteConfig;
use events::{Progress, Report, Reporters, ResultsWriter};
use results::{RESULTS_SCHEMA, Results, StackStatus};
use runner::Runner;

/// Runs the suite, with the progress display (`plain`: lines, no bar) and
/// the results writer listening. Returns the final results.
pub async fn run(cfg: SuiteConfig, plain: bool) -> anyhow::Result<Results> {
    let mut reporters = Reporters(vec![
        Box::new(ResultsWriter::new(&cfg.out)),
        Box::new(Progress::new(plain)),
    ]);
    run_with(&cfg, &mut reporters).await
}

/// Runs the suite, reporting to `report`.
pub async fn run_with(cfg: &SuiteConfig, report: &mut dyn Report) -> anyhow::Result<Results> {
    crate::load::sys::raise_nofile_limit();
    let stacks = runner::resolve_stacks(cfg)?;
    let mut results = match &cfg.resume {
        Some(r) => {
            let mut r = r.clone();
            r.finished_at = None;
            r
        }
        None => Results {
            schema: RESULTS_SCHEMA.into(),
            ringside_version: env!("CARGO_PKG_VERSION").into(),
            started_at: chrono::Utc::now(),
            finished_at: None,
            command: cfg.command.clone(),
            machine: machine::machine(),
            settings: cfg.settings.clone(),
            stacks: Vec::new(),
            points: Vec::new(),
            capacity: Vec::new(),
            warnings: Vec::new(),
        },
    };
    if cfg.resume.is_none() {
        results.settings.stacks = match &cfg.url {
            Some(_) => vec![runner::EXTERNAL.into()],
            None => stacks.iter().map(|s| s.name.clone()).collect(),
        };
    }
    let active = stacks.len().max(usize::from(cfg.url.is_some())) as u32;
    let planned = points::planned_per_stack(cfg) * active * cfg.settings.trials;
    let installs = events::announce_installs(report, &crate::stack::pending_installs(&stacks));
    report.run_started(&results, planned + installs)?;
    let mut runner = Runner {
        cfg,
        results,
        report,
        db: None,
        stacks,
    };
    let outcome = drive(&mut runner).await;
    if let Some(db) = runner.db.take() {
        let _ = db.shutdown().await;
    }
    if outcome.is_ok() {
        runner.results.finished_at = Some(chrono::Utc::now());
    }
    let finished = runner.report.run_finished(&runner.results);
    outcome?;
    finished?;
    Ok(runner.results)
}

async fn drive(runner: &mut Runner<'_>) -> anyhow::Result<()> {
    runner.prepare().await?;
    runner.provision_db().await;
    for trial in 1..=runner.cfg.settings.trials {
        if let Some(url) = runner.cfg.url.clone() {
            runner.external(&url, trial).await?;
            continue;
        }
        for stack in runner.stacks.clone() {
            let status = runner
                .results
                .stacks
                .iter()
                .find(|r| r.name == stack.name)
                .map(|r| r.status.clone());
            if matches!(status, Some(StackStatus::Measured)) {
                runner.stack_trial(&stack, trial).await?;
            }
        }
    }
    Ok(())
}
