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

use super::csv_table::{load_text, Column};
use super::{digits, mnist1d, text, Dataset};
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

/// The pretraining task a suite describes: train, validation and test splits of the source.
pub fn source_task(spec: &TaskSpec) -> Result<ClassSplit> {
    let ds = match spec.kind {
        TaskKind::Mnist1d => mnist1d_set(spec),
        TaskKind::Digits => shuffled(digits::mnist_8x8(spec.mnist_dir())?, spec.seed),
        TaskKind::Text => {
            return Err(Error::Invalid(
                "a text task has no source to pretrain on: its backbone is the suite's [pretrained] model".into(),
            ))
        }
    };
    split_classes(
        &ds,
        &spec.source_classes,
        spec.source_val_per_class,
        spec.source_test_per_class,
    )
}

/// The task under study: the pool the label budgets are drawn from, validation and test.
pub fn target_task(spec: &TaskSpec) -> Result<ClassSplit> {
    let ds = match spec.kind {
        TaskKind::Mnist1d => mnist1d_set(spec),
        TaskKind::Digits => shuffled(digits::uci_digits()?, spec.seed),
        TaskKind::Text => shuffled(text_set(spec)?, spec.seed),
    };
    split_classes(
        &ds,
        &spec.target_classes,
        spec.target_val_per_class,
        spec.target_test_per_class,
    )
}

/// Checks that the source data can be read without reading it all (for
/// `digits`, that MNIST's files are where the suite says), so a sweep that
/// would have to pretrain fails before it starts.
pub fn check_source(spec: &TaskSpec) -> Result<()> {
    match spec.kind {
        TaskKind::Mnist1d | TaskKind::Text => Ok(()),
        TaskKind::Digits => digits::check_mnist(spec.mnist_dir()),
    }
}

/// Checks that the target's files exist (a text task's CSV and tokenizer), so
/// a sweep that could not run fails before it starts.
pub fn check_target(spec: &TaskSpec) -> Result<()> {
    if spec.kind != TaskKind::Text {
        return Ok(());
    }
    for (key, path) in [("task.path", &spec.path), ("task.tokenizer", &spec.tokenizer)] {
        match path {
            Some(p) if p.is_file() => {}
            Some(p) => {
                return Err(Error::Invalid(format!(
                    "{key} = {}: no such file (for the built-in sentiment suite, `bash .ci/fetch-data.sh data` \
                     fetches it)",
                    p.display()
                )))
            }
            None => return Err(Error::Invalid(format!("{key} is required for a text task"))),
        }
    }
    Ok(())
}

/// All ten MNIST-1D classes, generated and standardised together, so source and target share one scale.
fn mnist1d_set(spec: &TaskSpec) -> Dataset {
    mnist1d::generate(spec.samples_per_class, spec.seed, &mnist1d::Params::default())
}

/// The labelled texts of a text task, minus the dropped labels, as token ids.
/// Classes are the remaining label values in sorted order.
fn text_set(spec: &TaskSpec) -> Result<Dataset> {
    let (Some(path), Some(tokenizer)) = (&spec.path, &spec.tokenizer) else {
        return Err(Error::Invalid("a text task needs task.path and task.tokenizer".into()));
    };
    let text_col = Column::Name(spec.text_column.clone().unwrap_or_else(|| "text".into()));
    let label_col = Column::Name(spec.label_column.clone().unwrap_or_else(|| "label".into()));
    let loaded = load_text(path, &text_col, &label_col)?;
    let kept: Vec<String> = loaded
        .class_names
        .iter()
        .filter(|n| !spec.drop_labels.contains(n))
        .cloned()
        .collect();
    let mut texts = Vec::new();
    let mut labels = Vec::new();
    for (text, &label) in loaded.data.texts.iter().zip(&loaded.data.labels) {
        let name = &loaded.class_names[label as usize];
        if let Some(class) = kept.iter().position(|k| k == name) {
            texts.push(text.clone());
            labels.push(class as u32);
        }
    }
    Ok(text::tokenize(&texts, labels, tokenizer, spec.max_tokens())?.0)
}

/// The examples in a seed-fixed order, so that splits taken in order are random but reproducible.
fn shuffled(ds: Dataset, seed: u64) -> Dataset {
    let mut order: Vec<usize> = (0..ds.len()).collect();
    order.shuffle(&mut rng::stream(seed, Purpose::Dataset));
    ds.select(&order)
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
            return Err(Error::Invalid(format!(
                "budget of {per_class} labels per class exceeds the pool ({available} for class {class}); \
                 lower train.budgets_per_class or raise task.samples_per_class"
            )));
        }
        chosen.extend_from_slice(&members[..per_class]);
    }
    chosen.sort_unstable();
    Ok(chosen)
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
        let target = target_task(&spec).unwrap();
        let k = spec.target_classes.len();
        assert_eq!(target.val.len(), k * spec.target_val_per_class);
        assert_eq!(target.test.len(), k * spec.target_test_per_class);
        assert_eq!(target.train.class_counts().len(), k);
        let source = source_task(&spec).unwrap();
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
        let a = target_task(&spec).unwrap();
        assert_eq!((a.val.len(), a.test.len(), a.train.len()), (300, 600, 1797 - 900));
        assert_eq!(a.val.features, target_task(&spec).unwrap().val.features);
        let other = TaskSpec { seed: 7, ..spec };
        assert_ne!(a.val.features, target_task(&other).unwrap().val.features);
    }
}
