//! The cell-by-cell part of a comparison: for each (strategy, budget) in both
//! sets, the change in accuracy, wall time, peak memory and total cost,
//! relative to the first set, with whether the two 95% intervals overlap, and
//! how many runs of the cell completed on each side.
//!
//! With a threshold, the gate's findings are listed as [`Regression`]s: a
//! figure that worsened beyond it (lower accuracy, or higher time, memory or
//! cost), a cell whose runs did not complete in the second set, or no cell in
//! common at all. A gate that passes must have compared something.

use super::super::{Aggregate, Summary};
use crate::train::Strategy;
use serde::{Deserialize, Serialize};

/// Which way is better for a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Accuracy.
    Higher,
    /// Time, memory, cost.
    Lower,
}

/// One (strategy, budget) cell of a sweep: what a comparison pairs up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// Strategy.
    pub strategy: Strategy,
    /// Labels per class.
    pub budget_per_class: usize,
}

impl Cell {
    /// The cell an aggregate summarises.
    pub fn of(a: &Aggregate) -> Cell {
        Cell {
            strategy: a.strategy,
            budget_per_class: a.budget_per_class,
        }
    }
}

/// How the runs of one cell ended, on one side: the figures of a cell only
/// summarise its completed runs, so a reader needs these to trust them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    /// Runs in the cell.
    pub runs: usize,
    /// Runs that completed (the only ones the figures summarise).
    pub completed: usize,
    /// Runs whose loss diverged.
    pub diverged: usize,
    /// Runs whose worker failed.
    pub failed: usize,
}

impl RunCounts {
    /// The counts of an aggregate.
    pub fn of(a: &Aggregate) -> RunCounts {
        RunCounts {
            runs: a.runs,
            completed: a.completed,
            diverged: a.diverged,
            failed: a.failed,
        }
    }
}

/// One figure of one cell in both sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// The figure, e.g. `test_accuracy`.
    pub figure: String,
    /// Mean in the first set.
    pub a: f64,
    /// Mean in the second set.
    pub b: f64,
    /// `(b - a) / a`, percent.
    pub change_pct: f64,
    /// Whether the 95% intervals overlap (a difference may be noise).
    pub intervals_overlap: bool,
    /// Which way is better.
    pub better: Better,
    /// How much worse `b` is than `a`, percent (0 when it is not worse).
    pub worse_by_pct: f64,
}

/// One (strategy, budget) cell in both sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellComparison {
    /// The cell.
    pub cell: Cell,
    /// How its runs ended in the first set.
    pub a_runs: RunCounts,
    /// How its runs ended in the second set.
    pub b_runs: RunCounts,
    /// Accuracy, wall time, peak memory, total cost: each figure both sets
    /// measured (none when a side has no completed run in the cell).
    pub deltas: Vec<Delta>,
}

/// What the gate (`--fail-on-regression`) found; any one fails it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Regression {
    /// A figure of a cell worsened by more than the threshold.
    Worsened {
        /// The cell.
        cell: Cell,
        /// The figure in both sets.
        delta: Delta,
    },
    /// Runs of a cell diverged or failed in the second set, leaving fewer
    /// completed runs than in the first, or none: its figures then rest on
    /// fewer seeds or on nothing, which a figure-by-figure check cannot see.
    /// A second set that merely ran fewer seeds, all completed, is not one.
    RunsLost {
        /// The cell.
        cell: Cell,
        /// How its runs ended in the first set.
        a: RunCounts,
        /// How its runs ended in the second set.
        b: RunCounts,
    },
    /// The two sets share no cell, so nothing was compared: a gate that
    /// passed here would vouch for figures it never saw.
    NoSharedCell,
}

