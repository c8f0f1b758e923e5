//! `ringside run`: validates the flags, runs the suite with adaptive rounds
//! judged by the claims ledger, then prints the tables and writes the reports.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::results::Results;
use crate::suite::adaptive::Need;
use crate::suite::cli::RunArgs;
use crate::verdict::deciding;
use crate::verdict::figures::{Figures, looks};

/// The claims the results so far leave undecided, with the cells that
/// decide them: what the adaptive rounds measure again.
pub fn undecided_claims(results: &Results) -> Vec<Need> {
    let fig = Figures::from_results(results);
    let adaptive = results.settings.plan.adaptive.is_some();
    deciding::undecided(&fig, looks::last_look(results), adaptive)
        .into_iter()
        .map(|u| Need {
            claim: u.id.to_string(),
            why: deciding::describe(&u),
            scenarios: u.scenarios,
            stacks: u.stacks,
        })
        .collect()
}

/// Runs `ringside run`.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let argv: Vec<String> = std::env::args().collect();
    let existed = args.resume.is_some() || args.out.as_ref().is_some_and(|o| o.exists());
    let mut cfg = crate::suite::config::SuiteConfig::from_args(&args, argv)?;
    if let Some(finished) = cfg.resume.as_ref().and_then(|r| r.finished_at) {
        // Nothing to continue: the folder is left exactly as it was.
        eprintln!(
            "{} finished at {}: nothing to resume, nothing changed. To measure again, \
             `ringside run --out NEW_FOLDER` (or `--out {} --force` to replace it)",
            cfg.out.display(),
            finished.format("%Y-%m-%d %H:%M:%S UTC"),
            cfg.out.display()
        );
        if args.emit_results {
            crate::suite::cli::emit_results(&cfg.out.join("results.json"));
        }
        return Ok(ExitCode::from(crate::exit::OK));
    }
    // Before anything is launched or pinned: one measuring run at a time.
    let _machine = match crate::proc::machine_lock::take(&args.machine, "run") {
        Ok(m) => m,
        Err(e) => {
            if !existed {
                let _ = std::fs::remove_dir(&cfg.out);
            }
            return Err(e);
        }
    };
    cfg.shared_machine = args.machine.shared_machine;
    if let Err(e) = crate::suite::limits::check(&cfg.settings) {
        if !existed {
            let _ = std::fs::remove_dir(&cfg.out);
        }
        return Err(e);
    }
    crate::proc::lock::set_out_dir(&cfg.out);
    crate::proc::guard::set_interrupt_note(format!(
        "results so far are in {}; continue with `ringside run --resume {}`",
        cfg.out.join("results.json").display(),
        cfg.out.display()
    ));
    let cores = cfg.settings.generator_cpus.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(move || {
            // Unpinned is still a valid run; the settings record the intent.
            let _ = crate::load::sys::pin_current_thread(&cores);
        })
        .build()?;
    let out = cfg.out.clone();
    let judge = undecided_claims;
    let results = match rt.block_on(crate::suite::run(cfg, args.plain, Some(&judge))) {
        Ok(r) => r,
        Err(e) => {
            if args.emit_results {
                // What was measured before the error, for the merge to name.
                crate::suite::cli::emit_results(&out.join("results.json"));
            }
            if !existed {
                // Refused before anything was measured (an unknown stack):
                // leave no empty results folder behind (fails when not empty).
                let _ = std::fs::remove_dir(&out);
            }
            return Err(e);
        }
    };
    print!("{}", crate::report::terminal::render(&results));
    let results_file = out.join("results.json");
    let (html, markdown) = crate::report::write_reports(&results, &out)
        .with_context(|| format!("writing the reports of {}", results_file.display()))?;
    println!("\nresults: {}", results_file.display());
    println!("report:  {}", html.display());
    println!("summary: {}", markdown.display());
    if args.emit_results {
        crate::suite::cli::emit_results(&results_file);
    }
    for line in crate::suite::outcome::start_failures(&results) {
        eprintln!("{line}");
    }
    if !crate::suite::outcome::something_valid(&results) {
        eprintln!("error: nothing valid was measured:");
        for line in crate::suite::outcome::reasons(&results) {
            eprintln!("  {line}");
        }
        eprintln!(
            "(details in {}; `ringside stacks` shows which runtimes are present)",
            results_file.display()
        );
        return Ok(ExitCode::from(crate::exit::FAILED));
    }
    Ok(ExitCode::from(crate::exit::OK))
}
