//! The comparison of two result sets as Markdown (through the report's one
//! template engine) and JSON.

use super::format::sig3;
use super::table::Table;
use super::templates;
use crate::analysis::compare::{Better, CellComparison, Comparison, Delta, Regression};
use crate::results::files::{COMPARE_JSON, COMPARE_MD};
use crate::{fsio, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What `compare.md` shows, already formatted.
#[derive(Debug, Serialize)]
pub struct CompareView {
    /// The first set's name (its folder).
    pub a: String,
    /// The second set's name.
    pub b: String,
    /// One row per cell in both sets.
    pub cells: Table,
    /// `Only in A: ...` and `Only in B: ...` lines.
    pub only: Vec<String>,
    /// The threshold checked, percent, if any.
    pub threshold_pct: Option<f64>,
    /// One line per figure that worsened beyond it.
    pub regressions: Vec<String>,
}

impl CompareView {
    /// The view of `c`.
    pub fn new(c: &Comparison) -> CompareView {
        let mut cells = Table::new(
            &[
                "strategy",
                "labels per class",
                "test accuracy",
                "wall s",
                "peak RSS MiB",
                "total cost",
            ],
            &[false, true, true, true, true, true],
        );
        for cell in &c.cells {
            let mut row = vec![cell.strategy.to_string(), cell.budget_per_class.to_string()];
            for figure in ["test_accuracy", "wall_s", "peak_rss_mib", "total_usd"] {
                row.push(figure_cell(c, cell, figure));
            }
            cells.rows.push(row);
        }
        let only = [("Only in A", &c.only_in_a), ("Only in B", &c.only_in_b)]
            .into_iter()
            .filter(|(_, cells)| !cells.is_empty())
            .map(|(label, cells)| format!("{label}: {}", cells.join(", ")))
            .collect();
        CompareView {
            a: c.a.clone(),
            b: c.b.clone(),
            cells,
            only,
            threshold_pct: c.threshold_pct,
            regressions: c.regressions.iter().map(regression_line).collect(),
        }
    }
}

/// `a → b (+x.x% ≈)`, marked when it is a regression beyond the threshold.
fn figure_cell(c: &Comparison, cell: &CellComparison, name: &str) -> String {
    let Some(d) = cell.deltas.iter().find(|d| d.figure == name) else {
        return "–".to_string();
    };
    let beyond = c.threshold_pct.is_some_and(|t| d.worse_by_pct > t);
    format!(
        "{} → {} ({:+.1}%{}){}",
        sig3(d.a),
        sig3(d.b),
        d.change_pct,
        if d.intervals_overlap { " ≈" } else { "" },
        if beyond { " **regression**" } else { "" }
    )
}

fn regression_line(r: &Regression) -> String {
    let d: &Delta = &r.delta;
    format!(
        "{}: {} {} by {:.1}% ({} -> {}){}",
        r.cell,
        d.figure,
        if d.better == Better::Higher { "fell" } else { "rose" },
        d.worse_by_pct,
        sig3(d.a),
        sig3(d.b),
        if d.intervals_overlap {
            "; the 95% intervals overlap"
        } else {
            ""
        }
    )
}

/// The comparison as a Markdown document.
pub fn to_markdown(c: &Comparison) -> Result<String> {
    templates::render_compare(&CompareView::new(c))
}

/// Writes `compare.md` and `compare.json` into `dir`; returns their paths.
pub fn write(dir: &Path, c: &Comparison) -> Result<Vec<PathBuf>> {
    fsio::create_dir_all(dir)?;
    let md = dir.join(COMPARE_MD);
    let json = dir.join(COMPARE_JSON);
    fsio::write_atomic(&md, to_markdown(c)?.as_bytes())?;
    fsio::write_atomic(&json, &serde_json::to_vec_pretty(c).expect("comparisons serialise"))?;
    Ok(vec![md, json])
}
