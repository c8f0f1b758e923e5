//! `verdict.json`: the figures (medians and ranges of valid trials), the claims
//! ledger and the rankings of the built-in profiles, for other tools.

use serde::Serialize;

use super::Exporter;
use crate::report::view::ReportView;
use crate::verdict::claims::ClaimVerdict;
use crate::verdict::figures::Figures;
use crate::verdict::recommend::Recommendation;

/// Identifies the layout of `verdict.json`.
pub const VERDICT_SCHEMA: &str = "ringside.verdict/1";

#[derive(Serialize)]
struct Verdict<'a> {
    schema: &'static str,
    ringside_version: &'a str,
    command: &'a str,
    ledger: &'a [ClaimVerdict],
    recommendations: &'a [Recommendation],
    figures: &'a Figures,
}

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn file_name(&self) -> &'static str {
        "verdict.json"
    }

    fn render(&self, view: &ReportView) -> anyhow::Result<String> {
        let v = Verdict {
            schema: VERDICT_SCHEMA,
            ringside_version: &view.ringside_version,
            command: &view.command,
            ledger: &view.ledger,
            recommendations: &view.rankings,
            figures: &view.figures,
        };
        Ok(serde_json::to_string_pretty(&v)? + "\n")
    }
}
