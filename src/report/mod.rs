//! Exporters of a results file — one file a format, behind [`Exporter`]:
//! HTML ([`html`]), Markdown ([`markdown`]), JSON ([`json`]). All render the
//! same [`view::ReportView`], built once from the results.

pub mod charts;
pub mod cli;
pub mod histogram;
pub mod html;
pub mod json;
pub mod lost;
pub mod markdown;
pub mod plots;
pub mod protocols;
pub mod runtimes;
pub mod terminal;
pub mod view;
pub mod ws_view;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::results::Results;
use view::ReportView;

/// One output format of the report.
pub trait Exporter {
    /// The file name it writes in the output folder.
    fn file_name(&self) -> &'static str;
    /// Renders the whole file.
    fn render(&self, view: &ReportView) -> anyhow::Result<String>;
}

pub use crate::results::read::read_results;

/// Every file exporter, in writing order.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(html::HtmlExporter),
        Box::new(markdown::MarkdownExporter),
        Box::new(json::JsonExporter),
    ]
}

/// Writes `report.html`, `summary.md` and `verdict.json` into `out_dir` (created
/// when missing); returns the paths of the HTML report and the Markdown summary.
pub fn write_reports(results: &Results, out_dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("creating report folder {}", out_dir.display()))?;
    let view = ReportView::new(results);
    let mut written = Vec::new();
    for exporter in exporters() {
        let path = out_dir.join(exporter.file_name());
        let text = exporter
            .render(&view)
            .with_context(|| format!("rendering {}", exporter.file_name()))?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok((written[0].clone(), written[1].clone()))
}

/// The template environment: templates embedded at build time, HTML autoescaped.
pub(crate) fn templates() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("valid syntax config"),
    );
    env.add_template("report.html", include_str!("../../templates/report.html"))
        .expect("report.html template parses");
    env.add_template("report.css", include_str!("../../templates/report.css"))
        .expect("report.css template parses");
    env.add_template("charts.html", include_str!("../../templates/charts.html"))
        .expect("charts.html template parses");
    env.add_template("summary.md", include_str!("../../templates/summary.md"))
        .expect("summary.md template parses");
    env
}
