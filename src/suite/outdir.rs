//! The results folder's safety rules: a folder that already holds a run is
//! never overwritten unless asked (`--resume` continues it, `--force`
//! replaces it), a folder a live ringside is writing is refused, and
//! `--resume` refuses flags it would otherwise ignore (the interrupted run's
//! settings are reused).

use std::path::Path;

use crate::error::bad_input_msg;

use super::cli::RunArgs;

/// Checks that a new run may write `out`.
pub fn check_new_out(out: &Path, force: bool) -> anyhow::Result<()> {
    check_not_in_use(out, "--out")?;
    let file = out.join("results.json");
    if file.exists() && !force {
        let shown = out.display();
        return Err(bad_input_msg(format!(
            "--out {shown}: the folder already holds a run ({}); continue it with \
             `ringside run --resume {shown}`, or replace it with `--force`",
            describe_run(&file)
        )));
    }
    Ok(())
}

/// Refuses a results folder another live ringside is writing.
pub fn check_not_in_use(dir: &Path, flag: &str) -> anyhow::Result<()> {
    match crate::proc::lock::owner_of(dir) {
        Some(owner) => Err(bad_input_msg(format!(
            "{flag} {}: ringside (pid {}) is writing this folder now; wait for it, or stop it first",
            dir.display(),
            owner.pid
        ))),
        None => Ok(()),
    }
}

/// "12 points, started 2026-11-23 06:55, finished" (or what can be read).
fn describe_run(file: &Path) -> String {
    let doc: Option<serde_json::Value> =
        crate::input::read_text(file, "a results file", crate::input::RESULTS_MAX_BYTES)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
    let Some(doc) = doc else {
        return format!("{}, unreadable", file.display());
    };
    let points = doc["points"].as_array().map_or(0, Vec::len);
    let started = doc["started_at"].as_str().unwrap_or("?");
    let state = if doc["finished_at"].is_string() {
        "finished"
    } else {
        "not finished"
    };
    format!("{points} points, started {started}, {state}")
}

/// The flags given beside `--resume` that it would ignore.
pub fn ignored_by_resume(args: &RunArgs) -> Vec<&'static str> {
    let t = &args.tuning;
    let given = [
        (args.quick, "--quick"),
        (args.full, "--full"),
        (!args.scenarios.is_empty(), "--scenarios"),
        (!args.stacks.is_empty(), "--stacks"),
        (!args.extra_stacks.is_empty(), "--stack"),
        (args.url.is_some(), "--url"),
        (args.pid.is_some(), "--pid"),
        (args.db != crate::db::DbKind::Sqlite, "--db"),
        (args.force, "--force"),
        (args.shard.is_some(), "--shard"),
        (args.shards.is_some(), "--shards"),
        (t.duration.is_some(), "--duration"),
        (t.warmup.is_some(), "--warmup"),
        (t.trials.is_some(), "--trials"),
        (t.slices.is_some(), "--slices"),
        (t.slo != 100.0, "--slo"),
        (t.capacity_steps.is_some(), "--capacity-steps"),
        (!t.concurrency.is_empty(), "--concurrency"),
        (!t.rates.is_empty(), "--rates"),
        (!t.server_cpus.is_empty(), "--server-cpus"),
        (!t.generator_cpus.is_empty(), "--generator-cpus"),
        (t.workers_n.is_some(), "--workers-n"),
        (
            t.io_connections != super::cli::DEFAULT_IO_CONNECTIONS,
            "--io-connections",
        ),
        (t.idle_connections != 2000, "--idle-connections"),
    ];
    given
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| f)
        .collect()
}

/// Refuses flags beside `--resume DIR`, naming them.
pub fn check_resume_flags(args: &RunArgs, dir: &Path) -> anyhow::Result<()> {
    let ignored = ignored_by_resume(args);
    if ignored.is_empty() {
        return Ok(());
    }
    Err(bad_input_msg(format!(
        "--resume {} continues the interrupted run with its own settings, so {} would be \
         ignored; drop {}, or start a new run with --out",
        dir.display(),
        ignored.join(", "),
        if ignored.len() == 1 { "it" } else { "them" }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(argv: &[&str]) -> RunArgs {
        #[derive(clap::Parser)]
        struct Cmd {
            #[command(flatten)]
            run: RunArgs,
        }
        <Cmd as clap::Parser>::parse_from(std::iter::once("run").chain(argv.iter().copied())).run
    }

    #[test]
    fn resume_names_an_io_concurrency_other_than_the_default() {
        // The default moved from 256 to 1024 connections: 256 is now a flag
        // given, which --resume would ignore, and 1024 is not.
        assert!(ignored_by_resume(&run_args(&[])).is_empty());
        assert!(ignored_by_resume(&run_args(&["--io-connections", "1024"])).is_empty());
        assert_eq!(
            ignored_by_resume(&run_args(&["--io-connections", "256"])),
            vec!["--io-connections"]
        );
    }

    #[test]
    fn a_finished_run_is_refused_without_force() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_new_out(dir.path(), false).is_ok());
        std::fs::write(
            dir.path().join("results.json"),
            r#"{"points":[{},{}],"started_at":"2026-11-23T06:55:17Z","finished_at":"2026-11-23T07:00:00Z"}"#,
        )
        .unwrap();
        let err = check_new_out(dir.path(), false).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        let msg = err.to_string();
        assert!(msg.contains("--resume") && msg.contains("--force"), "{msg}");
        assert!(
            msg.contains("2 points") && msg.contains("finished"),
            "{msg}"
        );
        assert!(check_new_out(dir.path(), true).is_ok());
    }
}
