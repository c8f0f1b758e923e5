//! Exporters of a results file: terminal, JSON, Markdown, HTML — one file a format.

pub mod cli;
pub mod terminal;