fn delta(figure: &str, a: Option<Summary>, b: Option<Summary>, better: Better) -> Option<Delta> {
    let (a, b) = (a?, b?);
    let change_pct = if a.mean != 0.0 {
        (b.mean - a.mean) / a.mean.abs() * 100.0
    } else {
        0.0
    };
    let worse_by_pct = match better {
        Better::Higher => (-change_pct).max(0.0),
        Better::Lower => change_pct.max(0.0),
    };
    Some(Delta {
        figure: figure.to_string(),
        a: a.mean,
        b: b.mean,
        change_pct,
        intervals_overlap: a.overlaps(&b),
        better,
        worse_by_pct,
    })
}

/// Whether the second side's runs of a cell count as lost (see [`Regression::RunsLost`]).
fn runs_lost(a: &RunCounts, b: &RunCounts) -> bool {
    let unfinished_b = b.completed < b.runs;
    b.completed == 0 || (unfinished_b && b.completed < a.completed)
}

/// The cells of both sets compared: the cells in both, those in one only, and
/// with `threshold_pct` what the gate found (see [`Regression`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CellsCompared {
    /// Cells present in both, in the first set's order.
    pub cells: Vec<CellComparison>,
    /// Cells only in the first set.
    pub only_in_a: Vec<Cell>,
    /// Cells only in the second set.
    pub only_in_b: Vec<Cell>,
    /// Empty without a threshold.
    pub regressions: Vec<Regression>,
}

