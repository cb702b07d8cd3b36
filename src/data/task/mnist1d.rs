//! The MNIST-1D task: one generated set of ten classes, split into disjoint
//! source and target classes.

use super::{check_class_range, TaskSpec};
use crate::data::{mnist1d, Dataset};

/// The most examples per class a suite may generate (ten classes of 40
/// values each: 100,000 per class is 160 MB of features).
const MAX_SAMPLES_PER_CLASS: usize = 100_000;

/// All ten MNIST-1D classes, generated and standardised together, so source and target share one scale.
pub(super) fn dataset(spec: &TaskSpec) -> Dataset {
    mnist1d::generate(spec.samples_per_class, spec.seed, &mnist1d::Params::default())
}

pub(super) fn describe(spec: &TaskSpec) -> String {
    format!(
        "MNIST-1D, pretrained on classes {:?}, compared on classes {:?}",
        spec.source_classes, spec.target_classes
    )
}

/// Classes in range and disjoint, and every split fits `samples_per_class`.
pub(super) fn validate(spec: &TaskSpec, largest: usize, held_out: usize) -> Result<(), String> {
    let classes = mnist1d::NUM_CLASSES as u32;
    check_class_range("task.source_classes", &spec.source_classes, classes)?;
    check_class_range("task.target_classes", &spec.target_classes, classes)?;
    if spec.source_classes.iter().any(|c| spec.target_classes.contains(c)) {
        return Err(
            "task.source_classes and task.target_classes overlap: MNIST-1D transfer needs disjoint classes".into(),
        );
    }
    if spec.samples_per_class > MAX_SAMPLES_PER_CLASS {
        return Err(format!(
            "task.samples_per_class = {} must be at most {MAX_SAMPLES_PER_CLASS}",
            spec.samples_per_class
        ));
    }
    // In i128, where no count a suite can hold overflows (in i64 they wrapped around).
    let pool = spec.samples_per_class as i128 - held_out as i128;
    if largest as i128 > pool {
        return Err(format!(
            "the largest budget ({largest} per class) exceeds the target pool ({pool} per class = \
             samples_per_class - target_val_per_class - target_test_per_class); raise task.samples_per_class"
        ));
    }
    let source_train =
        spec.samples_per_class as i128 - spec.source_val_per_class as i128 - spec.source_test_per_class as i128;
    if source_train < 1 {
        return Err("task.samples_per_class leaves no source training examples".into());
    }
    Ok(())
}
