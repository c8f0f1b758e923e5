//! The Markdown summary (`summary.md`) for pull requests and wikis: the
//! ledger, the recommendations, a table per scenario and how to reproduce.

use super::{Exporter, templates};
use crate::report::view::ReportView;

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, view: &ReportView) -> anyhow::Result<String> {
        Ok(templates()
            .get_template("summary.md")?
            .render(minijinja::value::Serde(view))?)
    }
}