/// Compares the cells of `b` against those of `a`.
pub fn compare_cells(a: &[Aggregate], b: &[Aggregate], threshold_pct: Option<f64>) -> CellsCompared {
    let find = |set: &[Aggregate], x: &Aggregate| set.iter().find(|y| Cell::of(y) == Cell::of(x)).cloned();
    let mut cells = Vec::new();
    let mut regressions = Vec::new();
    for x in a {
        let Some(y) = find(b, x) else { continue };
        let deltas: Vec<Delta> = [
            delta("test_accuracy", x.test_accuracy, y.test_accuracy, Better::Higher),
            delta("wall_s", x.wall_s, y.wall_s, Better::Lower),
            delta("peak_rss_mib", x.peak_rss_mib, y.peak_rss_mib, Better::Lower),
            delta("total_usd", x.total_usd, y.total_usd, Better::Lower),
        ]
        .into_iter()
        .flatten()
        .collect();
        let (cell, a_runs, b_runs) = (Cell::of(x), RunCounts::of(x), RunCounts::of(&y));
        if let Some(t) = threshold_pct {
            if runs_lost(&a_runs, &b_runs) {
                regressions.push(Regression::RunsLost {
                    cell,
                    a: a_runs,
                    b: b_runs,
                });
            }
            for d in deltas.iter().filter(|d| d.worse_by_pct > t) {
                regressions.push(Regression::Worsened { cell, delta: d.clone() });
            }
        }
        cells.push(CellComparison {
            cell,
            a_runs,
            b_runs,
            deltas,
        });
    }
    if threshold_pct.is_some() && cells.is_empty() {
        regressions.push(Regression::NoSharedCell);
    }
    let only = |one: &[Aggregate], other: &[Aggregate]| {
        one.iter().filter(|x| find(other, x).is_none()).map(Cell::of).collect()
    };
    CellsCompared {
        only_in_a: only(a, b),
        only_in_b: only(b, a),
        cells,
        regressions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(budget: usize, acc: &[f64], wall: &[f64]) -> Aggregate {
        let mut a = Aggregate::for_test(Strategy::Finetune, budget, acc);
        a.wall_s = Summary::of(wall);
        a
    }

    /// `cell` with `failed` more runs that failed (counted, not averaged).
    fn with_failed(mut a: Aggregate, failed: usize) -> Aggregate {
        a.runs += failed;
        a.failed += failed;
        a
    }

    fn finetune(budget: usize) -> Cell {
        Cell {
            strategy: Strategy::Finetune,
            budget_per_class: budget,
        }
    }

    #[test]
    fn changes_by_hand_and_regressions_beyond_threshold() {
        let a = vec![
            cell(10, &[0.80, 0.80, 0.80], &[1.0, 1.0, 1.0]),
            cell(20, &[0.9], &[2.0]),
        ];
        let b = vec![
            cell(10, &[0.76, 0.76, 0.76], &[1.05, 1.05, 1.05]),
            cell(30, &[0.9], &[2.0]),
        ];
        let c = compare_cells(&a, &b, Some(4.0));
        assert_eq!(c.cells.len(), 1);
        let acc = &c.cells[0].deltas[0];
        // 0.80 -> 0.76 is -5%: worse by 5% (> 4%); wall 1.0 -> 1.05 is +5%, also worse by 5%.
        assert!((acc.change_pct + 5.0).abs() < 1e-9 && (acc.worse_by_pct - 5.0).abs() < 1e-9);
        assert!(!acc.intervals_overlap);
        assert_eq!(c.regressions.len(), 2, "{:?}", c.regressions);
        assert!(c
            .regressions
            .iter()
            .all(|r| matches!(r, Regression::Worsened { cell, .. } if *cell == finetune(10))));
        assert_eq!(c.only_in_a, vec![finetune(20)]);
        assert_eq!(c.only_in_b, vec![finetune(30)]);
        // Improvements are never regressions, and a higher threshold lets the 5% through.
        assert!(compare_cells(&b, &a, Some(4.0)).regressions.is_empty());
        assert!(compare_cells(&a, &b, Some(6.0)).regressions.is_empty());
        assert!(compare_cells(&a, &b, None).regressions.is_empty());
    }

    #[test]
    fn a_cell_whose_runs_failed_in_b_is_a_regression() {
        let a = vec![cell(10, &[0.8, 0.8], &[1.0, 1.0])];
        // Every run of B failed: no figure to compare, yet the gate must fail.
        let none = vec![with_failed(cell(10, &[], &[]), 2)];
        let c = compare_cells(&a, &none, Some(10.0));
        assert!(c.cells[0].deltas.is_empty());
        let lost = Regression::RunsLost {
            cell: finetune(10),
            a: RunCounts {
                runs: 2,
                completed: 2,
                diverged: 0,
                failed: 0,
            },
            b: RunCounts {
                runs: 2,
                completed: 0,
                diverged: 0,
                failed: 2,
            },
        };
        assert_eq!(c.regressions, vec![lost]);
        // One of two failed: fewer completed than in A, with equal figures.
        let one = vec![with_failed(cell(10, &[0.8], &[1.0]), 1)];
        assert_eq!(compare_cells(&a, &one, Some(10.0)).regressions.len(), 1);
        // Without a threshold nothing gates, but the counts are there to report.
        let c = compare_cells(&a, &one, None);
        assert!(c.regressions.is_empty());
        assert_eq!((c.cells[0].b_runs.completed, c.cells[0].b_runs.failed), (1, 1));
        // Fewer seeds in B, all completed, is not a loss; nor is a failure A had too.
        let fewer = vec![cell(10, &[0.8], &[1.0])];
        assert!(compare_cells(&a, &fewer, Some(10.0)).regressions.is_empty());
        let a_failed_too = vec![with_failed(cell(10, &[0.8], &[1.0]), 1)];
        assert!(compare_cells(&a_failed_too, &one, Some(10.0)).regressions.is_empty());
        // But a cell with nothing completed in B is one even when A fared no better.
        let a_none = vec![with_failed(cell(10, &[], &[]), 2)];
        assert_eq!(compare_cells(&a_none, &none, Some(10.0)).regressions.len(), 1);
    }

    #[test]
    fn no_shared_cell_fails_the_gate() {
        let a = vec![cell(10, &[0.8], &[1.0])];
        let b = vec![cell(20, &[0.8], &[1.0])];
        let c = compare_cells(&a, &b, Some(10.0));
        assert!(c.cells.is_empty());
        assert_eq!(c.regressions, vec![Regression::NoSharedCell]);
        assert!(compare_cells(&a, &b, None).regressions.is_empty());
        assert_eq!(
            compare_cells(&[], &[], Some(10.0)).regressions,
            vec![Regression::NoSharedCell]
        );
    }
}
