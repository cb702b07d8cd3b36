//! Comparing two result sets cell by cell, for reviews and CI gates.
//!
//! For each (strategy, budget) in both, the change in accuracy, wall time,
//! peak memory and total cost, relative to the first set, with whether the
//! two 95% intervals overlap. A change for the worse beyond a threshold is a
//! regression: lower accuracy, or higher time, memory or cost.

use super::{Aggregate, Summary};
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
    /// Strategy.
    pub strategy: Strategy,
    /// Labels per class.
    pub budget_per_class: usize,
    /// Accuracy, wall time, peak memory, total cost.
    pub deltas: Vec<Delta>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Name of the first set (its folder).
    pub a: String,
    /// Name of the second set.
    pub b: String,
    /// Cells present in both.
    pub cells: Vec<CellComparison>,
    /// Cells only in the first set, e.g. `probe @ 10`.
    pub only_in_a: Vec<String>,
    /// Cells only in the second set.
    pub only_in_b: Vec<String>,
    /// The threshold checked, percent, if any.
    pub threshold_pct: Option<f64>,
    /// The figures that worsened beyond it.
    pub regressions: Vec<Regression>,
}

/// A figure of one cell that worsened beyond the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Regression {
    /// The cell, e.g. `probe @ 10`.
    pub cell: String,
    /// The figure in both sets.
    pub delta: Delta,
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

fn cell_name(a: &Aggregate) -> String {
    format!("{} @ {}", a.strategy, a.budget_per_class)
}

/// Compares `b` against `a`; with `threshold_pct`, lists every figure that worsened by more.
pub fn compare(
    (name_a, a): (&str, &[Aggregate]),
    (name_b, b): (&str, &[Aggregate]),
    threshold_pct: Option<f64>,
) -> Comparison {
    let find = |set: &[Aggregate], x: &Aggregate| {
        set.iter()
            .find(|y| y.strategy == x.strategy && y.budget_per_class == x.budget_per_class)
            .cloned()
    };
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
        if let Some(t) = threshold_pct {
            for d in deltas.iter().filter(|d| d.worse_by_pct > t) {
                regressions.push(Regression {
                    cell: cell_name(x),
                    delta: d.clone(),
                });
            }
        }
        cells.push(CellComparison {
            strategy: x.strategy,
            budget_per_class: x.budget_per_class,
            deltas,
        });
    }
    Comparison {
        a: name_a.to_string(),
        b: name_b.to_string(),
        cells,
        only_in_a: a.iter().filter(|x| find(b, x).is_none()).map(cell_name).collect(),
        only_in_b: b.iter().filter(|y| find(a, y).is_none()).map(cell_name).collect(),
        threshold_pct,
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
        let c = compare(("a", &a), ("b", &b), Some(4.0));
        assert_eq!(c.cells.len(), 1);
        let acc = &c.cells[0].deltas[0];
        // 0.80 -> 0.76 is -5%: worse by 5% (> 4%); wall 1.0 -> 1.05 is +5%, also worse by 5%.
        assert!((acc.change_pct + 5.0).abs() < 1e-9 && (acc.worse_by_pct - 5.0).abs() < 1e-9);
        assert!(!acc.intervals_overlap);
        assert_eq!(c.regressions.len(), 2, "{:?}", c.regressions);
        assert_eq!(c.only_in_a, vec!["finetune @ 20"]);
        assert_eq!(c.only_in_b, vec!["finetune @ 30"]);
        // Improvements are never regressions, and a higher threshold lets the 5% through.
        assert!(compare(("b", &b), ("a", &a), Some(4.0)).regressions.is_empty());
        assert!(compare(("a", &a), ("b", &b), Some(6.0)).regressions.is_empty());
        assert!(compare(("a", &a), ("b", &b), None).regressions.is_empty());
    }
}
