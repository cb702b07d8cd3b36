//! The task a suite studies: which dataset, which classes form the source
//! (pretraining) and the target (the label sweep), and how many examples each
//! split holds. Each kind of task lives in its own file with its own checks
//! and data: [`mnist1d`], [`digits`], [`text`], [`table`] (the user's own
//! numeric data).

mod digits;
mod mnist1d;
pub mod table;
mod text;

use super::splits::{split_classes, ClassSplit};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The datasets reuse-bench can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum TaskKind {
    /// MNIST-1D, generated in process (see [`crate::data::mnist1d`]); source and
    /// target are disjoint sets of its classes.
    #[default]
    Mnist1d,
    /// Cross-dataset: the source is MNIST (from `mnist_dir`) converted to the UCI
    /// 8x8 format, the target the embedded UCI optical digits (see [`crate::data::digits`]).
    Digits,
    /// Text classification from a CSV file (`path`, `text_column`, `label_column`),
    /// tokenized with `tokenizer`; the backbone is a given pretrained model
    /// (the suite's `[pretrained]`), not pretrained here.
    Text,
    /// The user's own data: a CSV of features and a label column (`path`,
    /// `label_column`), an IDX pair (`path`, `labels_path`), or an image
    /// folder (`path` a folder of class sub-folders); the backbone is
    /// pretrained on its `source_classes` (see [`table`]).
    Table,
}

/// The dataset and the transfer split; all fixed by `seed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskSpec {
    /// Which dataset.
    pub kind: TaskKind,
    /// Seed of the dataset and its splits (not of the runs).
    pub seed: u64,
    /// Examples generated per class (all ten classes).
    pub samples_per_class: usize,
    /// Classes the backbone is pretrained on.
    pub source_classes: Vec<u32>,
    /// Classes of the task under study.
    pub target_classes: Vec<u32>,
    /// Source validation examples per class (pretraining's early stopping).
    pub source_val_per_class: usize,
    /// Source test examples per class (the model card's source accuracy).
    pub source_test_per_class: usize,
    /// Target validation examples per class (early stopping, time-to-target).
    pub target_val_per_class: usize,
    /// Target test examples per class (the reported accuracy).
    pub target_test_per_class: usize,
    /// `digits` only: the folder holding MNIST's IDX files (default `data/mnist`,
    /// relative to the current folder, where `.ci/fetch-data.sh data` puts them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mnist_dir: Option<PathBuf>,
    /// `text`: the CSV file of texts and labels; `table`: the CSV file, or the IDX images file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// `text` only: the column holding the text (default `text`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_column: Option<String>,
    /// `table` only: the IDX labels file beside the IDX images file `path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels_path: Option<PathBuf>,
    /// `table` only: a second dataset to pretrain the backbone on (its
    /// `source_classes`, numbered by that file's own sorted labels), with as
    /// many values per example as `path`: another dataset as the source,
    /// rather than some classes of the same one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_path: Option<PathBuf>,
    /// `table` only: the IDX labels file of `source_path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_labels_path: Option<PathBuf>,
    /// `table` only: a held-out test set in the same format as `path` (a CSV,
    /// an IDX images file, or an image folder); the test split is then all of
    /// its rows of the target classes, and `target_test_per_class` must be 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_path: Option<PathBuf>,
    /// `table` only: the IDX labels file of `test_path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_labels_path: Option<PathBuf>,
    /// `table` image folders only: resize every image to `[width, height]`
    /// (without it, every image must already have one size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_size: Option<[u32; 2]>,
    /// `table` image folders only: one grey value per pixel (default) or
    /// three, RGB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grayscale: Option<bool>,
    /// `text` and `table` (CSV): the column holding the label (default `label`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_column: Option<String>,
    /// `text`: the classes by their label in the file, in class order (e.g.
    /// `["fresh", "rotten"]`); any other label is an error unless it is in
    /// `drop_labels`. `target_classes` is then `[0, ..., k-1]`. `table`
    /// (optional): every label of the file in class order, so that reports
    /// name the classes (`init` writes it; checked against the file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// `text` only: rows whose label is one of these are dropped (e.g. `plot`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drop_labels: Vec<String>,
    /// `text` only: the Hugging Face `tokenizer.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<PathBuf>,
    /// `text` only: tokens per example, special tokens included (default 64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<usize>,
}

impl Default for TaskSpec {
    fn default() -> Self {
        TaskSpec {
            kind: TaskKind::Mnist1d,
            seed: 42,
            samples_per_class: 4000,
            source_classes: vec![0, 1, 2, 3, 4],
            target_classes: vec![5, 6, 7, 8, 9],
            source_val_per_class: 200,
            source_test_per_class: 500,
            target_val_per_class: 100,
            target_test_per_class: 500,
            mnist_dir: None,
            path: None,
            labels_path: None,
            source_path: None,
            source_labels_path: None,
            test_path: None,
            test_labels_path: None,
            image_size: None,
            grayscale: None,
            text_column: None,
            label_column: None,
            classes: Vec::new(),
            drop_labels: Vec::new(),
            tokenizer: None,
            max_tokens: None,
        }
    }
}

