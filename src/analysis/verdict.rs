//! The verdict: at the user's label budget, the strategy that reaches the
//! target accuracy at the lowest total cost, with its reasons, how sure it
//! is, and what would change it. The verdict is data: each reason and each
//! change is a variant with its numbers, and `report` words them.
//!
//! The rule, as the report states it: among the sweep's cells with at most
//! `cost.label_budget_per_class` labels per class whose mean test accuracy
//! reaches the target, each strategy's cheapest cell is its option; the
//! option with the lowest mean total cost wins (a tie goes to the higher
//! accuracy). Confidence compares the 95% intervals of the winner's and the
//! runner-up's costs, and the winner's accuracy interval with the target.

pub use super::reasons::{BestCell, Change, Reason};

use super::efficiency::{BreakEven, LabelsToTarget};
use super::payoff::pretraining_payoff;
use super::projection::{projected_changes, Projections};
use super::{Aggregate, Summary};
use crate::cost::CostAssumptions;
use crate::train::Strategy;
use serde::{Deserialize, Serialize};

/// One strategy's cheapest way to the target within the label budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The strategy.
    pub strategy: Strategy,
    /// The cell's labels per class.
    pub budget_per_class: usize,
    /// The cell's test accuracy over seeds.
    pub test_accuracy: Summary,
    /// The cell's total cost over seeds, USD.
    pub total_usd: Summary,
    /// Mean compute, USD.
    pub compute_usd: f64,
    /// Labels, USD.
    pub labels_usd: f64,
    /// Mean model fees, USD.
    pub model_usd: f64,
    /// Amortised pretraining, USD.
    pub pretraining_usd: f64,
}

/// The decision and its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The user's label budget (per class) the decision is made at.
    pub label_budget_per_class: usize,
    /// The target test accuracy.
    pub target_accuracy: f64,
    /// Every strategy that reaches the target within the budget, cheapest first.
    pub options: Vec<Choice>,
    /// Whether the winner's and runner-up's 95% cost intervals overlap (absent without a runner-up).
    pub cost_intervals_overlap: Option<bool>,
    /// Whether the winner's 95% accuracy interval lies entirely at or above the target.
    pub accuracy_interval_clears_target: Option<bool>,
    /// Reusing tasks (K) from which in-house pretraining pays for itself, where it does.
    pub pretraining_pays_off_at_k: Option<u32>,
    /// Why, with the figures.
    pub reasons: Vec<Reason>,
    /// What would change the answer.
    pub what_would_change_it: Vec<Change>,
}

impl Verdict {
    /// The winning option, if any strategy reaches the target within the budget.
    pub fn winner(&self) -> Option<&Choice> {
        self.options.first()
    }
}

/// The cheapest qualifying cell of each strategy, cheapest strategy first.
fn options(aggregates: &[Aggregate], strategies: &[Strategy], budget: usize, target: f64) -> Vec<Choice> {
    let mut out: Vec<Choice> = strategies
        .iter()
        .filter_map(|&strategy| {
            aggregates
                .iter()
                .filter(|a| a.strategy == strategy && a.budget_per_class <= budget)
                .filter_map(|a| {
                    let acc = a.test_accuracy?;
                    let total = a.total_usd?;
                    (acc.mean >= target).then(|| Choice {
                        strategy,
                        budget_per_class: a.budget_per_class,
                        test_accuracy: acc,
                        total_usd: total,
                        compute_usd: a.compute_usd.map_or(0.0, |s| s.mean),
                        labels_usd: a.labels_usd.map_or(0.0, |s| s.mean),
                        model_usd: a.model_usd.map_or(0.0, |s| s.mean),
                        pretraining_usd: a.pretraining_usd.map_or(0.0, |s| s.mean),
                    })
                })
                .min_by(cheaper)
        })
        .collect();
    out.sort_by(cheaper);
    out
}

/// The strategy the rule picks: the cheapest qualifying option, if any.
pub fn winner(aggregates: &[Aggregate], strategies: &[Strategy], budget: usize, target: f64) -> Option<Strategy> {
    options(aggregates, strategies, budget, target)
        .first()
        .map(|c| c.strategy)
}

