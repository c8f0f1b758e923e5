//! A first run's wall time fits its budget (issue 17): the planned rounds
//! are fitted to what the installs leave — in the header on the installs'
//! estimate, then on the time they took — and the header, the progress bar
//! and the results file agree with the plan. A stand-in stack whose install
//! is a `cargo` script (estimated like a Rust build, 2 min; it takes 1 s)
//! and the suite's fixture server measured for real.

#[allow(dead_code)]
mod scratch_support;
mod suite_support;

use std::path::Path;
use std::time::Duration;

use clap::Parser;
use ringside::results::Results;
use ringside::suite::config::SuiteConfig;
use ringside::suite::events::Report;
use ringside::suite::fit;
use scratch_support::script;

#[derive(Default)]
struct Heard {
    header: Option<(u32, Duration)>,
    replanned: Vec<Duration>,
    notes: Vec<String>,
}

impl Report for Heard {
    fn run_started(&mut self, results: &Results, planned: Duration) -> anyhow::Result<()> {
        self.header = Some((fit::rounds(&results.settings), planned));
        Ok(())
    }
    fn replanned(&mut self, left: Duration) {
        self.replanned.push(left);
    }
    fn note(&mut self, message: &str) {
        self.notes.push(message.to_string());
    }
}

/// The suite's fixture server with a `cargo` stand-in as its install.
fn stand_in_stack(dir: &Path) -> std::path::PathBuf {
    let stack = dir.join("slow-install");
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::copy(
        suite_support::fixture("suite-py").with_file_name("server.py"),
        stack.join("server.py"),
    )
    .unwrap();
    script(&stack.join("cargo"), "sleep 1\n");
    let manifest = stack.join("stack.toml");
    std::fs::write(
        &manifest,
        r#"name = "slow-install"
language = "python"
framework = "http.server (stdlib)"
description = "suite-py behind a stand-in install"
scenarios = ["plaintext"]

[install]
commands = [["./cargo", "build", "--release"]]

[start]
command = ["python3", "-u", "server.py", "--port", "{port}", "--workers", "{workers}"]
ready_timeout_s = 10
max_workers = 4
"#,
    )
    .unwrap();
    manifest
}

#[test]
fn installs_that_eat_the_budget_leave_fewer_planned_rounds_and_the_header_and_bar_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = stand_in_stack(tmp.path());
    let out = tmp.path().join("out");
    let cli = ringside::cli::Cli::try_parse_from([
        "ringside",
        "run",
        "--plain",
        "--stack",
        manifest.to_str().unwrap(),
        "--scenarios",
        "plaintext",
        "--duration",
        "1s",
        "--warmup",
        "200ms",
        "--concurrency",
        "8",
        "--rates",
        "50",
        "--budget",
        "1m",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let ringside::cli::Command::Run(args) = cli.command else {
        unreachable!()
    };
    let mut cfg = SuiteConfig::from_args(&args, vec!["ringside".into(), "run".into()]).unwrap();
    let empty = tmp.path().join("no-stacks");
    std::fs::create_dir_all(&empty).unwrap();
    cfg.stacks_root = empty;
    // Four rounds asked, and a budget (below what `--budget` takes) that
    // pays for three after a quick install but not after a 2 min one.
    cfg.settings.trials = 4;
    let round = ringside::suite::planned_time_of(&cfg, &fit::with_rounds(&cfg.settings, 1), 1);
    let budget_s = 3.5 * round.as_secs_f64() + 3.0;
    let a = cfg.settings.plan.adaptive.as_mut().unwrap();
    assert!(
        a.fit_planned,
        "--trials not given: the rounds may be fitted"
    );
    a.budget_s = budget_s;
    let planned =
        |n: u32| ringside::suite::planned_time_of(&cfg, &fit::with_rounds(&cfg.settings, n), 1);

    let mut heard = Heard::default();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let results = rt
        .block_on(ringside::suite::run_with(&cfg, &mut heard))
        .unwrap();

    // The header: the installs' estimate (2 min) leaves no room, so the
    // fewest rounds (2), and the bar's length is the installs and those rounds.
    let (rounds, length) = heard.header.unwrap();
    assert_eq!(rounds, 2, "{:?}", heard.notes);
    assert_eq!(length, Duration::from_secs(120) + planned(2));
    assert!(
        heard.notes.iter().any(|n| n.starts_with(
            "installs expected to take about 2 min: 2 planned rounds instead of 4 (the fewest"
        )),
        "{:?}",
        heard.notes
    );
    // After the install (1 s): three rounds fit, the bar is told, and so is the reader.
    assert_eq!(heard.replanned, [planned(3)], "{:?}", heard.notes);
    assert!(
        heard
            .notes
            .iter()
            .any(|n| n.starts_with("installs and checks took ")
                && n.contains(": 3 planned rounds instead of 4 (to fit the ")),
        "{:?}",
        heard.notes
    );
    // The results file: three rounds measured, the cut recorded as measured,
    // the rest of the settings as the run set them.
    assert_eq!(results.settings.stacks, ["slow-install"]);
    assert_eq!(results.rounds.len(), 3);
    assert_eq!(fit::rounds(&results.settings), 3);
    let f = results.settings.plan.fitted.clone().unwrap();
    assert_eq!((f.rounds_asked, f.rounds, f.estimated), (4, 3, false));
    assert!(
        f.before_s >= 1.0 && f.before_s + f.rounds_s <= f.budget_s,
        "{f:?}"
    );
    let again: Results = serde_json::from_str(&serde_json::to_string(&results).unwrap()).unwrap();
    assert_eq!(again.settings.plan.fitted, Some(f));
    let doc = serde_json::to_value(&results).unwrap();
    assert!(
        suite_support::schema_errors(&doc).is_empty(),
        "{:?}",
        suite_support::schema_errors(&doc)
    );
    // Three trials of plaintext: the figure has its interval.
    let points = results
        .points
        .iter()
        .filter(|p| p.stack == "slow-install" && p.valid)
        .map(|p| p.trial)
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(points.into_iter().collect::<Vec<_>>(), [1, 2, 3]);
    // The report says it.
    let text = ringside::report::terminal::render(&results);
    assert!(
        text.contains("Planned rounds: installs and checks took "),
        "{text}"
    );
}

#[test]
fn rounds_the_user_fixed_are_never_cut() {
    let cli = ringside::cli::Cli::try_parse_from([
        "ringside",
        "run",
        "--scenarios",
        "plaintext",
        "--trials",
        "4",
        "--budget",
        "1m",
    ])
    .unwrap();
    let ringside::cli::Command::Run(args) = cli.command else {
        unreachable!()
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut args = args;
    args.out = Some(tmp.path().join("out"));
    let cfg = SuiteConfig::from_args(&args, Vec::new()).unwrap();
    assert!(!cfg.settings.plan.adaptive.as_ref().unwrap().fit_planned);
    let s = fit::fit(&cfg.settings, 3600.0, false, &|_| 1.0);
    assert_eq!(fit::rounds(&s), 4);
    assert!(s.plan.fitted.is_none());
}
