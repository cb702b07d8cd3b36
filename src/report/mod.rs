//! Writing results: one serialisable [`Results`] value, rendered by one
//! [`Exporter`] per file format; this module alone decides paths and writes.
//!
//! `runs.jsonl` is the exception: the sweep appends a line to it as each run
//! finishes, so that an interrupted sweep loses nothing already measured.

pub mod charts;
pub mod compare;
mod csv;
mod html;
mod json;
mod markdown;
pub mod tables;

use crate::analysis::{Aggregate, BreakEven, LabelsToTarget, Verdict};
use crate::cost::CostAssumptions;
use crate::measure::machine::Machine;
use crate::runner::pretrain::Pretrained;
use crate::runner::RunRecord;
use crate::suite::Suite;
use crate::{fsio, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the `results.json` layout; bumped when a field changes meaning.
pub const SCHEMA_VERSION: u32 = 1;
/// Runs appended one JSON object per line as they finish.
pub const RUNS_JSONL: &str = "runs.jsonl";
/// The suite as run, beside the results.
pub const SUITE_FILE: &str = "suite.toml";

/// Everything a report is made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// [`SCHEMA_VERSION`] when written.
    pub schema_version: u32,
    /// reuse-bench version that ran the sweep.
    pub tool_version: String,
    /// When the sweep finished (RFC 3339, UTC).
    pub created_at: String,
    /// The command line that produced it.
    pub command: Vec<String>,
    /// The suite as run (after `--quick`, if given).
    pub suite: Suite,
    /// The machine the runs were measured on.
    pub machine: Machine,
    /// The pretrained checkpoint the reuse strategies started from.
    pub pretrained: Option<Pretrained>,
    /// Every run, in the order run.
    pub runs: Vec<RunRecord>,
    /// Per (strategy, budget) summaries over seeds, with 95% intervals and costs.
    pub aggregates: Vec<Aggregate>,
    /// The assumptions every cost, energy and carbon figure was computed with.
    pub cost: CostAssumptions,
    /// Labels each strategy needs to reach the target.
    pub labels_to_target: Vec<LabelsToTarget>,
    /// Where scratch comes within the tolerance of the best reuse strategy.
    pub break_even: Option<BreakEven>,
    /// The decision, its reasons and what would change it.
    pub verdict: Verdict,
    /// Wall seconds of the whole sweep, pretraining included when it ran.
    pub sweep_wall_s: f64,
}

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

/// Folder of the chart PNGs inside a report.
pub const CHARTS_DIR: &str = "charts";
/// The machine-readable whole, the file `reuse-bench report` re-renders from.
pub const RESULTS_JSON: &str = "results.json";

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
pub fn write_reports(dir: &Path, results: &Results, files: Files) -> Result<Vec<PathBuf>> {
    let charts = charts::render_all(results)?;
    let input = Rendered {
        results,
        charts: &charts,
    };
    let mut exporters: Vec<Box<dyn Exporter>> = vec![
        Box::new(csv::Csv),
        Box::new(markdown::Markdown),
        Box::new(ChartFiles),
        Box::new(html::Html),
    ];
    if files == Files::All {
        exporters.insert(0, Box::new(json::Json));
    }
    fsio::create_dir_all(&dir.join(CHARTS_DIR))?;
    let mut written = Vec::new();
    for exporter in exporters {
        for file in exporter.render(&input)? {
            let path = dir.join(&file.path);
            fsio::write_atomic(&path, &file.bytes)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Reads `results.json` from a report folder, naming the file and the fix on failure.
pub fn load_results(dir: &Path) -> Result<Results> {
    let path = dir.join(RESULTS_JSON);
    if !path.is_file() {
        return Err(Error::Results {
            path,
            message: "not found; pass a report folder written by `reuse-bench run`".into(),
        });
    }
    let text = fsio::read_to_string(&path)?;
    let version: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Results {
        path: path.clone(),
        message: format!("is not valid JSON ({e}); the file is damaged"),
    })?;
    let found = version.get("schema_version").and_then(|v| v.as_u64());
    if found != Some(SCHEMA_VERSION as u64) {
        return Err(Error::Results {
            path,
            message: format!(
                "has schema version {found:?}, this reuse-bench reads version {SCHEMA_VERSION}; use the version that \
                 wrote it"
            ),
        });
    }
    serde_json::from_value(version).map_err(|e| Error::Results {
        path,
        message: format!("does not match the results format ({e})"),
    })
}

/// The test-accuracy table of the summary (budget x strategy), for the terminal.
pub fn accuracy_table(results: &Results) -> String {
    markdown::accuracy_table(results)
}

/// The default report folder: `reports/<suite>-<UTC timestamp>`.
pub fn default_out_dir(suite: &Suite) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    PathBuf::from("reports").join(format!("{}-{stamp}", suite.name))
}

/// Creates `dir` for a new report; refuses a folder that already holds
/// anything, so results already written are never overwritten or mixed.
pub fn prepare_out_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io("reading", dir, e))?;
        if entries.next().is_some() {
            return Err(Error::Results {
                path: dir.to_path_buf(),
                message: "folder is not empty; reuse-bench never overwrites results: choose another --out or remove it"
                    .into(),
            });
        }
    }
    fsio::create_dir_all(dir)
}

/// Appends one finished run to `runs.jsonl` in `dir`.
pub fn append_run(dir: &Path, run: &RunRecord) -> Result<()> {
    fsio::append_line(
        &dir.join(RUNS_JSONL),
        &serde_json::to_string(run).expect("runs serialise"),
    )
}

/// Saves the suite as run beside the results.
pub fn write_suite(dir: &Path, suite: &Suite) -> Result<()> {
    fsio::write_atomic(&dir.join(SUITE_FILE), suite.to_toml().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_dir_refuses_existing_results() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        prepare_out_dir(&out).unwrap();
        prepare_out_dir(&out).unwrap(); // empty: fine
        std::fs::write(out.join("results.json"), "{}").unwrap();
        let err = prepare_out_dir(&out).unwrap_err().to_string();
        assert!(err.contains("never overwrites"), "{err}");
        assert_eq!(std::fs::read_to_string(out.join("results.json")).unwrap(), "{}");
    }
}
