//! `ringside merge`: reads reports (files, folders of `*.json`, `-` for
//! standard input), dispatches on their `schema` and prints the merged
//! report with the same summary or JSON as the command that wrote them.
//!
//! Accepted: agents' `ringside.load/1` reports (HTTP) and `ringside.ws/1`
//! reports (WebSocket chat), merged by [`crate::load::merge`]; and the
//! `results.json` of the shards of `ringside run --shard I/N`, merged by
//! [`crate::results::merge`] into one run written to `--out` with its reports.
//! Each input may carry `warning:` lines around its JSON, as `kubectl logs`
//! of an agent pod shows them (the agent prints its warnings on stderr).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use serde::de::DeserializeOwned;

use crate::error::bad_input_msg;
use crate::input::RESULTS_MAX_BYTES;
use crate::load::merge::{Named, merge_load, merge_ws};
use crate::load::report::{LOAD_SCHEMA, WS_SCHEMA};
use crate::results::RESULTS_SCHEMA;
use crate::suite::cli::RESULTS_MARKER;

/// Flags of `ringside merge`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ringside merge agent-0.json agent-1.json agent-2.json
  ringside merge reports/ --json > merged.json
  kubectl logs job/ringside-load | ringside merge -      (one pod's report)
  ringside merge shard-0/ shard-1/ --out merged/          (results of run --shard I/N)")]
pub struct MergeArgs {
    /// Reports to merge: files, folders (every *.json inside), `-` for standard input.
    #[arg(required = true, value_name = "REPORT")]
    pub inputs: Vec<PathBuf>,
    /// Print the merged report as JSON (the schema of the inputs) instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Flag agents whose recording windows start further apart than this.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "250ms", value_name = "DUR")]
    pub max_skew: Duration,
    /// Results of `ringside run --shard`: the folder for the merged
    /// results.json, report.html and summary.md (required for results).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// One input: its name and its JSON.
struct Input {
    name: String,
    json: serde_json::Value,
}

/// What `merge` accepts, for error messages.
fn accepted() -> String {
    format!(
        "ringside merge accepts {LOAD_SCHEMA} and {WS_SCHEMA} reports (written by `ringside load --shard I/N --json`) \
         and {RESULTS_SCHEMA} files (written by `ringside run --shard I/N`)"
    )
}

/// Runs `ringside merge`.
pub fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let inputs = read_inputs(&args.inputs)?;
    let schema_of = |input: &Input| -> anyhow::Result<String> {
        input
            .json
            .get("schema")
            .and_then(|s| s.as_str())
            .map(String::from)
            .ok_or_else(|| {
                bad_input_msg(format!(
                    "{}: field `schema` is missing: {}",
                    input.name,
                    accepted()
                ))
            })
    };
    let schema = schema_of(&inputs[0])?;
    if schema.starts_with("ringside.results/") {
        return merge_run_results(inputs, args.out.as_deref());
    }
    for input in &inputs {
        let theirs = schema_of(input)?;
        if theirs.starts_with("ringside.results/") {
            return Err(bad_input_msg(format!(
                "{}: field `schema` is `{theirs}`, but {} is `{schema}`: results files merge only \
                 with results files",
                input.name, inputs[0].name
            )));
        }
        if theirs != LOAD_SCHEMA && theirs != WS_SCHEMA {
            return Err(bad_input_msg(format!(
                "{}: field `schema` is `{theirs}`: {}",
                input.name,
                accepted()
            )));
        }
        if theirs != schema {
            return Err(bad_input_msg(format!(
                "{}: field `schema` is `{theirs}`, but {} is `{schema}`: HTTP and WebSocket reports cannot be merged",
                input.name, inputs[0].name
            )));
        }
    }
    let mut out = std::io::stdout().lock();
    if schema == LOAD_SCHEMA {
        let report = merge_load(&typed(inputs)?, args.max_skew)?;
        if args.json {
            serde_json::to_writer_pretty(&mut out, &report).context("writing the JSON report")?;
            writeln!(out).context("writing the JSON report")?;
        } else {
            let text = crate::load::terminal::render_report(&report)
                .context("the merged report has no run information")?;
            out.write_all(text.as_bytes())
                .context("writing the summary")?;
        }
    } else {
        let report = merge_ws(&typed(inputs)?, args.max_skew)?;
        if args.json {
            serde_json::to_writer_pretty(&mut out, &report).context("writing the JSON report")?;
            writeln!(out).context("writing the JSON report")?;
        } else {
            write!(out, "{}", crate::load::ws::cli::summary(&report))
                .context("writing the summary")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The shards' results files merged into one run, written with its reports.
fn merge_run_results(inputs: Vec<Input>, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let Some(out) = out else {
        return Err(bad_input_msg(
            "merging results files of `ringside run --shard` writes a run: give --out DIR",
        ));
    };
    let mut runs = Vec::with_capacity(inputs.len());
    for input in inputs {
        let theirs = input.json.get("schema").and_then(|s| s.as_str());
        if theirs != Some(RESULTS_SCHEMA) {
            return Err(bad_input_msg(format!(
                "{}: field `schema` is `{}`: this ringside merges {RESULTS_SCHEMA} results files",
                input.name,
                crate::input::printable(theirs.unwrap_or("missing"), 100)
            )));
        }
        let results: crate::results::Results = serde_json::from_value(input.json).map_err(|e| {
            bad_input_msg(format!(
                "{}: does not match {RESULTS_SCHEMA}: {}",
                input.name,
                crate::input::json_error(&e)
            ))
        })?;
        crate::results::validate::validate_file(&results, Path::new(&input.name))?;
        runs.push((input.name, results));
    }
    let merged = crate::results::merge::merge_results(&runs)?;
    let file = out.join("results.json");
    if file.exists() {
        return Err(bad_input_msg(format!(
            "{}: a results file is already there; choose another --out",
            file.display()
        )));
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("creating the results folder {}", out.display()))?;
    let text = serde_json::to_string_pretty(&merged).context("serialising the merged run")?;
    std::fs::write(&file, text + "\n").with_context(|| format!("writing {}", file.display()))?;
    print!("{}", crate::report::terminal::render(&merged));
    let (html, md) = crate::report::write_reports(&merged, out)?;
    println!("results: {}", file.display());
    println!("report:  {}", html.display());
    println!("summary: {}", md.display());
    Ok(ExitCode::SUCCESS)
}

fn typed<T: DeserializeOwned>(inputs: Vec<Input>) -> anyhow::Result<Vec<Named<T>>> {
    inputs
        .into_iter()
        .map(|i| {
            let report = serde_json::from_value(i.json).map_err(|e| {
                bad_input_msg(format!(
                    "{}: not a complete report: {}",
                    i.name,
                    crate::input::json_error(&e)
                ))
            })?;
            Ok(Named {
                name: i.name,
                report,
            })
        })
        .collect()
}

/// Reads every input: files, folders (their `*.json`, sorted), `-` (stdin, once).
fn read_inputs(paths: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    let mut files = Vec::new();
    for path in paths {
        if path == Path::new("-") {
            files.push(path.clone());
        } else if path.is_dir() && path.join("results.json").is_file() {
            // A run's folder: its results file (not verdict.json beside it).
            files.push(path.join("results.json"));
        } else if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| {
                    bad_input_msg(format!("{}: cannot list the folder: {e}", path.display()))
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
                .collect();
            if found.is_empty() {
                return Err(bad_input_msg(format!(
                    "{}: the folder holds no *.json report",
                    path.display()
                )));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut stdin_used = false;
    let mut inputs = Vec::with_capacity(files.len());
    for path in files {
        let (name, text) = if path == Path::new("-") {
            if std::mem::replace(&mut stdin_used, true) {
                return Err(bad_input_msg("`-` (standard input) is given twice"));
            }
            let text = crate::input::read_limited(std::io::stdin(), "a report", RESULTS_MAX_BYTES)
                .map_err(|e| bad_input_msg(format!("-: cannot read standard input: {e}")))?;
            ("-".to_string(), text)
        } else {
            let name = path.display().to_string();
            let text = crate::input::read_text(&path, "a report", RESULTS_MAX_BYTES)
                .map_err(|e| bad_input_msg(format!("{name}: cannot be read: {e}")))?;
            (name, text)
        };
        let json =
            extract_report(&text).map_err(|reason| bad_input_msg(format!("{name}: {reason}")))?;
        inputs.push(Input { name, json });
    }
    Ok(inputs)
}

/// The JSON object in `text`, allowing `warning:` lines (and blank lines)
/// before and after it, as an agent pod's `kubectl logs` shows them.
/// Output of `ringside run --emit-results` (a run pod's log) holds the run's
/// progress, then the results file after [`RESULTS_MARKER`]: that file is taken.
fn extract_report(text: &str) -> Result<serde_json::Value, String> {
    let marker = text
        .match_indices(RESULTS_MARKER)
        .filter(|(at, _)| {
            let line_start = *at == 0 || text.as_bytes()[at - 1] == b'\n';
            let rest = &text[at + RESULTS_MARKER.len()..];
            line_start && (rest.is_empty() || rest.starts_with('\n') || rest.starts_with("\r\n"))
        })
        .last();
    if let Some((at, _)) = marker {
        let body = &text[at + RESULTS_MARKER.len()..];
        let mut stream = serde_json::Deserializer::from_str(body).into_iter::<serde_json::Value>();
        return match stream.next() {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(format!(
                "holds `{RESULTS_MARKER}` but no whole results file after it ({}): \
                 was the output cut short?",
                crate::input::json_error(&e)
            )),
            None => Err(format!(
                "holds `{RESULTS_MARKER}` but nothing after it: was the output cut short?"
            )),
        };
    }
    let noise = |line: &str| line.trim().is_empty() || line.trim_start().starts_with("warning:");
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if !noise(line) {
            break;
        }
        offset += line.len();
    }
    let body = &text[offset..];
    if !body.trim_start().starts_with('{') {
        let first = body.lines().next().unwrap_or("").trim();
        return Err(if first.is_empty() {
            "is empty: no report in it".into()
        } else {
            format!(
                "is not a ringside JSON report (it starts with `{}`)",
                crate::input::printable(first, 120)
            )
        });
    }
    let mut stream = serde_json::Deserializer::from_str(body).into_iter::<serde_json::Value>();
    let value = match stream.next() {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            return Err(format!(
                "is not valid JSON: {}",
                crate::input::json_error(&e)
            ));
        }
        None => return Err("is empty: no report in it".into()),
    };
    let rest = &body[stream.byte_offset()..];
    if let Some(line) = rest.lines().find(|l| !noise(l)) {
        return Err(format!(
            "has text after the report that is not a `warning:` line: `{}`",
            crate::input::printable(line.trim(), 120)
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_found_after_its_marker_in_a_log() {
        let log = format!(
            "round 1 of 2\n{RESULTS_MARKER} is what comes\n{RESULTS_MARKER}\n{{\"schema\": \"r\"}}\nerror: nothing valid\n"
        );
        assert_eq!(extract_report(&log).unwrap()["schema"], "r");
        let cut = format!("progress\n{RESULTS_MARKER}\n{{\"schema\": ");
        assert!(extract_report(&cut).unwrap_err().contains("cut short"));
        let no_run = "round 1 of 2\nmeasuring json\n";
        assert!(
            extract_report(no_run)
                .unwrap_err()
                .contains("starts with `round 1")
        );
    }

    #[test]
    fn reports_are_found_among_warning_lines() {
        let v = extract_report(
            "warning: x\n{\"schema\": \"s\"}\nwarning: the target rate was not reached\n",
        )
        .unwrap();
        assert_eq!(v["schema"], "s");
        assert!(extract_report("{\"a\": 1}").is_ok());
        assert!(
            extract_report("error: --start-at is in the past\n")
                .unwrap_err()
                .contains("starts with `error:")
        );
        assert!(
            extract_report("{\"a\": 1}\nsomething else\n")
                .unwrap_err()
                .contains("something else")
        );
        assert!(extract_report("").unwrap_err().contains("empty"));
        assert!(
            extract_report("{\"a\": ")
                .unwrap_err()
                .contains("not valid JSON")
        );
    }
}
