//! Data efficiency: how many labels each strategy needs to reach the target,
//! and the budget at which scratch catches up with reuse.
//!
//! Both interpolate the mean test accuracy between the two budgets of the
//! sweep that bracket the crossing, linearly in log(labels), since accuracy
//! grows roughly with the logarithm of the data.

use super::Aggregate;
use crate::train::Strategy;
use serde::{Deserialize, Serialize};

/// Where a curve first reaches a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Crossing {
    /// Already at the smallest budget of the sweep (the true crossing may be lower).
    AtSmallest {
        /// The smallest budget, labels per class.
        budget_per_class: usize,
    },
    /// Between two budgets of the sweep.
    Between {
        /// Interpolated labels per class.
        labels_per_class: f64,
        /// The budget below the crossing.
        lower: usize,
        /// The first budget at or past the threshold.
        upper: usize,
    },
    /// Not within the sweep.
    NotReached,
}

impl Crossing {
    /// The first budget of the sweep at or past the threshold.
    pub fn first_budget(&self) -> Option<usize> {
        match *self {
            Crossing::AtSmallest { budget_per_class } => Some(budget_per_class),
            Crossing::Between { upper, .. } => Some(upper),
            Crossing::NotReached => None,
        }
    }

    /// Labels per class at the crossing (the smallest budget if reached there).
    pub fn labels_per_class(&self) -> Option<f64> {
        match *self {
            Crossing::AtSmallest { budget_per_class } => Some(budget_per_class as f64),
            Crossing::Between { labels_per_class, .. } => Some(labels_per_class),
            Crossing::NotReached => None,
        }
    }
}

/// The first crossing of `threshold` by `points` (budget, value), budgets ascending.
pub fn crossing(points: &[(usize, f64)], threshold: f64) -> Crossing {
    let Some(i) = points.iter().position(|&(_, y)| y >= threshold) else {
        return Crossing::NotReached;
    };
    if i == 0 {
        return Crossing::AtSmallest {
            budget_per_class: points[0].0,
        };
    }
    let ((x0, y0), (x1, y1)) = (points[i - 1], points[i]);
    let t = ((threshold - y0) / (y1 - y0)).clamp(0.0, 1.0);
    let (l0, l1) = ((x0 as f64).ln(), (x1 as f64).ln());
    // Exactly at a sweep point, say that point (exp(ln(x)) need not give x back).
    let labels_per_class = if t >= 1.0 {
        x1 as f64
    } else {
        (l0 + t * (l1 - l0)).exp()
    };
    Crossing::Between {
        labels_per_class,
        lower: x0,
        upper: x1,
    }
}

/// Labels one strategy needs to reach the target test accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelsToTarget {
    /// The strategy.
    pub strategy: Strategy,
    /// Where its mean test accuracy first reaches the target.
    pub crossing: Crossing,
}

/// Where scratch comes within the tolerance of the best reuse strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakEven {
    /// Accuracy gap (0-1) that counts as even.
    pub tolerance: f64,
    /// (budget, best reuse mean accuracy minus scratch mean accuracy) along the sweep.
    pub gaps: Vec<(usize, f64)>,
    /// Where the gap first falls to the tolerance.
    pub crossing: Crossing,
}

/// Mean test accuracy of `strategy` per budget, where some run completed.
pub fn accuracy_curve(aggregates: &[Aggregate], strategy: Strategy) -> Vec<(usize, f64)> {
    aggregates
        .iter()
        .filter(|a| a.strategy == strategy)
        .filter_map(|a| a.test_accuracy.map(|s| (a.budget_per_class, s.mean)))
        .collect()
}

/// Labels to the target for each strategy.
pub fn labels_to_target(aggregates: &[Aggregate], strategies: &[Strategy], target: f64) -> Vec<LabelsToTarget> {
    strategies
        .iter()
        .map(|&strategy| LabelsToTarget {
            strategy,
            crossing: crossing(&accuracy_curve(aggregates, strategy), target),
        })
        .collect()
}

