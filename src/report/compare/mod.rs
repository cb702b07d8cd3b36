//! The comparison of two result sets for people and programs: `compare.md`
//! (through the report's one template engine) and `compare.json`. The
//! sentences (each difference, each finding of the gate, the refusal of two
//! sets of different suites) are in `words.rs`.

mod words;

pub use words::{gate_summary, identity_line, refusal, regression_line};

use super::format::sig3;
use super::table::Table;
use super::templates;
use crate::analysis::compare::{CellComparison, Comparison, Regression, Side};
use crate::results::files::{COMPARE_JSON, COMPARE_MD};
use crate::results::RunStatus;
use crate::{fsio, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use words::cell_name;

/// What `compare.md` shows, already formatted.
#[derive(Debug, Serialize)]
pub struct CompareView {
    /// The first set: its folder, suite and runs.
    pub a: String,
    /// The second set.
    pub b: String,
    /// How the suites differ in task or model (only ever shown under `--force`).
    pub identity: Vec<String>,
    /// One row per cell in both sets (no rows when they share none).
    pub cells: Table,
    /// `Only in A: ...` and `Only in B: ...` lines.
    pub only: Vec<String>,
    /// One line per side on the runs that diverged or failed.
    pub unfinished: Vec<String>,
    /// The threshold checked, percent, if any.
    pub threshold_pct: Option<f64>,
    /// One line per finding of the gate.
    pub regressions: Vec<String>,
}

impl CompareView {
    /// The view of `c`.
    pub fn new(c: &Comparison) -> CompareView {
        let mut cells = Table::new(
            &[
                "strategy",
                "labels per class",
                "completed runs",
                "test accuracy",
                "wall s",
                "peak RSS MiB",
                "total cost",
            ],
            &[false, true, true, true, true, true, true],
        );
        for cell in &c.cells {
            let mut row = vec![
                cell.cell.strategy.to_string(),
                cell.cell.budget_per_class.to_string(),
                runs_cell(c, cell),
            ];
            for figure in ["test_accuracy", "wall_s", "peak_rss_mib", "total_usd"] {
                row.push(figure_cell(c, cell, figure));
            }
            cells.rows.push(row);
        }
        let only = [("Only in A", &c.only_in_a), ("Only in B", &c.only_in_b)]
            .into_iter()
            .filter(|(_, cells)| !cells.is_empty())
            .map(|(label, cells)| {
                let names: Vec<String> = cells.iter().map(cell_name).collect();
                format!("{label}: {}", names.join(", "))
            })
            .collect();
        CompareView {
            a: side_header(&c.a),
            b: side_header(&c.b),
            identity: c.identity.iter().map(identity_line).collect(),
            cells,
            only,
            unfinished: vec![unfinished_line("A", &c.a), unfinished_line("B", &c.b)],
            threshold_pct: c.threshold_pct,
            regressions: c.regressions.iter().map(regression_line).collect(),
        }
    }
}

/// `` `reports/x` (suite mnist1d-quick, 12 runs) ``.
fn side_header(s: &Side) -> String {
    format!("`{}` (suite `{}`, {} runs)", s.name, s.suite, s.runs)
}

/// `A: every run completed.`, or the ids of those that did not, by status.
fn unfinished_line(label: &str, s: &Side) -> String {
    if s.unfinished.is_empty() {
        return format!("{label}: every run completed.");
    }
    let of = |status: RunStatus| -> Option<String> {
        let ids: Vec<String> = s
            .unfinished
            .iter()
            .filter(|u| u.status == status)
            .map(|u| format!("`{}`", u.run_id))
            .collect();
        (!ids.is_empty()).then(|| format!("{status}: {}", ids.join(", ")))
    };
    let lists: Vec<String> = [RunStatus::Failed, RunStatus::Diverged]
        .into_iter()
        .filter_map(of)
        .collect();
    format!(
        "{label}: {} of {} runs did not complete; {}.",
        s.unfinished.len(),
        s.runs,
        lists.join("; ")
    )
}

/// `2/2 → 0/2` completed runs, marked when the gate counts it as a regression.
fn runs_cell(c: &Comparison, cell: &CellComparison) -> String {
    let lost = c
        .regressions
        .iter()
        .any(|r| matches!(r, Regression::RunsLost { cell: x, .. } if *x == cell.cell));
    format!(
        "{}/{} → {}/{}{}",
        cell.a_runs.completed,
        cell.a_runs.runs,
        cell.b_runs.completed,
        cell.b_runs.runs,
        if lost { " **regression**" } else { "" }
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::{compare_cells, identity_differences};
    use crate::analysis::{Aggregate, Summary};
    use crate::suite::Suite;
    use crate::train::Strategy;

    fn side(name: &str, suite: &str) -> Side {
        Side {
            name: name.into(),
            suite: suite.into(),
            runs: 2,
            unfinished: vec![],
        }
    }

    /// A comparison of a cell that completed in A and failed in B, between two suites.
    fn comparison(a: &str, b: &str, threshold: Option<f64>) -> Comparison {
        let (sa, sb) = (Suite::resolve(a).unwrap(), Suite::resolve(b).unwrap());
        let mut failed = Aggregate::for_test(Strategy::Probe, 10, &[]);
        (failed.runs, failed.failed) = (2, 2);
        let mut done = Aggregate::for_test(Strategy::Probe, 10, &[0.8, 0.8]);
        done.wall_s = Summary::of(&[1.0, 1.0]);
        let cells = compare_cells(&[done], &[failed], threshold);
        Comparison {
            a: side("ra", &sa.name),
            b: side("rb", &sb.name),
            identity: identity_differences(&sa, &sb),
            cells: cells.cells,
            only_in_a: cells.only_in_a,
            only_in_b: cells.only_in_b,
            threshold_pct: threshold,
            regressions: cells.regressions,
        }
    }

    #[test]
    fn refusal_names_each_difference_and_the_way_out() {
        let text = refusal(&comparison("mnist1d", "digits", None)).to_string();
        assert!(text
            .starts_with("cannot compare ra with rb: they ran different tasks or models (suites mnist1d and digits)"));
        for part in [
            "task.kind: mnist1d vs digits",
            "task.target_classes: [5, 6, 7, 8, 9] vs [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]",
            "model: 1-D CNN (3 conv layers, 32 channels) vs MLP (2 hidden layers of 128)",
            "--force",
        ] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
    }

    #[test]
    fn lost_runs_are_worded_and_marked() {
        let c = comparison("mnist1d", "mnist1d", Some(10.0));
        assert_eq!(
            regression_line(&c.regressions[0]),
            "probe @ 10: 0 of 2 runs completed in B (2 failed), against 2 of 2 in A"
        );
        assert_eq!(runs_cell(&c, &c.cells[0]), "2/2 → 0/2 **regression**");
        assert_eq!(
            gate_summary(&c).unwrap(),
            "1 regression(s) beyond 10%: 1 cell(s) whose runs diverged or failed in B"
        );
        assert_eq!(gate_summary(&comparison("mnist1d", "mnist1d", None)), None);
    }
}
