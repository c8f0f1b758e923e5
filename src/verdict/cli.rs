//! `ringside recommend` and `ringside compare`: terminal output of the
//! recommendation and of the comparison of two runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};

use crate::error::{bad_input, bad_input_msg};
use crate::results::read::read_results;
use crate::verdict::compare::{Row, compare as compare_figures};
use crate::verdict::figures::Figures;
use crate::verdict::format::fmt_int;
use crate::verdict::profile::{Profile, builtin};
use crate::verdict::recommend::{HOURS_PER_MONTH, Recommendation, recommend as rank};

/// Flags of `ringside recommend`.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// The results file written by `ringside run` (default: the newest
    /// `ringside-results/*/results.json`).
    pub results: Option<PathBuf>,
    /// A built-in project profile: chat, crud, numeric, gateway.
    #[arg(long, default_value = "crud", conflicts_with = "profile_file")]
    pub profile: String,
    /// A TOML profile: weights per measured criterion, constraints, stated factors.
    #[arg(long)]
    pub profile_file: Option<PathBuf>,
    /// p99 objective in milliseconds (overrides the profile and the run).
    #[arg(long)]
    pub slo_ms: Option<f64>,
    /// Expected peak rate on the profile's main scenario, requests/s.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Price of one core for one hour.
    #[arg(long)]
    pub price_per_core_hour: Option<f64>,
}

/// Flags of `ringside compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The earlier results file.
    pub before: PathBuf,
    /// The later results file.
    pub after: PathBuf,
    /// Print a Markdown table instead of the terminal table (for a pull-request comment).
    #[arg(long)]
    pub markdown: bool,
    /// Exit 1 when some figure got worse beyond its interval and the noise
    /// floor by at least PCT per cent (a CI gate).
    #[arg(long, value_name = "PCT")]
    pub fail_on_regression: Option<f64>,
    /// Compare even when the machine, database or settings differ (they are still listed).
    #[arg(long)]
    pub force: bool,
}

/// The newest `ringside-results/*/results.json` under `root`.
pub fn newest_results(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = root.join("ringside-results");
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        bad_input_msg(format!(
            "no results file given and cannot read {}: {e} (run `ringside run` first, or name a results.json)",
            dir.display()
        ))
    })?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path().join("results.json"))
        .filter(|p| p.is_file())
        .max_by_key(|p| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .ok()
                .zip(Some(p.clone()))
        })
        .ok_or_else(|| {
            bad_input_msg(format!(
                "no results file given and none found in {}/*/results.json",
                dir.display()
            ))
        })
}

pub fn recommend(args: RecommendArgs) -> anyhow::Result<ExitCode> {
    let path = match args.results {
        Some(p) => p,
        None => newest_results(Path::new("."))?,
    };
    let results = read_results(&path)?;
    let mut profile = match &args.profile_file {
        Some(file) => Profile::from_file(file).map_err(bad_input)?,
        None => builtin(&args.profile).map_err(bad_input)?,
    };
    if let Some(v) = args.slo_ms {
        profile.constraints.slo_ms = Some(v);
    }
    if let Some(v) = args.rate {
        profile.constraints.peak_rps = v;
    }
    if let Some(v) = args.price_per_core_hour {
        profile.constraints.price_per_core_hour = v;
    }
    profile
        .validate()
        .map_err(|m| bad_input_msg(format!("--slo-ms/--rate/--price-per-core-hour: {m}")))?;
    let fig = Figures::from_results(&results);
    let rec = rank(&fig, &profile);
    let text = render_recommendation(&rec, &path.display().to_string(), &results.machine.hostname);
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The terminal text of a recommendation.
pub fn render_recommendation(rec: &Recommendation, source: &str, host: &str) -> String {
    let p = &rec.profile;
    let c = &p.constraints;
    let unit = if p.main_scenario == crate::scenario::Scenario::WsChat {
        "deliveries/s"
    } else {
        "req/s"
    };
    let mut out = String::new();
    out += &format!("Profile: {} — {}\n", p.name, p.description);
    out += &format!("Results: {source} (measured on {host})\n");
    out += &format!(
        "Stated constraints: {} {unit} on {}, p99 ≤ {} ms, {:.3} per core-hour, {:.0} % headroom\n\n",
        fmt_int(c.peak_rps),
        p.main_scenario,
        rec.slo_ms,
        c.price_per_core_hour,
        c.headroom * 100.0
    );
    if let Some(missing) = &rec.main_missing {
        out += &format!("Nothing ranked: {missing}.\n");
        return out;
    }
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "#",
            "stack",
            "score",
            "measured",
            "stated",
            "p99",
            "cores",
            "cost/month",
        ]);
    for r in &rec.ranking {
        t.add_row(vec![
            Cell::new(r.rank),
            Cell::new(&r.stack),
            Cell::new(format!("{:.2}", r.score)).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.2}", r.measured)).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.2}", r.stated)).set_alignment(CellAlignment::Right),
            Cell::new(r.p99.map_or("—".into(), |(_, s)| {
                let mark = if r.meets_slo == Some(false) {
                    " ✗"
                } else {
                    ""
                };
                format!("{}{mark}", crate::verdict::format::fmt_us(s.median))
            }))
            .set_alignment(CellAlignment::Right),
            Cell::new(
                r.sizing
                    .as_ref()
                    .map_or("—".into(), |s| s.cores.to_string()),
            )
            .set_alignment(CellAlignment::Right),
            Cell::new(
                r.sizing
                    .as_ref()
                    .map_or("—".into(), |s| format!("{:.2}", s.cost_per_month)),
            )
            .set_alignment(CellAlignment::Right),
        ]);
    }
    out += &format!("{t}\n\n");
    out += "Why (measured):\n";
    for r in &rec.ranking {
        out += &format!("  {}. {}: {}\n", r.rank, r.stack, r.why);
    }
    out += "\nMeasured criteria (weight → what each stack showed):\n";
    if let Some(first) = rec.ranking.first() {
        for (i, cont) in first.contributions.iter().enumerate() {
            let shown: Vec<String> = rec
                .ranking
                .iter()
                .map(|r| {
                    let c = &r.contributions[i];
                    format!("{} {}", r.stack, c.figure.as_deref().unwrap_or("—"))
                })
                .collect();
            out += &format!(
                "  {:<12} {:.2}  {} — {}\n",
                cont.criterion.name(),
                cont.weight,
                cont.criterion.describe(),
                shown.join(", ")
            );
        }
    }
    for (c, scs) in &rec.not_measured {
        out += &format!(
            "  {:<12} not measured in this run (ringside run --scenarios {scs})\n",
            c.name()
        );
    }
    out += "\nStated (not measured, your weights):\n";
    if p.stated.is_empty() {
        out += "  none — team skills, ecosystem (e.g. ML libraries) and hiring enter only if you state them with --profile-file\n";
    } else {
        for s in &p.stated {
            out += &format!("  {:.2}  {} → favours {}\n", s.weight, s.factor, s.favours);
        }
    }
    out += &format!(
        "\nSizing: cores = {} {unit} × CPU-µs per request on {} ÷ 1e6, ÷ (1 − {:.2} headroom), rounded up; cost = cores × price × {HOURS_PER_MONTH} h.\n",
        fmt_int(c.peak_rps),
        p.main_scenario,
        c.headroom
    );
    out
}

pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    if let Some(p) = args.fail_on_regression
        && !(p.is_finite() && p >= 0.0)
    {
        return Err(bad_input_msg(format!(
            "--fail-on-regression {p}: give a per cent, 0 or more"
        )));
    }
    let (rb, ra) = (read_results(&args.before)?, read_results(&args.after)?);
    let context = crate::verdict::compare::context(&rb, &ra);
    let hard = context
        .iter()
        .any(|c| c.starts_with("different machines") || c.starts_with("different databases"));
    if hard && !args.force {
        return Err(bad_input_msg(format!(
            "{} and {} were not measured alike: {}; such a comparison measures the difference between the setups, not the stacks (pass --force to compare anyway)",
            args.before.display(),
            args.after.display(),
            context.join("; ")
        )));
    }
    let before = Figures::from_results(&rb);
    let after = Figures::from_results(&ra);
    let rows = compare_figures(&before, &after);
    let mut out = String::new();
    for c in &context {
        out += &format!("warning: {c}\n");
    }
    out += &render_compare(&rows, args.markdown);
    if let Some(pct) = args.fail_on_regression {
        let bad = crate::verdict::compare::regressions(&rows, pct);
        if bad.is_empty() {
            out += &format!("\nno figure got worse by {pct}% or more beyond its interval\n");
        } else {
            out += &format!(
                "\n{} figure(s) got worse by {pct}% or more beyond the interval: {}\n",
                bad.len(),
                bad.iter()
                    .map(|r| format!(
                        "{} {} {} {}",
                        r.stack,
                        r.scenario,
                        r.figure,
                        r.change.as_deref().unwrap_or("")
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            std::io::stdout().write_all(out.as_bytes())?;
            return Ok(ExitCode::FAILURE);
        }
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The comparison as a terminal table, or a Markdown table.
pub fn render_compare(rows: &[Row], markdown: bool) -> String {
    let mut t = Table::new();
    t.load_style(if markdown {
        presets::ASCII_MARKDOWN
    } else {
        presets::UTF8_FULL_CONDENSED
    })
    .set_content_arrangement(ContentArrangement::Disabled)
    .set_header(vec![
        "stack", "scenario", "figure", "before", "after", "change", "",
    ]);
    for r in rows {
        t.add_row(vec![
            Cell::new(&r.stack),
            Cell::new(&r.scenario),
            Cell::new(r.figure),
            Cell::new(r.before.as_deref().unwrap_or("—")).set_alignment(CellAlignment::Right),
            Cell::new(r.after.as_deref().unwrap_or("—")).set_alignment(CellAlignment::Right),
            Cell::new(r.change.as_deref().unwrap_or("")).set_alignment(CellAlignment::Right),
            Cell::new(r.outcome.label()),
        ]);
    }
    let ties = rows
        .iter()
        .filter(|r| r.outcome == crate::verdict::compare::Outcome::Tie)
        .count();
    format!(
        "{t}\n{} figures compared; {ties} ties (the change's 95 % interval includes no change, or it is below the runs' noise floor).\n",
        rows.len()
    )
}
