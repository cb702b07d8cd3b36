//! The digits task: pretrain on MNIST converted to the UCI 8x8 format, reuse
//! on the embedded UCI optical digits (cross-dataset transfer).

use super::{check_class_range, TaskSpec};
use crate::data::splits::shuffled;
use crate::data::{digits, Dataset};
use crate::Result;

/// Where MNIST's IDX files are looked for unless `task.mnist_dir` says
/// otherwise: where `bash .ci/fetch-data.sh data` puts them.
pub(super) const DEFAULT_MNIST_DIR: &str = "data/mnist";

pub(super) fn source_dataset(spec: &TaskSpec) -> Result<Dataset> {
    Ok(shuffled(digits::mnist_8x8(spec.mnist_dir())?, spec.seed))
}

pub(super) fn target_dataset(spec: &TaskSpec) -> Result<Dataset> {
    Ok(shuffled(digits::uci_digits()?, spec.seed))
}

pub(super) fn describe(spec: &TaskSpec) -> String {
    format!(
        "UCI optical digits (8x8, classes {:?}), pretrained on MNIST converted to the same format",
        spec.target_classes
    )
}

/// Classes are digits, and the largest budget fits the smallest UCI class.
pub(super) fn validate(spec: &TaskSpec, largest: usize, held_out: usize) -> std::result::Result<(), String> {
    check_class_range("task.source_classes", &spec.source_classes, digits::NUM_CLASSES)?;
    check_class_range("task.target_classes", &spec.target_classes, digits::NUM_CLASSES)?;
    // In i128, where no count a suite can hold overflows (in i64 they wrapped around).
    let pool = digits::SMALLEST_UCI_CLASS as i128 - held_out as i128;
    if largest as i128 > pool {
        return Err(format!(
            "the largest budget ({largest} per class) exceeds the UCI digits pool ({pool} per class: {} in the \
             smallest class minus target_val_per_class and target_test_per_class); lower train.budgets_per_class",
            digits::SMALLEST_UCI_CLASS
        ));
    }
    Ok(())
}

pub(super) fn check_source(spec: &TaskSpec) -> Result<()> {
    digits::check_mnist(spec.mnist_dir())
}
