//! Aggregates per (strategy, budget): completed runs averaged, diverged and
//! failed runs counted beside them, never averaged in.

use super::Summary;
use crate::runner::{RunRecord, RunStatus};
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
}

/// One aggregate per (budget, strategy) of the suite, in suite order.
pub fn aggregate(suite: &Suite, runs: &[RunRecord]) -> Vec<Aggregate> {
    let mut out = Vec::new();
    for &budget in &suite.train.budgets_per_class {
        for &strategy in &suite.train.strategies {
            let cell: Vec<&RunRecord> = runs
                .iter()
                .filter(|r| r.strategy == strategy && r.budget_per_class == budget)
                .collect();
            let done: Vec<_> = cell
                .iter()
                .filter(|r| r.status == RunStatus::Completed)
                .filter_map(|r| r.metrics.as_ref())
                .collect();
            let count = |s: RunStatus| cell.iter().filter(|r| r.status == s).count();
            let of = |f: &dyn Fn(&crate::runner::RunMetrics) -> Option<f64>| {
                Summary::of(&done.iter().filter_map(|m| f(m)).collect::<Vec<_>>())
            };
            let ttt: Vec<f64> = done.iter().filter_map(|m| m.time_to_target_s).collect();
            out.push(Aggregate {
                strategy,
                budget_per_class: budget,
                train_examples: budget * suite.task.target_classes.len(),
                runs: cell.len(),
                completed: done.len(),
                diverged: count(RunStatus::Diverged),
                failed: count(RunStatus::Failed),
                test_accuracy: of(&|m| m.test_accuracy),
                wall_s: of(&|m| Some(m.wall_s)),
                cpu_s: of(&|m| Some(m.cpu_s())),
                peak_rss_mib: of(&|m| Some(m.peak_rss_bytes as f64 / (1u64 << 20) as f64)),
                reached_target: ttt.len(),
                time_to_target_s: Summary::of(&ttt),
                trainable_params: cell.iter().find_map(|r| r.metrics.as_ref().map(|m| m.trainable_params)),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::stopwatch::Phases;
    use crate::runner::RunMetrics;

    fn record(strategy: Strategy, seed: u64, status: RunStatus, acc: Option<f64>) -> RunRecord {
        RunRecord {
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
                total_params: 10,
                trainable_params: 10,
                curve: vec![],
            }),
            timeline: vec![],
        }
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
