//! The names of every file reuse-bench writes, in one place, so that the
//! store, the exporters, the tests and the README agree.

/// The suite as run, beside the results.
pub const SUITE_TOML: &str = "suite.toml";
/// The sweep's manifest: what the folder is meant to hold (resume, shards, merge).
pub const SWEEP_JSON: &str = "sweep.json";
/// Runs appended one JSON object per line as they finish.
pub const RUNS_JSONL: &str = "runs.jsonl";
/// The machine-readable whole, the file `reuse-bench report` re-renders from.
pub const RESULTS_JSON: &str = "results.json";
/// One row per run.
pub const RUNS_CSV: &str = "runs.csv";
/// The human-readable summary.
pub const SUMMARY_MD: &str = "summary.md";
/// The self-contained page.
pub const INDEX_HTML: &str = "index.html";
/// Folder of the chart PNGs inside a report.
pub const CHARTS_DIR: &str = "charts";
/// `compare --out`: the comparison as Markdown.
pub const COMPARE_MD: &str = "compare.md";
/// `compare --out`: the comparison as JSON.
pub const COMPARE_JSON: &str = "compare.json";
/// A checkpoint's model card, beside its `model.safetensors`.
pub const MODEL_CARD_JSON: &str = "model_card.json";
