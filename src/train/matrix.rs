//! The run matrix: label budgets x seeds x strategies.

use super::{Strategy, TrainSpec};
use serde::{Deserialize, Serialize};

/// One cell of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    /// How the model is obtained.
    pub strategy: Strategy,
    /// Labelled training examples per class.
    pub budget_per_class: usize,
    /// Seed of the label subset, initialisation and batch order.
    pub seed: u64,
}

impl RunSpec {
    /// A stable identifier, e.g. `finetune-b25-s1`.
    pub fn run_id(&self) -> String {
        format!("{}-b{}-s{}", self.strategy, self.budget_per_class, self.seed)
    }
}

/// Every run of the sweep, budget by budget and seed by seed with the
/// strategies interleaved, so that slow drift of the machine (heat, other
/// load) falls on all strategies alike rather than on one.
pub fn run_matrix(t: &TrainSpec) -> Vec<RunSpec> {
    let mut runs = Vec::with_capacity(t.budgets_per_class.len() * t.seeds.len() * t.strategies.len());
    for &budget_per_class in &t.budgets_per_class {
        for &seed in &t.seeds {
            for &strategy in &t.strategies {
                runs.push(RunSpec {
                    strategy,
                    budget_per_class,
                    seed,
                });
            }
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_every_combination_once() {
        let t = TrainSpec::default();
        let runs = run_matrix(&t);
        assert_eq!(
            runs.len(),
            t.budgets_per_class.len() * t.seeds.len() * t.strategies.len()
        );
        let mut ids: Vec<String> = runs.iter().map(RunSpec::run_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), runs.len());
    }
}
