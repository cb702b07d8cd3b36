//! Aggregates per (strategy, budget): completed runs averaged, diverged and
//! failed runs counted beside them, never averaged in.

use super::Summary;
use crate::cost::{PricedRun, RunCost};
use crate::results::{RunMetrics, RunStatus};
use crate::suite::Suite;
use crate::train::Strategy;
use serde::{Deserialize, Serialize};

/// The seeds of one (strategy, budget) cell, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Strategy.
    pub strategy: Strategy,
    /// Labelled examples per class.
    pub budget_per_class: usize,
    /// Labelled examples in all.
    pub train_examples: usize,
    /// Runs in the cell.
    pub runs: usize,
    /// Runs that completed (the only ones summarised below).
    pub completed: usize,
    /// Runs whose loss diverged.
    pub diverged: usize,
    /// Runs whose worker failed.
    pub failed: usize,
    /// Test accuracy, 0-1.
    pub test_accuracy: Option<Summary>,
    /// Wall seconds per run (data to test).
    pub wall_s: Option<Summary>,
    /// CPU seconds per run.
    pub cpu_s: Option<Summary>,
    /// Peak RSS per run, MiB.
    pub peak_rss_mib: Option<Summary>,
    /// Completed runs whose validation accuracy reached the target.
    pub reached_target: usize,
    /// Seconds to the target, over the runs that reached it.
    pub time_to_target_s: Option<Summary>,
    /// Trainable parameters (the same in every run of the cell).
    pub trainable_params: Option<usize>,
    /// Energy per run, kWh (RAPL or model, see the cost assumptions).
    pub energy_kwh: Option<Summary>,
    /// Carbon per run, kg CO2e.
    pub carbon_kg: Option<Summary>,
    /// Compute cost per run, USD.
    pub compute_usd: Option<Summary>,
    /// Label cost per run, USD (the same for every run of the cell).
    pub labels_usd: Option<Summary>,
    /// The pretrained model's fees per run, USD.
    pub model_usd: Option<Summary>,
    /// Amortised in-house pretraining per run, USD.
    pub pretraining_usd: Option<Summary>,
    /// Total cost per run, USD: compute + labels + model + pretraining.
    pub total_usd: Option<Summary>,
}

/// One aggregate per (budget, strategy) of the suite, in suite order.
pub fn aggregate(suite: &Suite, runs: &[PricedRun]) -> Vec<Aggregate> {
    let mut out = Vec::new();
    for &budget in &suite.train.budgets_per_class {
        for &strategy in &suite.train.strategies {
            let cell: Vec<&PricedRun> = runs
                .iter()
                .filter(|p| p.run.strategy == strategy && p.run.budget_per_class == budget)
                .collect();
            let done: Vec<&RunMetrics> = cell.iter().filter_map(|p| p.run.completed_metrics()).collect();
            let count = |s: RunStatus| cell.iter().filter(|p| p.run.status == s).count();
            // Every figure here is non-negative; accuracy is also at most 1.
            let of = |f: &dyn Fn(&RunMetrics) -> Option<f64>| {
                Summary::of(&done.iter().filter_map(|m| f(m)).collect::<Vec<_>>())
                    .map(|s| s.clipped(0.0, f64::INFINITY))
            };
            let ttt: Vec<f64> = done.iter().filter_map(|m| m.time_to_target_s).collect();
            let costs: Vec<RunCost> = cell
                .iter()
                .filter(|p| p.run.status == RunStatus::Completed)
                .filter_map(|p| p.cost)
                .collect();
            let cost = |f: &dyn Fn(&RunCost) -> f64| {
                Summary::of(&costs.iter().map(f).collect::<Vec<_>>()).map(|s| s.clipped(0.0, f64::INFINITY))
            };
            out.push(Aggregate {
                strategy,
                budget_per_class: budget,
                train_examples: budget * suite.task.target_classes.len(),
                runs: cell.len(),
                completed: done.len(),
                diverged: count(RunStatus::Diverged),
                failed: count(RunStatus::Failed),
                test_accuracy: of(&|m| m.test_accuracy).map(|s| s.clipped(0.0, 1.0)),
                wall_s: of(&|m| Some(m.wall_s)),
                cpu_s: of(&|m| Some(m.cpu_s())),
                peak_rss_mib: of(&|m| Some(m.peak_rss_bytes as f64 / (1u64 << 20) as f64)),
                reached_target: ttt.len(),
                time_to_target_s: Summary::of(&ttt).map(|s| s.clipped(0.0, f64::INFINITY)),
                trainable_params: cell
                    .iter()
                    .find_map(|p| p.run.metrics.as_ref().map(|m| m.trainable_params)),
                energy_kwh: cost(&|c| c.energy.kwh),
                carbon_kg: cost(&|c| c.energy.carbon_kg),
                compute_usd: cost(&|c| c.money.compute_usd),
                labels_usd: cost(&|c| c.money.labels_usd),
                model_usd: cost(&|c| c.money.model_usd),
                pretraining_usd: cost(&|c| c.money.pretraining_usd),
                total_usd: cost(&|c| c.money.total_usd),
            });
        }
    }
    out
}

