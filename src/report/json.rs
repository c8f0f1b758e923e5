//! `verdict.json`: the report's view (figures as shown, ledger, recommendations)
//! for other tools.

use super::Exporter;
use crate::report::view::ReportView;

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn file_name(&self) -> &'static str {
        "verdict.json"
    }

    fn render(&self, view: &ReportView) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(view)? + "\n")
    }
}