/// Lower mean total cost first; on equal cost, higher mean accuracy.
fn cheaper(a: &Choice, b: &Choice) -> std::cmp::Ordering {
    a.total_usd
        .mean
        .total_cmp(&b.total_usd.mean)
        .then(b.test_accuracy.mean.total_cmp(&a.test_accuracy.mean))
}

/// Everything the verdict is drawn from.
pub struct Evidence<'a> {
    /// Per-cell aggregates, priced.
    pub aggregates: &'a [Aggregate],
    /// The suite's strategies, in its order.
    pub strategies: &'a [Strategy],
    /// Target test accuracy.
    pub target: f64,
    /// The user's labels per class.
    pub label_budget_per_class: usize,
    /// Labels each strategy needs.
    pub labels_to_target: &'a [LabelsToTarget],
    /// Where scratch catches up, if the suite compares scratch with reuse.
    pub break_even: Option<&'a BreakEven>,
    /// The cost assumptions (for the pretraining cost and K).
    pub cost: &'a CostAssumptions,
    /// Learning-curve projections, used for strategies that never reach the target in the sweep.
    pub projections: &'a Projections,
}

/// Draws the verdict from the evidence.
pub fn decide(e: &Evidence) -> Verdict {
    let budget = e.label_budget_per_class;
    let options = options(e.aggregates, e.strategies, budget, e.target);
    let (reasons, mut changes) = match options.first() {
        Some(w) => (winner_reasons(e, &options, w), Vec::new()),
        None => no_winner(e),
    };
    for l in e.labels_to_target {
        changes.push(Change::Reaches {
            strategy: l.strategy,
            crossing: l.crossing,
        });
    }
    changes.extend(projected_changes(e.labels_to_target, e.projections));
    if let Some(be) = e.break_even {
        changes.push(Change::BreakEven {
            tolerance: be.tolerance,
            crossing: be.crossing,
        });
    }
    let payoff = pretraining_payoff(e.cost, &options);
    let pays_off_at_k = payoff.as_ref().and_then(|(k, _)| *k);
    changes.extend(payoff.map(|(_, change)| change));
    let winner = options.first();
    Verdict {
        label_budget_per_class: budget,
        target_accuracy: e.target,
        cost_intervals_overlap: winner.and_then(|w| options.get(1).map(|r| w.total_usd.overlaps(&r.total_usd))),
        accuracy_interval_clears_target: winner.and_then(|w| w.test_accuracy.ci95.map(|(lo, _)| lo >= e.target)),
        pretraining_pays_off_at_k: pays_off_at_k,
        options,
        reasons,
        what_would_change_it: changes,
    }
}

/// Why the winner wins: its figures, its confidence, the runner-up, its cost
/// shares, and the strategies that miss the target.
fn winner_reasons(e: &Evidence, options: &[Choice], w: &Choice) -> Vec<Reason> {
    let mut reasons = vec![Reason::WinnerReaches { choice: w.clone() }];
    if let Some((lo, _)) = w.test_accuracy.ci95 {
        reasons.push(Reason::AccuracyInterval {
            clears_target: lo >= e.target,
        });
    }
    let total = w.total_usd.mean.max(f64::MIN_POSITIVE);
    if let Some(r) = options.get(1) {
        reasons.push(Reason::RunnerUp {
            strategy: r.strategy,
            budget_per_class: r.budget_per_class,
            total_usd: r.total_usd.mean,
            cost_ratio: r.total_usd.mean / total,
            intervals_overlap: w.total_usd.overlaps(&r.total_usd),
        });
    }
    reasons.push(Reason::CostShares {
        labels: w.labels_usd / total,
        compute: w.compute_usd / total,
    });
    for &s in e
        .strategies
        .iter()
        .filter(|s| !options.iter().any(|o| o.strategy == **s))
    {
        reasons.push(Reason::MissesTarget {
            strategy: s,
            best: best_within(e.aggregates, s, e.label_budget_per_class),
        });
    }
    reasons
}

