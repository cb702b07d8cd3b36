//! The run matrix: label budgets x seeds x strategies, and its shards: the
//! deterministic slices that separate machines or jobs of a cluster run.

use super::{Strategy, TrainSpec};
use crate::{Error, Result};
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

/// One slice of the run matrix: shard `index` of `count` (1-based, as written
/// on the command line: `--shard 2/3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which slice, 1 to `count`.
    pub index: usize,
    /// How many slices the matrix is cut into.
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` with 1 <= I <= N.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            Error::setting(
                format!("--shard {text}"),
                "expected I/N with 1 <= I <= N, e.g. --shard 2/3 for the second of three slices",
            )
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The runs of `matrix` in this shard, in matrix order. Runs are dealt
    /// out by expected cost, largest first, each to the shard with the least
    /// so far (ties to the lower shard), so shards take about the same time;
    /// the deal depends only on the matrix, so every shard computes the same one.
    pub fn select(&self, matrix: &[RunSpec]) -> Vec<RunSpec> {
        let mut order: Vec<usize> = (0..matrix.len()).collect();
        // Stable: equal costs keep matrix order.
        order.sort_by(|&a, &b| expected_cost(&matrix[b]).total_cmp(&expected_cost(&matrix[a])));
        let mut load = vec![0.0f64; self.count];
        let mut owner = vec![0usize; matrix.len()];
        for i in order {
            let lightest = (0..self.count)
                .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
                .expect("at least one shard");
            load[lightest] += expected_cost(&matrix[i]);
            owner[i] = lightest;
        }
        (0..matrix.len())
            .filter(|&i| owner[i] == self.index - 1)
            .map(|i| matrix[i])
            .collect()
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A run's expected cost in arbitrary units: a fixed part (process start,
/// data, evaluation) plus a part that grows with its labelled examples, both
/// scaled by what the strategy trains: the whole model (scratch, fine-tuning);
/// a head on cached features (probe: 0.15-0.4 of a fine-tuning run measured
/// on MNIST-1D; on the sentiment suite 0.02 s once the features are cached,
/// the run that computes them 6-8 s, against 22-81 s); or the small model a
/// team would build instead (baseline: 0.2-0.5 s there). Shards
/// are dealt, and side-by-side jobs started, by it, so cheap runs fill in at
/// the end: replaying one sentiment sweep's measured run times on two jobs,
/// these weights finish in 238 s where weighing a baseline like a fine-tuning
/// run took 247 s (perfect balance: 237 s).
pub fn expected_cost(run: &RunSpec) -> f64 {
    let weight = match run.strategy {
        Strategy::Scratch | Strategy::Finetune => 1.0,
        Strategy::Probe => 0.25,
        Strategy::Baseline => 0.1,
    };
    weight * (20.0 + run.budget_per_class as f64)
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

    #[test]
    fn shards_partition_the_matrix_evenly() {
        let matrix = run_matrix(&TrainSpec::default());
        for count in 1..=5 {
            let shards: Vec<Vec<RunSpec>> = (1..=count)
                .map(|index| Shard { index, count }.select(&matrix))
                .collect();
            let mut ids: Vec<String> = shards.iter().flatten().map(RunSpec::run_id).collect();
            assert_eq!(ids.len(), matrix.len(), "{count} shards");
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), matrix.len(), "a run in two shards");
            let costs: Vec<f64> = shards.iter().map(|s| s.iter().map(expected_cost).sum()).collect();
            let (lo, hi) = (
                costs.iter().cloned().fold(f64::MAX, f64::min),
                costs.iter().cloned().fold(0.0, f64::max),
            );
            assert!(hi - lo <= 1020.0, "{count} shards unbalanced: {costs:?}");
        }
        // Deterministic: the same deal every time.
        assert_eq!(
            Shard { index: 2, count: 3 }.select(&matrix),
            Shard { index: 2, count: 3 }.select(&matrix)
        );
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            let err = Shard::parse(bad).unwrap_err().to_string();
            assert!(err.contains(bad) && err.contains("I/N"), "{err}");
        }
    }
}