#[cfg(test)]
impl Aggregate {
    /// A cell of completed runs with the given test accuracies and no costs.
    pub(crate) fn for_test(strategy: Strategy, budget_per_class: usize, accuracies: &[f64]) -> Aggregate {
        Aggregate {
            strategy,
            budget_per_class,
            train_examples: budget_per_class * 5,
            runs: accuracies.len(),
            completed: accuracies.len(),
            diverged: 0,
            failed: 0,
            test_accuracy: Summary::of(accuracies),
            wall_s: None,
            cpu_s: None,
            peak_rss_mib: None,
            reached_target: 0,
            time_to_target_s: None,
            trainable_params: None,
            energy_kwh: None,
            carbon_kg: None,
            compute_usd: None,
            labels_usd: None,
            model_usd: None,
            pretraining_usd: None,
            total_usd: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::stopwatch::Phases;
    use crate::results::RunRecord;

    fn record(strategy: Strategy, seed: u64, status: RunStatus, acc: Option<f64>) -> PricedRun {
        let run = RunRecord {
            run_id: format!("{strategy}-b5-s{seed}"),
            strategy,
            budget_per_class: 5,
            seed,
            status,
            message: None,
            process_wall_s: 1.0,
            metrics: (status != RunStatus::Failed).then(|| RunMetrics {
                train_examples: 25,
                train_set_digest: "d".into(),
                test_accuracy: acc,
                best_val_accuracy: 0.5,
                best_epoch: 1,
                epochs_run: 1,
                steps: 1,
                time_to_target_s: acc.filter(|&a| a > 0.6).map(|_| 2.0),
                phases: Phases::default(),
                wall_s: 3.0,
                cpu_user_s: 1.0,
                cpu_system_s: 0.5,
                peak_rss_bytes: 64 << 20,
                rapl_energy_j: None,
                total_params: 10,
                trainable_params: 10,
                curve: vec![],
            }),
            timeline: vec![],
        };
        PricedRun { run, cost: None }
    }

    #[test]
    fn failed_and_diverged_are_counted_not_averaged() {
        let mut suite = Suite::resolve("mnist1d").unwrap();
        suite.train.budgets_per_class = vec![5];
        suite.train.strategies = vec![Strategy::Scratch];
        let runs = vec![
            record(Strategy::Scratch, 0, RunStatus::Completed, Some(0.5)),
            record(Strategy::Scratch, 1, RunStatus::Completed, Some(0.7)),
            record(Strategy::Scratch, 2, RunStatus::Diverged, None),
            record(Strategy::Scratch, 3, RunStatus::Failed, None),
        ];
        let agg = aggregate(&suite, &runs);
        assert_eq!(agg.len(), 1);
        let a = &agg[0];
        assert_eq!((a.runs, a.completed, a.diverged, a.failed), (4, 2, 1, 1));
        assert!((a.test_accuracy.unwrap().mean - 0.6).abs() < 1e-12);
        assert_eq!(a.reached_target, 1);
        assert_eq!(a.peak_rss_mib.unwrap().mean, 64.0);
        assert_eq!(a.cpu_s.unwrap().mean, 1.5);
        assert_eq!(a.train_examples, 25);
    }
}
