//! The splits of the transfer protocol.
//!
//! The task seed fixes the dataset and its splits: the source classes become
//! the pretraining task (train, validation, test), the target classes the task
//! under study (train pool, validation, test). Validation and test are the same
//! for every run, so runs differ only in what the run seed chooses: which pool
//! examples form each label budget, the initial weights and the batch order.
//! Budget subsets are nested (the 10-per-class subset contains the 5-per-class
//! one) and identical for every strategy at a given budget and seed.

use super::{mnist1d, Dataset};
use crate::rng::{self, Purpose};
use crate::suite::{TaskKind, TaskSpec};
use crate::{Error, Result};
use rand::seq::SliceRandom;

/// One group of classes split three ways, labels renumbered `0..classes`.
#[derive(Debug, Clone)]
pub struct ClassSplit {
    /// Training examples (for the target task: the pool budgets are drawn from).
    pub train: Dataset,
    /// Validation examples: early stopping and model selection only.
    pub val: Dataset,
    /// Test examples: evaluated once per run, for the reported figure.
    pub test: Dataset,
}

/// The source task (pretraining) and the target task (the label sweep).
#[derive(Debug, Clone)]
pub struct TransferTask {
    /// Classes the backbone is pretrained on.
    pub source: ClassSplit,
    /// Classes the strategies are compared on; `train` is the pool.
    pub target: ClassSplit,
}

/// Builds the task a suite describes, deterministically from its seed.
pub fn transfer_task(spec: &TaskSpec) -> Result<TransferTask> {
    let TaskKind::Mnist1d = spec.kind;
    let ds = mnist1d::generate(spec.samples_per_class, spec.seed, &mnist1d::Params::default());
    Ok(TransferTask {
        source: split_classes(
            &ds,
            &spec.source_classes,
            spec.source_val_per_class,
            spec.source_test_per_class,
        )?,
        target: split_classes(
            &ds,
            &spec.target_classes,
            spec.target_val_per_class,
            spec.target_test_per_class,
        )?,
    })
}

/// Splits the examples of `classes` into validation (first `val_per_class` of
/// each class, in dataset order), test (the next `test_per_class`) and train
/// (the rest). Labels become positions in `classes`.
pub fn split_classes(ds: &Dataset, classes: &[u32], val_per_class: usize, test_per_class: usize) -> Result<ClassSplit> {
    let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for &class in classes {
        let members: Vec<usize> = (0..ds.len()).filter(|&i| ds.labels[i] == class).collect();
        if members.len() <= val_per_class + test_per_class {
            return Err(Error::Invalid(format!(
                "class {class} has {} examples, too few for {val_per_class} validation + {test_per_class} test per class \
                 and a training pool; raise task.samples_per_class",
                members.len()
            )));
        }
        val.extend_from_slice(&members[..val_per_class]);
        test.extend_from_slice(&members[val_per_class..val_per_class + test_per_class]);
        train.extend_from_slice(&members[val_per_class + test_per_class..]);
    }
    let relabel = |indices: &[usize]| {
        let mut part = ds.select(indices);
        for y in part.labels.iter_mut() {
            *y = classes
                .iter()
                .position(|c| c == y)
                .expect("selected from these classes") as u32;
        }
        part
    };
    Ok(ClassSplit {
        train: relabel(&train),
        val: relabel(&val),
        test: relabel(&test),
    })
}

/// The first `per_class` examples of each class in a seed-fixed order of the
/// pool: the labelled training set of one run. The order depends only on the
/// seed, so a larger budget extends a smaller one.
pub fn budget_subset(pool: &Dataset, per_class: usize, seed: u64) -> Result<Dataset> {
    let mut rng = rng::stream(seed, Purpose::Subset);
    let mut chosen = Vec::new();
    for (class, &available) in pool.class_counts().iter().enumerate() {
        let mut members: Vec<usize> = (0..pool.len()).filter(|&i| pool.labels[i] == class as u32).collect();
        members.shuffle(&mut rng);
        if per_class > available {
            return Err(Error::Invalid(format!(
                "budget of {per_class} labels per class exceeds the pool ({available} for class {class}); \
                 lower train.budgets_per_class or raise task.samples_per_class"
            )));
        }
        chosen.extend_from_slice(&members[..per_class]);
    }
    chosen.sort_unstable();
    Ok(pool.select(&chosen))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Dataset {
        // 3 classes x 10 examples; the feature is the example's own index.
        let labels: Vec<u32> = (0..30).map(|i| (i % 3) as u32).collect();
        Dataset {
            features: (0..30).map(|i| i as f32).collect(),
            labels,
            feature_len: 1,
        }
    }

    fn ids(ds: &Dataset) -> Vec<u32> {
        ds.features.iter().map(|&v| v as u32).collect()
    }

    #[test]
    fn splits_are_disjoint_stratified_and_relabelled() {
        let s = split_classes(&toy(), &[1, 2], 2, 3).unwrap();
        assert_eq!(s.val.class_counts(), vec![2, 2]);
        assert_eq!(s.test.class_counts(), vec![3, 3]);
        assert_eq!(s.train.class_counts(), vec![5, 5]);
        let mut all: Vec<u32> = [ids(&s.train), ids(&s.val), ids(&s.test)].concat();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "an example appears in two splits");
        assert!(all.iter().all(|i| i % 3 != 0), "class 0 was not asked for");
        // Class 1 became label 0.
        assert!(s
            .val
            .features
            .iter()
            .zip(&s.val.labels)
            .all(|(&f, &y)| (f as u32 % 3) == y + 1));
    }

    #[test]
    fn too_small_a_class_is_a_clear_error() {
        let err = split_classes(&toy(), &[0], 5, 5).unwrap_err();
        assert!(err.to_string().contains("samples_per_class"), "{err}");
    }

    #[test]
    fn budgets_are_stratified_nested_and_seeded() {
        let pool = split_classes(&toy(), &[0, 1, 2], 1, 1).unwrap().train;
        let small = budget_subset(&pool, 2, 5).unwrap();
        let large = budget_subset(&pool, 4, 5).unwrap();
        assert_eq!(small.class_counts(), vec![2, 2, 2]);
        assert_eq!(large.class_counts(), vec![4, 4, 4]);
        let large_ids = ids(&large);
        assert!(ids(&small).iter().all(|i| large_ids.contains(i)), "budgets not nested");
        assert_eq!(ids(&small), ids(&budget_subset(&pool, 2, 5).unwrap()));
        let other: Vec<Vec<u32>> = (0..8).map(|s| ids(&budget_subset(&pool, 2, s).unwrap())).collect();
        assert!(other.iter().any(|o| o != &ids(&small)), "seed has no effect");
        assert!(budget_subset(&pool, 9, 5).is_err());
    }

    #[test]
    fn mnist1d_task_has_the_configured_sizes() {
        let spec = TaskSpec {
            samples_per_class: 120,
            source_val_per_class: 10,
            source_test_per_class: 20,
            target_val_per_class: 10,
            target_test_per_class: 30,
            ..TaskSpec::default()
        };
        let task = transfer_task(&spec).unwrap();
        let k = spec.target_classes.len();
        assert_eq!(task.target.val.len(), k * spec.target_val_per_class);
        assert_eq!(task.target.test.len(), k * spec.target_test_per_class);
        assert_eq!(task.target.train.class_counts().len(), k);
        assert_eq!(
            task.source.val.len(),
            spec.source_classes.len() * spec.source_val_per_class
        );
    }
}
