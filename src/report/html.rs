//! The self-contained HTML report: inline CSS, inline SVG charts, no scripts
//! and nothing fetched from the network.

use super::{Exporter, templates};
use crate::report::view::ReportView;

pub struct HtmlExporter;

impl Exporter for HtmlExporter {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn render(&self, view: &ReportView) -> anyhow::Result<String> {
        Ok(templates()
            .get_template("report.html")?
            .render(minijinja::value::Serde(view))?)
    }
}