/// With no winner: each strategy's best, and the budget that would do.
fn no_winner(e: &Evidence) -> (Vec<Reason>, Vec<Change>) {
    let mut reasons = vec![Reason::NoneReaches];
    for &s in e.strategies {
        reasons.push(Reason::BestWithin {
            strategy: s,
            best: best_within(e.aggregates, s, e.label_budget_per_class),
        });
    }
    let reachable = e
        .labels_to_target
        .iter()
        .filter_map(|l| Some((l, l.crossing.labels_per_class()?)));
    let change = match reachable.min_by(|a, b| a.1.total_cmp(&b.1)) {
        Some((l, _)) => Change::LargerBudget {
            budget_per_class: l.crossing.first_budget().unwrap_or(0),
            strategy: l.strategy,
            crossing: l.crossing,
        },
        None => Change::BeyondSweep,
    };
    (reasons, vec![change])
}

/// The best mean test accuracy of `strategy` within `budget`.
fn best_within(aggregates: &[Aggregate], strategy: Strategy, budget: usize) -> Option<BestCell> {
    aggregates
        .iter()
        .filter(|a| a.strategy == strategy && a.budget_per_class <= budget)
        .filter_map(|a| {
            Some(BestCell {
                budget_per_class: a.budget_per_class,
                test_accuracy: a.test_accuracy?.mean,
            })
        })
        .max_by(|a, b| a.test_accuracy.total_cmp(&b.test_accuracy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::efficiency::{break_even, labels_to_target};
    use crate::analysis::projection::Projections;
    use crate::cost::bill::PretrainingCost;
    use crate::cost::catalog::tests_support::one_row_catalog;
    use crate::cost::energy::{Energy, EnergySource};
    use crate::cost::CostSpec;

    /// A cell with given accuracies and total costs (labels = all of the cost but 0.01).
    fn cell(strategy: Strategy, budget: usize, acc: &[f64], usd: &[f64]) -> Aggregate {
        let mut a = Aggregate::for_test(strategy, budget, acc);
        a.total_usd = Summary::of(usd);
        a.labels_usd = Summary::of(&usd.iter().map(|u| u - 0.01).collect::<Vec<_>>());
        a.compute_usd = Summary::of(&vec![0.01; usd.len()]);
        a
    }

    fn assumptions(pretraining_usd: Option<f64>) -> CostAssumptions {
        let spec = CostSpec {
            instance: "aws/x.large".into(),
            ..CostSpec::default()
        };
        let mut a = CostAssumptions::resolve(&spec, &one_row_catalog(0.36, None), None).unwrap();
        a.pretraining = pretraining_usd.map(|u| PretrainingCost {
            wall_s: 10.0,
            compute_usd: u,
            energy: Energy {
                kwh: 0.0,
                carbon_kg: 0.0,
                source: EnergySource::Model,
            },
            amortised_usd: u,
        });
        a
    }

    fn verdict(aggs: &[Aggregate], budget: usize, pretraining: Option<f64>) -> Verdict {
        let l2t = labels_to_target(aggs, &Strategy::ALL, 0.8);
        let be = break_even(aggs, &Strategy::ALL, 0.01);
        let cost = assumptions(pretraining);
        decide(&Evidence {
            aggregates: aggs,
            strategies: &Strategy::ALL,
            target: 0.8,
            label_budget_per_class: budget,
            labels_to_target: &l2t,
            break_even: be.as_ref(),
            cost: &cost,
            projections: &Projections::new(),
        })
    }

    fn sweep() -> Vec<Aggregate> {
        vec![
            cell(Strategy::Scratch, 10, &[0.50, 0.52, 0.48], &[5.0, 5.0, 5.0]),
            cell(Strategy::Finetune, 10, &[0.84, 0.85, 0.86], &[5.2, 5.3, 5.25]),
            cell(Strategy::Probe, 10, &[0.70, 0.71, 0.72], &[5.1, 5.1, 5.1]),
            cell(Strategy::Scratch, 100, &[0.85, 0.86, 0.84], &[50.0, 50.1, 50.2]),
            cell(Strategy::Finetune, 100, &[0.95, 0.95, 0.95], &[50.3, 50.3, 50.3]),
            cell(Strategy::Probe, 100, &[0.82, 0.83, 0.81], &[50.1, 50.1, 50.1]),
        ]
    }

    #[test]
    fn cheapest_qualifying_cell_wins_with_clear_intervals() {
        let v = verdict(&sweep(), 100, Some(0.5));
        let w = v.winner().unwrap();
        // Finetune reaches 80% already at 10 labels per class for 5.25 USD; scratch and probe need 100.
        assert_eq!((w.strategy, w.budget_per_class), (Strategy::Finetune, 10));
        assert_eq!(v.options.len(), 3);
        // Scratch and probe both cost 50.1 on average at 100 per class: the more accurate (scratch) ranks first.
        assert_eq!(v.options[1].strategy, Strategy::Scratch);
        assert_eq!(v.options[2].strategy, Strategy::Probe);
        assert_eq!(v.cost_intervals_overlap, Some(false));
        assert_eq!(v.accuracy_interval_clears_target, Some(true));
        assert_eq!(v.reasons[0], Reason::WinnerReaches { choice: w.clone() });
        // Pretraining 0.5 USD; scratch's cheapest is 50.1, finetune without its share 5.25 - 0 (share 0 here):
        // saving 44.85 per task, so K = ceil(0.5 / 44.85) = 1.
        assert_eq!(v.pretraining_pays_off_at_k, Some(1));
    }

    #[test]
    fn smaller_budget_excludes_cells_and_reports_none() {
        let v = verdict(&sweep(), 5, None);
        assert!(v.winner().is_none());
        assert_eq!(v.reasons[0], Reason::NoneReaches);
        // What would change it: finetune reaches the target at the smallest budget, 10.
        assert!(
            matches!(
                v.what_would_change_it[0],
                Change::LargerBudget {
                    budget_per_class: 10,
                    strategy: Strategy::Finetune,
                    ..
                }
            ),
            "{:?}",
            v.what_would_change_it
        );
    }

    #[test]
    fn ties_go_to_accuracy_and_overlaps_are_reported() {
        let aggs = vec![
            cell(Strategy::Scratch, 10, &[0.81, 0.90, 0.85], &[5.0, 5.2, 5.1]),
            cell(Strategy::Finetune, 10, &[0.90, 0.91, 0.92], &[5.0, 5.2, 5.1]),
        ];
        let v = verdict(&aggs, 10, None);
        assert_eq!(
            v.winner().unwrap().strategy,
            Strategy::Finetune,
            "equal cost: higher accuracy wins"
        );
        assert_eq!(v.cost_intervals_overlap, Some(true));
        // Scratch's interval (0.81, 0.90, 0.85) reaches below 80%.
        let s = Verdict {
            options: vec![v.options[1].clone()],
            ..v.clone()
        };
        assert!(s.options[0].test_accuracy.ci95.unwrap().0 < 0.8);
        assert!(v.reasons.iter().any(|r| matches!(
            r,
            Reason::RunnerUp {
                intervals_overlap: true,
                ..
            }
        )));
    }

    #[test]
    fn pretraining_that_costs_more_than_it_saves_needs_k_tasks() {
        // Scratch 50.1 at 100/class vs probe... make reuse save 2 USD per task; pretraining 9 USD -> K = 5.
        let aggs = vec![
            cell(Strategy::Scratch, 10, &[0.85, 0.85, 0.85], &[7.0, 7.0, 7.0]),
            cell(Strategy::Finetune, 10, &[0.85, 0.85, 0.85], &[5.0, 5.0, 5.0]),
        ];
        let v = verdict(&aggs, 10, Some(9.0));
        assert_eq!(v.pretraining_pays_off_at_k, Some(5));
        let cheaper_scratch = vec![
            cell(Strategy::Scratch, 10, &[0.85, 0.85, 0.85], &[4.0, 4.0, 4.0]),
            cell(Strategy::Finetune, 10, &[0.85, 0.85, 0.85], &[5.0, 5.0, 5.0]),
        ];
        let v = verdict(&cheaper_scratch, 10, Some(9.0));
        assert_eq!(v.winner().unwrap().strategy, Strategy::Scratch);
        assert_eq!(v.pretraining_pays_off_at_k, None);
        assert!(v
            .what_would_change_it
            .iter()
            .any(|c| matches!(c, Change::PretrainingNeverPays { .. })));
    }
}
