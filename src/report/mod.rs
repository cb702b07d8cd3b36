//! Reporting: every file a person or a program reads, rendered from one
//! [`Results`] value. One [`Exporter`] per format returns bytes; only
//! [`write_reports`] writes them, into a [`ReportDir`]. The human-readable
//! files come from one view model ([`view::Page`]) through one template
//! engine ([`templates`]); the verdict's sentences are made here
//! ([`verdict_text`]) from the structured verdict.

pub mod charts;
pub mod compare;
mod csv;
mod documents;
pub mod format;
mod json;
pub mod prose;
pub mod sections;
pub mod table;
pub mod templates;
pub mod verdict_text;
pub mod view;

use crate::analysis::Results;
use crate::results::files::CHARTS_DIR;
use crate::results::ReportDir;
use crate::{fsio, Result};
use std::path::{Path, PathBuf};

/// What the exporters render from: the results and the charts drawn from them once.
struct Rendered<'a> {
    results: &'a Results,
    charts: &'a [charts::Chart],
}

/// One file of a report, its path relative to the report folder.
struct OutputFile {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl OutputFile {
    fn new(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Self {
        OutputFile {
            path: path.into(),
            bytes,
        }
    }
}

/// One output format: returns its files' bytes; only [`write_reports`] writes.
trait Exporter {
    fn render(&self, input: &Rendered) -> Result<Vec<OutputFile>>;
}

/// The chart PNGs under `charts/`.
struct ChartFiles;

impl Exporter for ChartFiles {
    fn render(&self, input: &Rendered) -> Result<Vec<OutputFile>> {
        Ok(input
            .charts
            .iter()
            .map(|c| OutputFile::new(Path::new(CHARTS_DIR).join(c.file_name), c.png.clone()))
            .collect())
    }
}

/// Which files [`write_reports`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Files {
    /// Everything, `results.json` included (after a sweep).
    All,
    /// Everything derived from `results.json`, leaving it untouched (`reuse-bench report`).
    Derived,
}

/// Renders every report file from `results` and writes it into `dir` (each
/// file atomically); returns the paths written.
pub fn write_reports(dir: &ReportDir, results: &Results, files: Files) -> Result<Vec<PathBuf>> {
    let charts = charts::render_all(results)?;
    let input = Rendered {
        results,
        charts: &charts,
    };
    let mut exporters: Vec<Box<dyn Exporter>> =
        vec![Box::new(csv::Csv), Box::new(documents::Documents), Box::new(ChartFiles)];
    if files == Files::All {
        exporters.insert(0, Box::new(json::Json));
    }
    fsio::create_dir_all(&dir.file(CHARTS_DIR))?;
    let mut written = Vec::new();
    for exporter in exporters {
        for file in exporter.render(&input)? {
            let path = dir.path.join(&file.path);
            fsio::write_atomic(&path, &file.bytes)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// The test-accuracy table (budget x strategy) in Markdown, for the terminal.
pub fn accuracy_table(results: &Results) -> String {
    sections::accuracy_by_budget(results).to_markdown()
}
