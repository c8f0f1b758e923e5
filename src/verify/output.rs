//! What `ringside verify` prints: a table of stack × scenario (pass / FAIL),
//! every failure with its reason, and the stacks that could not be installed
//! or started with their last stderr lines; or the same as JSON.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::{Cell, Color, Table, presets};
use serde::Serialize;

use super::VerifyReport;
use crate::db::DbKind;
use crate::scenario::Scenario;

/// How far a stack got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StackStatus {
    /// Launched and checked (the checks may have failed).
    Verified,
    /// Runtime not present; not selected by name, so not a failure.
    Skipped,
    /// Named on the command line but its runtime is not present.
    RuntimeMissing,
    SetupFailed,
    StartFailed,
}

impl StackStatus {
    fn label(self) -> &'static str {
        match self {
            StackStatus::Verified => "verified",
            StackStatus::Skipped => "skipped",
            StackStatus::RuntimeMissing => "runtime missing",
            StackStatus::SetupFailed => "install failed",
            StackStatus::StartFailed => "start failed",
        }
    }
}

/// The verification of one stack (or of one `--url` server).
#[derive(Debug, Clone, Serialize)]
pub struct StackVerification {
    pub stack: String,
    pub status: StackStatus,
    /// Why it was not (fully) verified: install or start error, runtime missing,
    /// server exited.
    pub error: Option<String>,
    /// The server's last stderr lines, when something failed.
    pub stderr_tail: Vec<String>,
    /// Scenarios checked (claimed by the manifest, or asked for).
    pub scenarios: Vec<Scenario>,
    /// Scenarios the deployment says it cannot serve, with why (the
    /// manifest's `unsupported`); not checked, not a failure.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unsupported: BTreeMap<String, String>,
    pub report: VerifyReport,
}

impl StackVerification {
    /// True when nothing about this stack makes `verify` fail.
    pub fn passed(&self) -> bool {
        match self.status {
            StackStatus::Skipped => true,
            StackStatus::Verified => {
                self.report.checks.iter().all(|c| c.passed)
                    && self.scenarios.iter().all(|s| self.report.passed(*s))
                    && self.error.is_none()
            }
            _ => false,
        }
    }
}

