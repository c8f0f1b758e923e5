//! The head-to-head harness (`ringside run`): rounds of interleaved trials —
//! launch every stack of the round, verify, warm each to steady state,
//! measure in slices that alternate between the stacks — and write results
//! after every point.
//!
//! Flow: [`cli`] flags → [`config::SuiteConfig`] → [`plan`] (rounds, the
//! order of stacks, finalists) → [`runner`] (install, database, rounds) →
//! [`round`] (phases of launches, interleaved slices) → [`warmup`] /
//! [`measure`] / [`capacity`] / [`idle`] (one load each, all through
//! [`workload`]) → [`results`], with [`events`] feeding the progress display
//! and the results writer.

pub mod adaptive;
pub mod capacity;
pub mod cli;
pub mod config;
pub mod events;
pub mod fit;
pub mod foreign;
pub mod h2;
pub mod idle;
mod install;
pub mod limits;
pub mod machine;
pub mod measure;
pub mod outcome;
pub mod outdir;
pub mod plan;
pub mod points;

pub mod round;
pub mod runner;
pub mod stall;
pub mod target;

pub mod warmup;
pub mod workload;
pub mod ws;

use crate::results::{self, RESULTS_SCHEMA, Results};
use config::SuiteConfig;
use events::{Progress, Report, Reporters, ResultsWriter};
use runner::Runner;

/// Runs the suite, with the progress display (`plain`: lines, no bar) and
/// the results writer listening, and adaptive rounds where `judge` finds
/// claims undecided. Returns the final results.
pub async fn run(
    cfg: SuiteConfig,
    plain: bool,
    judge: Option<adaptive::Judge<'_>>,
) -> anyhow::Result<Results> {
    let mut reporters = Reporters(vec![
        Box::new(ResultsWriter::new(&cfg.out)),
        Box::new(Progress::new(plain)),
    ]);
    run_judged(&cfg, &mut reporters, judge).await
}

/// Runs the suite, reporting to `report` (no adaptive rounds).
pub async fn run_with(cfg: &SuiteConfig, report: &mut dyn Report) -> anyhow::Result<Results> {
    run_judged(cfg, report, None).await
}

/// Runs the suite, reporting to `report`, with adaptive rounds where
/// `judge` finds claims undecided (`None`: the planned rounds only).
pub async fn run_judged(
    cfg: &SuiteConfig,
    report: &mut dyn Report,
    judge: Option<adaptive::Judge<'_>>,
) -> anyhow::Result<Results> {
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
            rounds: Vec::new(),
            warmups: Vec::new(),
            warnings: Vec::new(),
        },
    };
    if cfg.resume.is_none() {
        results.settings.stacks = match &cfg.url {
            Some(_) => vec![runner::EXTERNAL.into()],
            None => stacks.iter().map(|s| s.name.clone()).collect(),
        };
    }
    if let Some(w) = cfg.quota_warning() {
        eprintln!("warning: {w}");
        if !results.warnings.contains(&w) {
            results.warnings.push(w);
        }
    }
    let stack_count = stacks.len().max(usize::from(cfg.url.is_some()));
    let installs = events::announce_installs(report, &crate::stack::pending_installs(&stacks));
    if cfg.resume.is_none() {
        // The header's plan: the rounds that fit what the installs are expected to leave.
        let asked = fit::as_asked(&results.settings, &cfg.settings);
        results.settings = fit::fit(&asked, installs.as_secs_f64(), true, &|s| {
            planned_time_of(cfg, s, stack_count).as_secs_f64()
        });
    }
    let planned = planned_time_of(cfg, &results.settings, stack_count);
    report.run_started(&results, planned + installs)?;
    if let Some(f) = &results.settings.plan.fitted {
        report.note(&f.sentence());
    }
    let mut runner = Runner {
        cfg,
        results,
        report,
        db: None,
        stacks,
        verified: Default::default(),
        started: std::time::Instant::now(),
    };
    let outcome = drive(&mut runner, judge, planned).await;
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

/// Estimated measuring time of the whole plan with `stacks` stacks (finals
/// counted with three finalists).
pub fn planned_time(cfg: &SuiteConfig, stacks: usize) -> std::time::Duration {
    planned_time_of(cfg, &cfg.settings, stacks)
}

/// [`planned_time`] of the rounds of `settings` (the run's, or a fit of them).
pub fn planned_time_of(
    cfg: &SuiteConfig,
    settings: &results::Settings,
    stacks: usize,
) -> std::time::Duration {
    let plan = &settings.plan;
    let all = &settings.scenarios;
    let mut total = std::time::Duration::ZERO;
    // Capacity scenarios searched in an earlier round: seeded searches now.
    let mut searched: Vec<crate::scenario::Scenario> = Vec::new();
    for number in 1..=plan::round_count(plan, settings.trials) {
        let kind = plan::round_kind(plan, number);
        let n = if kind == results::RoundKind::Final {
            let ceiling_out = plan.ceiling_final_rounds > 0
                && number - plan.screening_rounds > plan.ceiling_final_rounds;
            stacks.min(if ceiling_out { 2 } else { 3 })
        } else {
            stacks
        };
        let scenarios = plan::round_scenarios(plan, kind, all);
        total += points::planned_per_stack(cfg, &scenarios, &searched) * n as u32;
        searched.extend(
            scenarios
                .iter()
                .filter(|s| plan.capacity_scenarios.contains(s)),
        );
    }
    total
}

async fn drive(
    runner: &mut Runner<'_>,
    judge: Option<adaptive::Judge<'_>>,
    planned: std::time::Duration,
) -> anyhow::Result<()> {
    runner.prepare().await?;
    runner.provision_db().await;
    // Nothing of the run is busy now: whatever keeps the cores busy is someone else.
    let cores = foreign::measured_cores(runner.cfg, false);
    for w in foreign::idle_check(&cores, std::time::Duration::from_secs(1)).await {
        runner.report.note(&format!("warning: {w}"));
        if !runner.results.warnings.contains(&w) {
            runner.results.warnings.push(w);
        }
    }
    let planned = runner.refit(planned)?;
    let measuring = std::time::Instant::now();
    let measured: Vec<String> = match &runner.cfg.url {
        Some(_) => vec![runner::EXTERNAL.to_string()],
        None => runner
            .stacks
            .iter()
            .filter(|s| runner.is_measured(&s.name))
            .map(|s| s.name.clone())
            .collect(),
    };
    for number in 1..=runner.trials() {
        let round = plan::round_record(
            &runner.results.settings.plan,
            &runner.cfg.settings.scenarios,
            &measured,
            &runner.results,
            number,
        );
        if !runner.results.rounds.iter().any(|r| r.number == number) {
            for line in &round.reason {
                runner.report.note(&format!("final: {line}"));
            }
            runner.results.rounds.push(round.clone());
            runner.updated()?;
        }
        match runner.cfg.url.clone() {
            Some(url) => runner.external_round(&url, &round).await?,
            None => runner.round(&round).await?,
        }
    }
    if let Some(judge) = judge.filter(|_| runner.cfg.url.is_none()) {
        runner.adaptive_rounds(judge, measuring, planned).await?;
    }
    Ok(())
}
