//! Comparing two result sets cell by cell, for reviews and CI gates, as data
//! (`compare.json`; the words are made in the report layer above).
//!
//! A comparison is only honest when the two sets measured the same thing and
//! when it shows what did not get measured: so it carries the differences in
//! the suites' identity ([`identity`]: refused by `compare` unless forced),
//! every run that diverged or failed on either side, and, for the gate, cells
//! whose runs failed and a pair of sets with no cell in common ([`cells`]).

pub mod cells;
pub mod identity;

pub use cells::{compare_cells, Better, Cell, CellComparison, CellsCompared, Delta, Regression, RunCounts};
pub use identity::{identity_differences, IdentityDifference};

use super::Results;
use crate::cost::PricedRun;
use crate::results::RunStatus;
use serde::{Deserialize, Serialize};

/// A run that did not complete: its figures are in no average, so a
/// comparison names it rather than let it vanish.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnfinishedRun {
    /// The run, e.g. `probe-b10-s2`.
    pub run_id: String,
    /// Its cell.
    pub cell: Cell,
    /// `diverged` or `failed`.
    pub status: RunStatus,
    /// Why, as the run recorded it.
    pub message: Option<String>,
}

/// One of the two result sets, as the comparison saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// The report folder, as given on the command line.
    pub name: String,
    /// The suite it ran (its `name`, e.g. `mnist1d-quick`).
    pub suite: String,
    /// Runs in the set.
    pub runs: usize,
    /// The runs that diverged or failed, in the order run.
    pub unfinished: Vec<UnfinishedRun>,
}

impl Side {
    /// The side of `results`, named `name`.
    pub fn of(name: &str, results: &Results) -> Side {
        Side {
            name: name.to_string(),
            suite: results.suite.name.clone(),
            runs: results.runs.len(),
            unfinished: unfinished(&results.runs),
        }
    }
}

/// The runs of `runs` that did not complete.
pub fn unfinished(runs: &[PricedRun]) -> Vec<UnfinishedRun> {
    runs.iter()
        .map(|p| &p.run)
        .filter(|r| r.status != RunStatus::Completed)
        .map(|r| UnfinishedRun {
            run_id: r.run_id.clone(),
            cell: Cell {
                strategy: r.strategy,
                budget_per_class: r.budget_per_class,
            },
            status: r.status,
            message: r.message.clone(),
        })
        .collect()
}

/// The whole comparison: what `compare.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The first set (the baseline).
    pub a: Side,
    /// The second set, compared against the first.
    pub b: Side,
    /// How the two suites differ in task or model; empty when they measured the
    /// same thing. `compare` refuses a non-empty list unless `--force`d, so in
    /// a written comparison it lists what the reader must allow for.
    pub identity: Vec<IdentityDifference>,
    /// Cells present in both, in the first set's order.
    pub cells: Vec<CellComparison>,
    /// Cells only in the first set.
    pub only_in_a: Vec<Cell>,
    /// Cells only in the second set.
    pub only_in_b: Vec<Cell>,
    /// The threshold checked, percent, if any.
    pub threshold_pct: Option<f64>,
    /// What the gate found (empty without a threshold); any one fails it.
    pub regressions: Vec<Regression>,
}

impl Comparison {
    /// Whether the two sets come from suites with the same task and models.
    pub fn same_suite(&self) -> bool {
        self.identity.is_empty()
    }

    /// Whether `--fail-on-regression` fails.
    pub fn gate_fails(&self) -> bool {
        !self.regressions.is_empty()
    }
}

/// Compares `b` against `a`; with `threshold_pct`, lists what fails the gate.
pub fn compare((name_a, a): (&str, &Results), (name_b, b): (&str, &Results), threshold_pct: Option<f64>) -> Comparison {
    let CellsCompared {
        cells,
        only_in_a,
        only_in_b,
        regressions,
    } = compare_cells(&a.aggregates, &b.aggregates, threshold_pct);
    Comparison {
        a: Side::of(name_a, a),
        b: Side::of(name_b, b),
        identity: identity_differences(&a.suite, &b.suite),
        cells,
        only_in_a,
        only_in_b,
        threshold_pct,
        regressions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::RunRecord;
    use crate::train::Strategy;

    fn run(id: &str, status: RunStatus, message: Option<&str>) -> PricedRun {
        PricedRun {
            run: RunRecord {
                run_id: id.into(),
                strategy: Strategy::Probe,
                budget_per_class: 10,
                seed: 0,
                status,
                message: message.map(Into::into),
                process_wall_s: 1.0,
                metrics: None,
                timeline: vec![],
            },
            cost: None,
        }
    }

    #[test]
    fn unfinished_runs_are_named_with_their_status_and_cell() {
        let runs = [
            run("probe-b10-s0", RunStatus::Completed, None),
            run("probe-b10-s1", RunStatus::Failed, Some("worker exited with signal 9")),
            run("probe-b10-s2", RunStatus::Diverged, Some("loss is NaN")),
        ];
        let u = unfinished(&runs);
        let ids: Vec<(&str, RunStatus)> = u.iter().map(|u| (u.run_id.as_str(), u.status)).collect();
        assert_eq!(
            ids,
            vec![
                ("probe-b10-s1", RunStatus::Failed),
                ("probe-b10-s2", RunStatus::Diverged)
            ]
        );
        assert_eq!(u[0].message.as_deref(), Some("worker exited with signal 9"));
        assert_eq!(
            u[1].cell,
            Cell {
                strategy: Strategy::Probe,
                budget_per_class: 10
            }
        );
    }
}