/// The table, the failures and the stacks not verified, as text.
pub fn render_text(results: &[StackVerification]) -> String {
    let columns: Vec<Scenario> = Scenario::ALL
        .into_iter()
        .filter(|s| {
            results
                .iter()
                .any(|r| r.scenarios.contains(s) || r.unsupported.contains_key(s.name()))
        })
        .collect();
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    let mut header = vec![Cell::new("stack"), Cell::new("status")];
    header.extend(columns.iter().map(|s| Cell::new(s.name())));
    table.set_header(header);
    for r in results {
        let mut row = vec![Cell::new(&r.stack), Cell::new(r.status.label())];
        for sc in &columns {
            let cell = if r.unsupported.contains_key(sc.name()) && !r.scenarios.contains(sc) {
                Cell::new("unsupported")
            } else if !r.scenarios.contains(sc) {
                Cell::new("-")
            } else if r.status != StackStatus::Verified {
                Cell::new("not run")
            } else if r.report.passed(*sc) {
                Cell::new("pass").fg(Color::Green)
            } else {
                Cell::new("FAIL").fg(Color::Red)
            };
            row.push(cell);
        }
        table.add_row(row);
    }
    let mut out = format!("{table}\n");

    let failures: Vec<String> = results
        .iter()
        .flat_map(|r| {
            r.report
                .failed()
                .map(move |c| format!("  {} {} — {}: {}", r.stack, c.scenario, c.check, c.detail))
        })
        .collect();
    if !failures.is_empty() {
        out.push_str(&format!("\nFailed checks ({}):\n", failures.len()));
        for line in failures {
            out.push_str(&line);
            out.push('\n');
        }
    }

    let unsupported: Vec<String> = results
        .iter()
        .flat_map(|r| {
            r.unsupported
                .iter()
                .filter(|(sc, _)| columns.iter().any(|c| c.name() == sc.as_str()))
                .filter(|(sc, _)| !r.scenarios.iter().any(|c| c.name() == sc.as_str()))
                .map(move |(sc, why)| format!("  {} {sc} — {why}", r.stack))
        })
        .collect();
    if !unsupported.is_empty() {
        out.push_str(&format!(
            "\nUnsupported, as the deployment says ({}):\n",
            unsupported.len()
        ));
        for line in unsupported {
            out.push_str(&line);
            out.push('\n');
        }
    }

    let troubled: Vec<&StackVerification> = results
        .iter()
        .filter(|r| r.error.is_some() || !r.stderr_tail.is_empty())
        .collect();
    for r in troubled {
        out.push_str(&format!("\n{} ({}):", r.stack, r.status.label()));
        if let Some(e) = &r.error {
            out.push_str(&format!(" {e}"));
        }
        out.push('\n');
        if !r.stderr_tail.is_empty() {
            out.push_str("  last lines of the server's output:\n");
            for line in &r.stderr_tail {
                out.push_str(&format!("  | {line}\n"));
            }
        }
    }

    let counted: Vec<&StackVerification> = results
        .iter()
        .filter(|r| r.status != StackStatus::Skipped)
        .collect();
    let passed = counted.iter().filter(|r| r.passed()).count();
    let unverified = counted
        .iter()
        .filter(|r| r.status != StackStatus::Verified)
        .count();
    out.push_str(&format!(
        "\n{passed} of {} conform{}",
        plural(counted.len(), "stack"),
        if passed == 1 { "s" } else { "" }
    ));
    if unverified > 0 {
        out.push_str(&format!("; {unverified} could not be verified"));
    }
    let skipped: Vec<&str> = results
        .iter()
        .filter(|r| r.status == StackStatus::Skipped)
        .map(|r| r.stack.as_str())
        .collect();
    if !skipped.is_empty() {
        out.push_str(&format!(
            "; skipped (runtime not present): {}",
            skipped.join(", ")
        ));
    }
    out.push_str(".\n");
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub fn write_text(w: &mut impl Write, results: &[StackVerification]) -> std::io::Result<()> {
    w.write_all(render_text(results).as_bytes())
}

/// `{"db": ..., "passed": bool, "stacks": [...]}`, as `src/verify/verify.schema.json` describes.
pub fn write_json(
    w: &mut impl Write,
    db: DbKind,
    results: &[StackVerification],
) -> anyhow::Result<()> {
    let doc = serde_json::json!({
        "db": db,
        "passed": results.iter().all(StackVerification::passed),
        "stacks": results,
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::CheckResult;

    fn check(scenario: Scenario, check: &str, detail: &str) -> CheckResult {
        CheckResult {
            scenario,
            check: check.into(),
            passed: detail.is_empty(),
            detail: detail.into(),
        }
    }

    #[test]
    fn text_output() {
        let results = vec![
            StackVerification {
                stack: "node-http".into(),
                status: StackStatus::Verified,
                error: None,
                stderr_tail: vec![],
                scenarios: vec![Scenario::Plaintext, Scenario::Json],
                unsupported: BTreeMap::new(),
                report: VerifyReport {
                    checks: vec![
                        check(Scenario::Plaintext, "/plaintext body", ""),
                        check(
                            Scenario::Json,
                            "/json content-type",
                            "expected Content-Type application/json, got \"text/plain\"",
                        ),
                    ],
                },
            },
            StackVerification {
                stack: "python-flask".into(),
                status: StackStatus::StartFailed,
                error: Some("starting python-flask: /health did not answer within 30 s".into()),
                stderr_tail: vec!["ModuleNotFoundError: No module named 'flask'".into()],
                scenarios: vec![Scenario::Plaintext],
                unsupported: BTreeMap::new(),
                report: VerifyReport::default(),
            },
        ];
        assert!(!results[0].passed());
        assert!(!results[1].passed());
        let text = render_text(&results);
        let plain = String::from_utf8(strip_ansi(text.as_bytes())).unwrap();
        insta::assert_snapshot!(plain);
    }

    fn strip_ansi(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == 0x1b {
                while i < bytes.len() && bytes[i] != b'm' {
                    i += 1;
                }
            } else {
                out.push(bytes[i]);
            }
            i += 1;
        }
        out
    }
}
