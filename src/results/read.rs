//! Reading a results file back: the schema checked first (a file of another
//! version is refused with what to do), then the shape, then every value
//! ([`super::validate`]). Every refusal is bad input (exit 2) naming the file.

use std::path::Path;

use crate::error::bad_input_msg;
use crate::input::{RESULTS_MAX_BYTES, json_error, printable, read_text};

use super::{RESULTS_SCHEMA, Results};

/// Reads a results file; a missing, unreadable or wrong-schema file is bad input (exit 2)
/// and the message names the file and what is wrong.
pub fn read_results(path: &Path) -> anyhow::Result<Results> {
    let shown = path.display();
    let text = read_text(path, "a results file", RESULTS_MAX_BYTES)
        .map_err(|e| bad_input_msg(format!("cannot read results file {shown}: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        bad_input_msg(format!(
            "results file {shown} is not JSON: {}",
            json_error(&e)
        ))
    })?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(RESULTS_SCHEMA) => {}
        Some("ringside.results/1") => {
            return Err(bad_input_msg(format!(
                "results file {shown} has schema `ringside.results/1` (single trials, before \
                 interleaved rounds and intervals); this ringside reads `{RESULTS_SCHEMA}`: \
                 measure again with `ringside run`, or read it with ringside 0.1"
            )));
        }
        Some(other) => {
            return Err(bad_input_msg(format!(
                "results file {shown} has schema `{}`; this ringside reads `{RESULTS_SCHEMA}`",
                printable(other, 100)
            )));
        }
        None => {
            return Err(bad_input_msg(format!(
                "{shown} is not a ringside results file (no \"schema\": \"{RESULTS_SCHEMA}\")"
            )));
        }
    }
    let results: Results = serde_json::from_value(value).map_err(|e| {
        bad_input_msg(format!(
            "results file {shown} does not match {RESULTS_SCHEMA}: {}",
            json_error(&e)
        ))
    })?;
    crate::results::validate::validate_file(&results, path)?;
    Ok(results)
}
