//! The splits of the transfer protocol.
//!
//! The task seed fixes the datasets and their splits: the source becomes the
//! pretraining task (train, validation, test), the target the task under study
//! (train pool, validation, test). For MNIST-1D both come from one generated
//! set (source and target classes disjoint); for `digits` the source is MNIST
//! in UCI format and the target the UCI digits (cross-dataset transfer). Validation and test are the same
//! for every run, so runs differ only in what the run seed chooses: which pool
//! examples form each label budget, the initial weights and the batch order.
//! Budget subsets are nested (the 10-per-class subset contains the 5-per-class
//! one) and identical for every strategy at a given budget and seed.

use super::Dataset;
use crate::rng::{self, Purpose};
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

/// The examples in a seed-fixed order, so that splits taken in order are random but reproducible.
pub fn shuffled(ds: Dataset, seed: u64) -> Dataset {
    let mut order: Vec<usize> = (0..ds.len()).collect();
    order.shuffle(&mut rng::stream(seed, Purpose::Dataset));
    ds.select(&order)
}

/// Splits the examples of `classes` into validation (first `val_per_class` of
/// each class, in dataset order), test (the next `test_per_class`) and train
/// (the rest). Labels become positions in `classes`.
/// `more_data` is the task kind's way to more examples, for the error's fix
/// (e.g. "raise task.samples_per_class"), or empty where there is none.
pub fn split_classes(
    ds: &Dataset,
    classes: &[u32],
    val_per_class: usize,
    test_per_class: usize,
    more_data: &str,
) -> Result<ClassSplit> {
    let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for &class in classes {
        let members: Vec<usize> = (0..ds.len()).filter(|&i| ds.labels[i] == class).collect();
        if members.len() <= val_per_class.saturating_add(test_per_class) {
            return Err(Error::data(
                "the task's dataset",
                format!(
                    "class {class} has {} examples, too few for {val_per_class} validation + {test_per_class} test \
                     per class and a training pool; lower the task's val_per_class/test_per_class{}",
                    members.len(),
                    if more_data.is_empty() {
                        String::new()
                    } else {
                        format!(" or {more_data}")
                    }
                ),
            ));
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
    Ok(pool.select(&budget_indices(pool, per_class, seed)?))
}

/// The pool rows [`budget_subset`] takes, ascending.
pub fn budget_indices(pool: &Dataset, per_class: usize, seed: u64) -> Result<Vec<usize>> {
    let mut rng = rng::stream(seed, Purpose::Subset);
    let mut chosen = Vec::new();
    for (class, &available) in pool.class_counts().iter().enumerate() {
        let mut members: Vec<usize> = (0..pool.len()).filter(|&i| pool.labels[i] == class as u32).collect();
        members.shuffle(&mut rng);
        if per_class > available {
            return Err(Error::data(
                "the task's training pool",
                format!(
                    "a budget of {per_class} labels per class exceeds the pool ({available} for class {class}); \
                     lower train.budgets_per_class"
                ),
            ));
        }
        chosen.extend_from_slice(&members[..per_class]);
    }
    chosen.sort_unstable();
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{TaskKind, TaskSpec};

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
        let s = split_classes(&toy(), &[1, 2], 2, 3, "").unwrap();
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
        let err = split_classes(&toy(), &[0], 5, 5, "raise task.samples_per_class").unwrap_err();
        assert!(err.to_string().contains("samples_per_class"), "{err}");
        let err = split_classes(&toy(), &[0], 5, 5, "").unwrap_err().to_string();
        assert!(
            !err.contains("samples_per_class") && err.contains("test_per_class"),
            "{err}"
        );
    }

    #[test]
    fn budgets_are_stratified_nested_and_seeded() {
        let pool = split_classes(&toy(), &[0, 1, 2], 1, 1, "").unwrap().train;
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
        let target = spec.target_task().unwrap();
        let k = spec.target_classes.len();
        assert_eq!(target.val.len(), k * spec.target_val_per_class);
        assert_eq!(target.test.len(), k * spec.target_test_per_class);
        assert_eq!(target.train.class_counts().len(), k);
        let source = spec.source_task().unwrap();
        assert_eq!(source.val.len(), spec.source_classes.len() * spec.source_val_per_class);
    }

    #[test]
    fn digits_target_is_a_seeded_shuffle_of_uci_digits() {
        let spec = TaskSpec {
            kind: TaskKind::Digits,
            source_classes: (0..10).collect(),
            target_classes: (0..10).collect(),
            target_val_per_class: 30,
            target_test_per_class: 60,
            ..TaskSpec::default()
        };
        let a = spec.target_task().unwrap();
        assert_eq!((a.val.len(), a.test.len(), a.train.len()), (300, 600, 1797 - 900));
        assert_eq!(a.val.features, spec.target_task().unwrap().val.features);
        let other = TaskSpec { seed: 7, ..spec };
        assert_ne!(a.val.features, other.target_task().unwrap().val.features);
    }
}
