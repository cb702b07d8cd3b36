//! The verdict: at the user's label budget, the strategy that reaches the
//! target accuracy at the lowest total cost, with its reasons, how sure it
//! is, and what would change it.
//!
//! The rule, as the report states it: among the sweep's cells with at most
//! `cost.label_budget_per_class` labels per class whose mean test accuracy
//! reaches the target, each strategy's cheapest cell is its option; the
//! option with the lowest mean total cost wins (a tie goes to the higher
//! accuracy). Confidence compares the 95% intervals of the winner's and the
//! runner-up's costs, and the winner's accuracy interval with the target.

use super::efficiency::{BreakEven, LabelsToTarget};
use super::{Aggregate, Summary};
use crate::cost::CostAssumptions;
use crate::fmt::{pct, usd};
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
    /// One sentence: the answer.
    pub headline: String,
    /// Why, with the figures.
    pub reasons: Vec<String>,
    /// What would change the answer.
    pub what_would_change_it: Vec<String>,
}

impl Verdict {
    /// The winning option, if any strategy reaches the target within the budget.
    pub fn winner(&self) -> Option<&Choice> {
        self.options.first()
    }
}

fn interval(s: &Summary, f: fn(f64) -> String) -> String {
    match s.ci95 {
        Some((lo, hi)) => format!("95% CI {}–{}", f(lo), f(hi)),
        None => "a single run, no interval".to_string(),
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
}

/// Draws the verdict from the evidence.
pub fn decide(e: &Evidence) -> Verdict {
    let budget = e.label_budget_per_class;
    let options = options(e.aggregates, e.strategies, budget, e.target);
    let mut reasons = Vec::new();
    let mut changes = Vec::new();
    let (headline, cost_overlap, acc_clear) =
        match options.first() {
            Some(w) => {
                let acc_clear = w.test_accuracy.ci95.map(|(lo, _)| lo >= e.target);
                reasons.push(format!(
                "{} reaches {} test accuracy ({}) with {} labels per class, for a total of {} per task: compute {}, \
                 labels {}, model fees {}, pretraining share {}.",
                w.strategy,
                pct(w.test_accuracy.mean),
                interval(&w.test_accuracy, pct),
                w.budget_per_class,
                usd(w.total_usd.mean),
                usd(w.compute_usd),
                usd(w.labels_usd),
                usd(w.model_usd),
                usd(w.pretraining_usd),
            ));
                match acc_clear {
                    Some(true) => reasons.push(format!(
                        "Its accuracy interval lies above the {} target: the target is met with 95% confidence.",
                        pct(e.target)
                    )),
                    Some(false) => reasons.push(format!(
                        "Its mean reaches the {} target but its 95% interval dips below it: more seeds or one budget \
                     step more would make it certain.",
                        pct(e.target)
                    )),
                    None => {}
                }
                let cost_overlap =
                    options.get(1).map(|r| {
                        let overlap = w.total_usd.overlaps(&r.total_usd);
                        reasons.push(format!(
                    "The next cheapest, {}, needs {} labels per class and costs {} ({:.1}x); the 95% intervals of \
                     the two costs {}.",
                    r.strategy,
                    r.budget_per_class,
                    usd(r.total_usd.mean),
                    r.total_usd.mean / w.total_usd.mean.max(f64::MIN_POSITIVE),
                    if overlap { "overlap, so this ranking is not certain" } else { "do not overlap" }
                ));
                        overlap
                    });
                let share = w.labels_usd / w.total_usd.mean.max(f64::MIN_POSITIVE);
                reasons.push(format!(
                    "Labels are {:.0}% of its cost and compute {:.0}%.",
                    share * 100.0,
                    w.compute_usd / w.total_usd.mean.max(f64::MIN_POSITIVE) * 100.0
                ));
                for s in e
                    .strategies
                    .iter()
                    .filter(|s| !options.iter().any(|o| o.strategy == **s))
                {
                    reasons.push(format!(
                        "{s} does not reach {} with at most {budget} labels per class ({}).",
                        pct(e.target),
                        best_within(e.aggregates, *s, budget)
                    ));
                }
                (
                    format!(
                        "Choose {}: it reaches {} with {} labels per class at the lowest total cost, {} per task.",
                        w.strategy,
                        pct(e.target),
                        w.budget_per_class,
                        usd(w.total_usd.mean)
                    ),
                    cost_overlap,
                    acc_clear,
                )
            }
            None => {
                reasons.push(format!(
                    "No strategy's mean test accuracy reaches {} with at most {budget} labels per class.",
                    pct(e.target)
                ));
                for s in e.strategies {
                    reasons.push(format!("{s}: {}.", best_within(e.aggregates, *s, budget)));
                }
                let reachable = e
                    .labels_to_target
                    .iter()
                    .filter_map(|l| Some((l, l.crossing.labels_per_class()?)));
                match reachable.min_by(|a, b| a.1.total_cmp(&b.1)) {
                    Some((l, _)) => changes.push(format!(
                        "A label budget of {} labels per class would: {} reaches the target at {}.",
                        l.crossing.first_budget().unwrap_or(0),
                        l.strategy,
                        l.crossing.describe()
                    )),
                    None => changes.push(
                        "No strategy reaches the target within the sweep: extend train.budgets_per_class, lower \
                     target_accuracy, or try another model."
                            .to_string(),
                    ),
                }
                (
                    format!(
                        "No strategy reaches {} with at most {budget} labels per class.",
                        pct(e.target)
                    ),
                    None,
                    None,
                )
            }
        };

    for l in e.labels_to_target {
        changes.push(match l.crossing.first_budget() {
            Some(_) => format!("{} reaches {} at {}.", l.strategy, pct(e.target), l.crossing.describe()),
            None => format!("{} does not reach {} anywhere in the sweep.", l.strategy, pct(e.target)),
        });
    }
    if let Some(be) = e.break_even {
        changes.push(match be.crossing.labels_per_class() {
            Some(_) => format!(
                "Scratch comes within {:.1} points of the best reuse strategy at {}: beyond that, reuse buys little \
                 accuracy.",
                be.tolerance * 100.0,
                be.crossing.describe()
            ),
            None => format!(
                "Scratch stays more than {:.1} points behind the best reuse strategy at every budget of the sweep: \
                 the break-even is beyond it.",
                be.tolerance * 100.0
            ),
        });
    }
    let pays_off = pretraining_payoff(e, &options, &mut changes);
    Verdict {
        label_budget_per_class: budget,
        target_accuracy: e.target,
        options,
        cost_intervals_overlap: cost_overlap,
        accuracy_interval_clears_target: acc_clear,
        pretraining_pays_off_at_k: pays_off,
        headline,
        reasons,
        what_would_change_it: changes,
    }
}

/// When in-house pretraining pays for itself: with pretraining cost P and a
/// per-task saving S of the best reuse option (without its pretraining share)
/// over scratch, from K = ceil(P / S) reusing tasks.
fn pretraining_payoff(e: &Evidence, options: &[Choice], changes: &mut Vec<String>) -> Option<u32> {
    let p = e.cost.pretraining?;
    let reuse = options.iter().find(|o| o.strategy.uses_pretrained())?;
    let reuse_without = reuse.total_usd.mean - reuse.pretraining_usd;
    let Some(scratch) = options.iter().find(|o| o.strategy == Strategy::Scratch) else {
        changes.push(format!(
            "Without the pretrained backbone the target is out of reach at this budget, so in-house pretraining ({}) \
             is needed whatever the number of tasks sharing it.",
            usd(p.compute_usd)
        ));
        return Some(1);
    };
    let saving = scratch.total_usd.mean - reuse_without;
    if saving <= 0.0 {
        changes.push(format!(
            "In-house pretraining ({}) never pays at this budget: scratch is cheaper per task even before its share.",
            usd(p.compute_usd)
        ));
        return None;
    }
    let k = (p.compute_usd / saving).ceil().max(1.0);
    let k = if k > u32::MAX as f64 { u32::MAX } else { k as u32 };
    changes.push(format!(
        "In-house pretraining ({}) pays for itself from K = {k} task{} reusing the backbone ({} saved per task by \
         {}); this report assumes K = {}.",
        usd(p.compute_usd),
        if k == 1 { "" } else { "s" },
        usd(saving),
        reuse.strategy,
        e.cost.amortize_over_tasks
    ));
    Some(k)
}

/// The best mean test accuracy of `strategy` within `budget`, in words.
fn best_within(aggregates: &[Aggregate], strategy: Strategy, budget: usize) -> String {
    aggregates
        .iter()
        .filter(|a| a.strategy == strategy && a.budget_per_class <= budget)
        .filter_map(|a| Some((a.budget_per_class, a.test_accuracy?.mean)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or("no completed runs".to_string(), |(b, acc)| {
            format!("best {} at {b} labels per class", pct(acc))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::efficiency::{break_even, labels_to_target};
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
        assert!(v.headline.starts_with("Choose finetune"), "{}", v.headline);
        // Pretraining 0.5 USD; scratch's cheapest is 50.1, finetune without its share 5.25 - 0 (share 0 here):
        // saving 44.85 per task, so K = ceil(0.5 / 44.85) = 1.
        assert_eq!(v.pretraining_pays_off_at_k, Some(1));
    }

    #[test]
    fn smaller_budget_excludes_cells_and_reports_none() {
        let v = verdict(&sweep(), 5, None);
        assert!(v.winner().is_none());
        assert!(v.headline.starts_with("No strategy reaches"));
        // What would change it: finetune reaches the target at the smallest budget, 10.
        assert!(
            v.what_would_change_it[0].contains("10 labels per class"),
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
        assert!(v
            .reasons
            .iter()
            .any(|r| r.contains("overlap, so this ranking is not certain")));
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
        assert!(v.what_would_change_it.iter().any(|c| c.contains("never pays")));
    }
}
