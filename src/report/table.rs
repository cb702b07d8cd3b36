//! The report's building blocks: tables of pre-formatted cells and
//! labelled items, and the cell formats shared by every table.

use crate::analysis::{Aggregate, Summary};
use serde::{Deserialize, Serialize};

/// A table of pre-formatted cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Column headings.
    pub header: Vec<String>,
    /// Whether each column holds numbers (right-aligned).
    pub numeric: Vec<bool>,
    /// Rows of cells, as many as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column headings and alignments.
    pub fn new(header: &[&str], numeric: &[bool]) -> Self {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            numeric: numeric.to_vec(),
            rows: Vec::new(),
        }
    }

    /// The table in GitHub Markdown (the summary's and the terminal's form).
    pub fn to_markdown(&self) -> String {
        let mut md = format!("| {} |\n|", self.header.join(" | "));
        for &n in &self.numeric {
            md.push_str(if n { "---:|" } else { "---|" });
        }
        md.push('\n');
        for row in &self.rows {
            md.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        md
    }
}

/// A labelled paragraph, e.g. ("Compute", "gcp/e2-standard-2 ...").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// The bold lead-in.
    pub label: String,
    /// The text.
    pub text: String,
}

/// An item with its bold lead-in.
pub fn item(label: &str, text: String) -> Item {
    Item {
        label: label.to_string(),
        text,
    }
}

/// `mean ± sd` with `fmt` applied to both, or the mean alone for one value.
pub fn mean_sd(s: &Summary, fmt: impl Fn(f64) -> String) -> String {
    match s.sd {
        Some(sd) => format!("{} ± {}", fmt(s.mean), fmt(sd)),
        None => fmt(s.mean),
    }
}

/// `mean [lo, hi]` (95% CI), or the mean alone for one value.
pub fn mean_ci(s: &Summary, fmt: impl Fn(f64) -> String) -> String {
    match s.ci95 {
        Some((lo, hi)) => format!("{} [{}, {}]", fmt(s.mean), fmt(lo), fmt(hi)),
        None => fmt(s.mean),
    }
}

/// `mean ± sd`, or a dash where nothing was measured.
pub fn or_dash(s: Option<&Summary>, fmt: impl Fn(f64) -> String) -> String {
    s.map_or_else(|| "–".to_string(), |s| mean_sd(s, fmt))
}

/// The text, followed by `(completed/runs ok)` when some runs of the cell did not complete.
pub fn with_failures(text: String, a: &Aggregate) -> String {
    if a.completed < a.runs {
        format!("{text} ({}/{} ok)", a.completed, a.runs)
    } else {
        text
    }
}