/// The break-even budget, when the suite has scratch and at least one reuse strategy.
pub fn break_even(aggregates: &[Aggregate], strategies: &[Strategy], tolerance: f64) -> Option<BreakEven> {
    let scratch = accuracy_curve(aggregates, Strategy::Scratch);
    let reuse: Vec<Vec<(usize, f64)>> = strategies
        .iter()
        .filter(|s| s.uses_pretrained())
        .map(|&s| accuracy_curve(aggregates, s))
        .collect();
    if scratch.is_empty() || reuse.is_empty() {
        return None;
    }
    let gaps: Vec<(usize, f64)> = scratch
        .iter()
        .filter_map(|&(budget, acc)| {
            let best = reuse
                .iter()
                .filter_map(|c| c.iter().find(|p| p.0 == budget).map(|p| p.1))
                .reduce(f64::max)?;
            Some((budget, best - acc))
        })
        .collect();
    // The gap falling to the tolerance is the negated gap rising to -tolerance.
    let negated: Vec<(usize, f64)> = gaps.iter().map(|&(b, g)| (b, -g)).collect();
    Some(BreakEven {
        tolerance,
        crossing: crossing(&negated, -tolerance),
        gaps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_by_hand() {
        // Halfway from 0.6 to 0.9 in log space between 10 and 100 is sqrt(10 x 100) = 31.62.
        let points = [(10, 0.6), (100, 0.9), (1000, 0.95)];
        match crossing(&points, 0.75) {
            Crossing::Between {
                labels_per_class,
                lower,
                upper,
            } => {
                assert!((labels_per_class - 1000f64.sqrt()).abs() < 1e-9);
                assert_eq!((lower, upper), (10, 100));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(crossing(&points, 0.5), Crossing::AtSmallest { budget_per_class: 10 });
        assert_eq!(crossing(&points, 0.99), Crossing::NotReached);
        // Exactly at a sweep point.
        assert_eq!(crossing(&points, 0.9).labels_per_class(), Some(100.0));
        // A dip after the crossing does not move it.
        assert_eq!(crossing(&[(1, 0.1), (2, 0.9), (4, 0.5)], 0.8).first_budget(), Some(2));
    }

    fn agg(strategy: Strategy, budget: usize, acc: f64) -> Aggregate {
        Aggregate::for_test(strategy, budget, &[acc])
    }

    #[test]
    fn break_even_by_hand() {
        let aggs = vec![
            agg(Strategy::Scratch, 10, 0.50),
            agg(Strategy::Finetune, 10, 0.70),
            agg(Strategy::Probe, 10, 0.75),
            agg(Strategy::Scratch, 100, 0.85),
            agg(Strategy::Finetune, 100, 0.89),
            agg(Strategy::Probe, 100, 0.80),
            agg(Strategy::Scratch, 1000, 0.97),
            agg(Strategy::Finetune, 1000, 0.975),
            agg(Strategy::Probe, 1000, 0.85),
        ];
        let be = break_even(&aggs, &Strategy::ALL, 0.01).unwrap();
        // Gaps: 0.25 (probe best), 0.04, 0.005. Crossing -0.01 between 100 (-0.04) and 1000 (-0.005):
        // t = 0.03 / 0.035, labels = 10^(2 + t).
        let t: f64 = 0.03 / 0.035;
        let want = 10f64.powf(2.0 + t);
        match be.crossing {
            Crossing::Between { labels_per_class, .. } => assert!((labels_per_class - want).abs() < 1e-6),
            other => panic!("{other:?}"),
        }
        assert!((be.gaps[0].1 - 0.25).abs() < 1e-12);
        let never = break_even(&aggs, &Strategy::ALL, 0.001).unwrap();
        assert_eq!(never.crossing, Crossing::NotReached);
        assert!(break_even(&aggs, &[Strategy::Scratch], 0.01).is_none());
        let l2t = labels_to_target(&aggs, &Strategy::ALL, 0.8);
        assert_eq!(l2t[2].crossing.first_budget(), Some(100));
        assert_eq!(l2t[0].crossing.first_budget(), Some(100));
    }
}
