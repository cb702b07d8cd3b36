//! The verdict's reasons and what would change it, as data: each a variant
//! with the figures it rests on. `report` turns them into sentences.

use super::efficiency::Crossing;
use super::projection::{Interval, Refusal};
use super::sensitivity::Assumption;
use super::verdict::Choice;
use crate::train::Strategy;
use serde::{Deserialize, Serialize};

/// A strategy's best mean test accuracy within the label budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BestCell {
    /// Labels per class of that cell.
    pub budget_per_class: usize,
    /// Its mean test accuracy, 0-1.
    pub test_accuracy: f64,
}

/// Why the verdict is what it is; each with the figures it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The winner's accuracy, budget and bill.
    WinnerReaches {
        /// The winning option.
        choice: Choice,
    },
    /// Whether the winner's 95% accuracy interval lies at or above the target.
    AccuracyInterval {
        /// True when the whole interval clears the target.
        clears_target: bool,
    },
    /// The next cheapest option, and whether the two cost intervals overlap.
    RunnerUp {
        /// The runner-up strategy.
        strategy: Strategy,
        /// Its labels per class.
        budget_per_class: usize,
        /// Its mean total cost, USD.
        total_usd: f64,
        /// Its cost over the winner's.
        cost_ratio: f64,
        /// Whether the 95% intervals of the two costs overlap.
        intervals_overlap: bool,
    },
    /// What share of the winner's cost labels and compute are (0-1 each).
    CostShares {
        /// Labels' share.
        labels: f64,
        /// Compute's share.
        compute: f64,
    },
    /// A strategy that does not reach the target within the budget (beside a winner).
    MissesTarget {
        /// The strategy.
        strategy: Strategy,
        /// Its best cell within the budget, if any run completed.
        best: Option<BestCell>,
    },
    /// No strategy reaches the target within the budget.
    NoneReaches,
    /// With no winner: a strategy's best within the budget.
    BestWithin {
        /// The strategy.
        strategy: Strategy,
        /// Its best cell within the budget, if any run completed.
        best: Option<BestCell>,
    },
}

/// What would change the answer, with the figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A larger label budget would let this strategy reach the target.
    LargerBudget {
        /// The budget that would do.
        budget_per_class: usize,
        /// The strategy that would reach the target there.
        strategy: Strategy,
        /// Where it crosses the target.
        crossing: Crossing,
    },
    /// No strategy reaches the target anywhere in the sweep.
    BeyondSweep,
    /// Where a strategy reaches the target in the sweep (or that it does not).
    Reaches {
        /// The strategy.
        strategy: Strategy,
        /// Where its mean test accuracy first reaches the target.
        crossing: Crossing,
    },
    /// Where scratch comes within the tolerance of the best reuse strategy.
    BreakEven {
        /// The tolerance, 0-1.
        tolerance: f64,
        /// Where the gap falls to it.
        crossing: Crossing,
    },
    /// Only the pretrained backbone reaches the target: its pretraining is needed at any K.
    PretrainingRequired {
        /// Measured pretraining cost, USD.
        pretraining_usd: f64,
    },
    /// Scratch is cheaper per task even before the backbone's share: pretraining never pays.
    PretrainingNeverPays {
        /// Measured pretraining cost, USD.
        pretraining_usd: f64,
    },
    /// In-house pretraining pays for itself from K reusing tasks.
    PretrainingPaysOff {
        /// Measured pretraining cost, USD.
        pretraining_usd: f64,
        /// The smallest number of tasks from which it pays.
        k: u32,
        /// Saved per task by the reuse strategy, USD.
        saving_usd: f64,
        /// The reuse strategy.
        strategy: Strategy,
        /// The K the report's bills assume.
        assumed_k: u32,
    },
    /// A strategy that never reaches the target in the sweep would at this
    /// many labels, by its fitted learning curve (projected, not measured).
    Projected {
        /// The strategy.
        strategy: Strategy,
        /// Labels per class to the target, with its 95% interval.
        labels_per_class: Interval,
        /// One run's total cost there, USD, with its 95% interval.
        total_usd: Option<Interval>,
        /// The budgets the curve was fitted on (smallest, largest), labels per class.
        fitted_on: (usize, usize),
        /// How far the curve missed the largest budget when fitted without it, accuracy points.
        backtest_abs_error: Option<f64>,
    },
    /// A strategy that never reaches the target in the sweep, and why it is not projected.
    NotProjected {
        /// The strategy.
        strategy: Strategy,
        /// Why.
        reason: Refusal,
    },
    /// Another strategy would win if this cost assumption took this value.
    Flips {
        /// The assumption.
        assumption: Assumption,
        /// Its value in the run's pricing.
        value_in_run: f64,
        /// The value at which the winner changes.
        flips_at: f64,
        /// Who wins there (none: no strategy reaches the target... never from prices alone).
        new_winner: Option<Strategy>,
    },
}