impl TaskSpec {
    /// Where the MNIST IDX files are for a `digits` task.
    pub fn mnist_dir(&self) -> &Path {
        self.mnist_dir
            .as_deref()
            .unwrap_or(Path::new(digits::DEFAULT_MNIST_DIR))
    }

    /// Tokens per text example.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens.unwrap_or(64)
    }

    /// One line on the task for reports.
    pub fn describe(&self) -> String {
        match self.kind {
            TaskKind::Mnist1d => mnist1d::describe(self),
            TaskKind::Digits => digits::describe(self),
            TaskKind::Text => text::describe(self),
            TaskKind::Table => table::describe(self),
        }
    }

    /// Checks what types cannot, for this kind of task, given the largest
    /// label budget per class of the sweep; the message names the key and the fix.
    pub fn validate(&self, largest_budget: usize) -> std::result::Result<(), String> {
        for (key, list) in [
            ("task.source_classes", &self.source_classes),
            ("task.target_classes", &self.target_classes),
        ] {
            let mut sorted = list.clone();
            sorted.sort_unstable();
            sorted.dedup();
            if sorted.len() != list.len() {
                return Err(format!("{key} lists a class twice"));
            }
        }
        // Saturating: counts from a file may be as large as the type allows.
        let held_out = self.target_val_per_class.saturating_add(self.target_test_per_class);
        match self.kind {
            TaskKind::Mnist1d => mnist1d::validate(self, largest_budget, held_out),
            TaskKind::Digits => digits::validate(self, largest_budget, held_out),
            TaskKind::Text => text::validate(self),
            TaskKind::Table => table::validate(self),
        }
    }

    /// Fills what a kind of task derives rather than reads: a text task's
    /// `target_classes` are the positions of its `classes`. `target_classes_given`
    /// says whether the file set them (then they must agree).
    pub fn normalise(&mut self, target_classes_given: bool) -> std::result::Result<(), String> {
        if self.kind != TaskKind::Text {
            return Ok(());
        }
        let derived: Vec<u32> = (0..self.classes.len() as u32).collect();
        if target_classes_given && self.target_classes != derived {
            return Err(format!(
                "a text task names its classes by label in task.classes ({:?}); leave task.target_classes out (or \
                 set it to {derived:?})",
                self.classes
            ));
        }
        self.target_classes = derived;
        Ok(())
    }

    /// How this kind of task gets more examples per class, for error messages.
    fn more_data_hint(&self) -> &'static str {
        match self.kind {
            TaskKind::Mnist1d => "raise task.samples_per_class",
            TaskKind::Digits => "",
            TaskKind::Text | TaskKind::Table => "add rows to the data file",
        }
    }

    /// Whether this kind of task can pretrain a backbone in-house (it has a source).
    pub fn has_source(&self) -> bool {
        self.kind != TaskKind::Text && !(self.kind == TaskKind::Table && self.source_classes.is_empty())
    }

    /// The pretraining task: train, validation and test splits of the source.
    pub fn source_task(&self) -> Result<ClassSplit> {
        let ds = match self.kind {
            TaskKind::Mnist1d => mnist1d::dataset(self),
            TaskKind::Digits => digits::source_dataset(self)?,
            TaskKind::Text => return Err(text::no_source(self)),
            TaskKind::Table => table::source_dataset(self)?,
        };
        split_classes(
            &ds,
            &self.source_classes,
            self.source_val_per_class,
            self.source_test_per_class,
            self.more_data_hint(),
        )
    }

    /// The task under study: the pool the label budgets are drawn from, validation and test.
    pub fn target_task(&self) -> Result<ClassSplit> {
        if self.kind == TaskKind::Table && self.test_path.is_some() {
            return table::target_with_test_file(self);
        }
        let ds = match self.kind {
            TaskKind::Mnist1d => mnist1d::dataset(self),
            TaskKind::Digits => digits::target_dataset(self)?,
            TaskKind::Text => text::dataset(self)?,
            TaskKind::Table => table::load(self)?.data,
        };
        split_classes(
            &ds,
            &self.target_classes,
            self.target_val_per_class,
            self.target_test_per_class,
            self.more_data_hint(),
        )
    }

    /// Checks that the source data can be read without reading it all (for
    /// `digits`, that MNIST's files are where the suite says), so a sweep that
    /// would have to pretrain fails before it starts.
    pub fn check_source(&self) -> Result<()> {
        match self.kind {
            TaskKind::Mnist1d | TaskKind::Text => Ok(()),
            TaskKind::Digits => digits::check_source(self),
            TaskKind::Table => table::check_source(self),
        }
    }

    /// Checks that the target's files exist (a text task's CSV and tokenizer),
    /// so a sweep that could not run fails before it starts.
    pub fn check_target(&self) -> Result<()> {
        match self.kind {
            TaskKind::Mnist1d | TaskKind::Digits => Ok(()),
            TaskKind::Text => text::check_target(self),
            TaskKind::Table => table::check_target(self),
        }
    }
}

/// Checks that a list of classes has at least two, each below `classes`.
fn check_class_range(key: &str, list: &[u32], classes: u32) -> std::result::Result<(), String> {
    if list.len() < 2 || list.iter().any(|&c| c >= classes) {
        return Err(format!("{key} must list at least two classes, each below {classes}"));
    }
    Ok(())
}
