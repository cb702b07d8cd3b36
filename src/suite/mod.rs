//! Suites: what to benchmark and under which protocol, as a TOML file.
//!
//! A suite names the task, the model, how the backbone is pretrained and the
//! sweep (strategies x label budgets x seeds) with its training budget. Every
//! section has defaults, so a user's file states only what differs; unknown
//! keys are errors, so a typo never silently falls back to a default. The
//! suite is saved beside every result.

mod builtin;

pub use builtin::{builtin, BUILTIN_SUITES};

use crate::cost::CostSpec;
use crate::model::ModelSpec;
use crate::train::Strategy;
use crate::{fsio, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A whole benchmark definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// Short name, used in the report folder's name.
    pub name: String,
    /// One line on what the suite shows.
    #[serde(default)]
    pub description: String,
    /// The validation accuracy (0-1) whose first crossing defines time-to-target.
    pub target_accuracy: f64,
    /// The dataset and its splits.
    #[serde(default)]
    pub task: TaskSpec,
    /// The architecture shared by every strategy.
    #[serde(default)]
    pub model: ModelSpec,
    /// How the backbone is pretrained on the source classes.
    #[serde(default)]
    pub pretrain: PretrainSpec,
    /// The sweep and its training budget.
    #[serde(default)]
    pub train: TrainSpec,
    /// Prices, energy constants, the label budget and the pretrained model's terms.
    #[serde(default)]
    pub cost: CostSpec,
    /// The architecture of the `baseline` strategy: the small model a team
    /// would build from scratch instead of reusing (e.g. an embedding bag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<ModelSpec>,
    /// A pretrained model given as files (Hugging Face layout) instead of pretrained here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretrained: Option<GivenModel>,
}

/// A pretrained model obtained elsewhere (a hub, a zoo), as a folder in Hugging
/// Face layout: `config.json` and `model.safetensors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GivenModel {
    /// The folder holding the files.
    pub dir: PathBuf,
    /// Its name where it comes from, e.g. `sentence-transformers/all-MiniLM-L6-v2`.
    pub name: String,
}

/// The datasets reuse-bench can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// `digits` only: the folder holding MNIST's IDX files (default `mnist`,
    /// relative to the current folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mnist_dir: Option<PathBuf>,
    /// `text` only: the CSV file of texts and labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// `text` only: the column holding the text (default `text`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_column: Option<String>,
    /// `text` only: the column holding the label (default `label`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_column: Option<String>,
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

impl TaskSpec {
    /// Where the MNIST IDX files are for a `digits` task.
    pub fn mnist_dir(&self) -> &Path {
        self.mnist_dir.as_deref().unwrap_or(Path::new("mnist"))
    }

    /// Tokens per text example.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens.unwrap_or(64)
    }

    /// One line on the task for reports.
    pub fn describe(&self) -> String {
        match self.kind {
            TaskKind::Mnist1d => format!(
                "MNIST-1D, pretrained on classes {:?}, compared on classes {:?}",
                self.source_classes, self.target_classes
            ),
            TaskKind::Digits => format!(
                "UCI optical digits (8x8, classes {:?}), pretrained on MNIST converted to the same format",
                self.target_classes
            ),
            TaskKind::Text => format!(
                "text classification of {} (classes {:?}), {} tokens per example",
                self.path.as_deref().unwrap_or(Path::new("?")).display(),
                self.target_classes,
                self.max_tokens()
            ),
        }
    }
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
            text_column: None,
            label_column: None,
            drop_labels: Vec::new(),
            tokenizer: None,
            max_tokens: None,
        }
    }
}

/// Pretraining of the backbone on the source classes (scratch init, all weights train).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PretrainSpec {
    /// Most passes over the source training set.
    pub epochs: usize,
    /// Epochs without a validation improvement before stopping.
    pub patience: usize,
    /// Examples per mini-batch.
    pub batch_size: usize,
    /// AdamW learning rate.
    pub learning_rate: f64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// Seed of the pretraining's initialisation and batch order.
    pub seed: u64,
}

impl Default for PretrainSpec {
    fn default() -> Self {
        PretrainSpec {
            epochs: 30,
            patience: 6,
            batch_size: 128,
            learning_rate: 1e-2,
            weight_decay: 1e-2,
            seed: 0,
        }
    }
}

/// The sweep and the training budget every strategy shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainSpec {
    /// Strategies to compare.
    pub strategies: Vec<Strategy>,
    /// Labelled training examples per class, one run set each.
    pub budgets_per_class: Vec<usize>,
    /// Run seeds: each fixes the label subset, initialisation and batch order.
    pub seeds: Vec<u64>,
    /// Most epochs.
    pub max_epochs: usize,
    /// Fewest optimiser steps per epoch (an epoch repeats passes over a small
    /// labelled set until it has this many), so that patience and the epoch
    /// budget mean enough training at every label budget.
    pub min_steps_per_epoch: usize,
    /// Epochs without a validation improvement before stopping.
    pub patience: usize,
    /// Examples per mini-batch (fewer when the labelled set is smaller).
    pub batch_size: usize,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// AdamW learning rate per strategy.
    pub learning_rate: LearningRates,
    /// CPU threads each worker's tensor kernels use (pretraining included);
    /// absent: all cores. Measured here, small models run faster on one
    /// thread: the default MNIST-1D sweep took 47 s with 1 and 108 s with 2 on
    /// 2 cores, with identical accuracies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
}

impl Default for TrainSpec {
    fn default() -> Self {
        TrainSpec {
            strategies: vec![Strategy::Scratch, Strategy::Finetune, Strategy::Probe],
            budgets_per_class: vec![5, 10, 25, 50, 100, 250, 500, 1000],
            seeds: vec![0, 1, 2],
            max_epochs: 100,
            min_steps_per_epoch: 20,
            patience: 15,
            batch_size: 32,
            weight_decay: 1e-2,
            learning_rate: LearningRates::default(),
            threads: None,
        }
    }
}

/// Learning rates per strategy: a frozen backbone tolerates a larger step
/// for its head; fine-tuning takes a smaller one so as not to erase what the
/// backbone learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearningRates {
    /// For `scratch`.
    pub scratch: f64,
    /// For `finetune`.
    pub finetune: f64,
    /// For `probe`.
    pub probe: f64,
    /// For `baseline`.
    pub baseline: f64,
}

impl Default for LearningRates {
    fn default() -> Self {
        LearningRates {
            scratch: 2e-3,
            finetune: 1e-3,
            probe: 1e-2,
            baseline: 3e-3,
        }
    }
}

impl LearningRates {
    /// The rate for `strategy`.
    pub fn for_strategy(&self, strategy: Strategy) -> f64 {
        match strategy {
            Strategy::Scratch => self.scratch,
            Strategy::Finetune => self.finetune,
            Strategy::Probe => self.probe,
            Strategy::Baseline => self.baseline,
        }
    }
}

impl Suite {
    /// Loads a suite by built-in name or from a TOML file path.
    pub fn resolve(name_or_path: &str) -> Result<Suite> {
        if let Some(text) = builtin(name_or_path) {
            return Suite::parse(text, &format!("built-in '{name_or_path}'"));
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            let names: Vec<&str> = BUILTIN_SUITES.iter().map(|(n, _)| *n).collect();
            return Err(Error::Suite {
                origin: name_or_path.to_string(),
                message: format!(
                    "no built-in suite of that name and no such file; built-ins: {} (see `reuse-bench suites`)",
                    names.join(", ")
                ),
            });
        }
        Suite::parse(&fsio::read_to_string(path)?, &path.display().to_string())
    }

    /// Parses and validates TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Suite> {
        let suite: Suite = toml::from_str(text).map_err(|e| Error::Suite {
            origin: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        suite.validate().map_err(|message| Error::Suite {
            origin: origin.to_string(),
            message,
        })?;
        Ok(suite)
    }

    /// The suite as TOML, as saved beside results.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a suite always serialises")
    }

    /// Checks what types cannot: ranges, non-empty lists, sizes that fit.
    fn validate(&self) -> std::result::Result<(), String> {
        let t = &self.train;
        let task = &self.task;
        if !(self.target_accuracy > 0.0 && self.target_accuracy <= 1.0) {
            return Err(format!(
                "target_accuracy = {} must be in (0, 1], e.g. 0.8",
                self.target_accuracy
            ));
        }
        if self.name.trim().is_empty() || self.name.contains(['/', '\\']) {
            return Err("name must be non-empty and contain no path separator".into());
        }
        if t.strategies.is_empty() || t.budgets_per_class.is_empty() || t.seeds.is_empty() {
            return Err(
                "train.strategies, train.budgets_per_class and train.seeds must each list at least one value".into(),
            );
        }
        if t.strategies.contains(&Strategy::Baseline) && self.baseline.is_none() {
            return Err("the baseline strategy needs its model in a [baseline] section (e.g. arch = \"bag\")".into());
        }
        if t.threads == Some(0) {
            return Err("train.threads must be at least 1 (leave it out to use every core)".into());
        }
        if t.budgets_per_class.contains(&0) {
            return Err("train.budgets_per_class must be positive".into());
        }
        for (key, v) in [
            ("train.max_epochs", t.max_epochs),
            ("train.min_steps_per_epoch", t.min_steps_per_epoch),
            ("train.patience", t.patience),
            ("train.batch_size", t.batch_size),
            ("pretrain.epochs", self.pretrain.epochs),
            ("pretrain.patience", self.pretrain.patience),
            ("pretrain.batch_size", self.pretrain.batch_size),
        ] {
            if v == 0 {
                return Err(format!("{key} must be at least 1"));
            }
        }
        let lr = &t.learning_rate;
        for (key, v) in [
            ("train.learning_rate.scratch", lr.scratch),
            ("train.learning_rate.finetune", lr.finetune),
            ("train.learning_rate.probe", lr.probe),
            ("train.learning_rate.baseline", lr.baseline),
            ("pretrain.learning_rate", self.pretrain.learning_rate),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{key} = {v} must be a positive number"));
            }
        }
        let classes = crate::data::mnist1d::NUM_CLASSES as u32;
        for (key, list) in [
            ("task.source_classes", &task.source_classes),
            ("task.target_classes", &task.target_classes),
        ] {
            if list.len() < 2 || list.iter().any(|&c| c >= classes) {
                return Err(format!("{key} must list at least two classes, each below {classes}"));
            }
            let mut sorted = list.clone();
            sorted.sort_unstable();
            sorted.dedup();
            if sorted.len() != list.len() {
                return Err(format!("{key} lists a class twice"));
            }
        }
        let largest = *t.budgets_per_class.iter().max().expect("checked non-empty") as i64;
        let held_out = task.target_val_per_class as i64 + task.target_test_per_class as i64;
        match task.kind {
            TaskKind::Mnist1d => {
                if task.source_classes.iter().any(|c| task.target_classes.contains(c)) {
                    return Err(
                        "task.source_classes and task.target_classes overlap: MNIST-1D transfer needs disjoint classes"
                            .into(),
                    );
                }
                let pool = task.samples_per_class as i64 - held_out;
                if largest > pool {
                    return Err(format!(
                        "the largest budget ({largest} per class) exceeds the target pool ({pool} per class = \
                         samples_per_class - target_val_per_class - target_test_per_class); raise task.samples_per_class"
                    ));
                }
                let source_train = task.samples_per_class as i64
                    - task.source_val_per_class as i64
                    - task.source_test_per_class as i64;
                if source_train < 1 {
                    return Err("task.samples_per_class leaves no source training examples".into());
                }
            }
            TaskKind::Text => {
                if task.path.is_none() || task.tokenizer.is_none() {
                    return Err(
                        "a text task needs task.path (the CSV file) and task.tokenizer (tokenizer.json)".into(),
                    );
                }
                if task.max_tokens() < 2 {
                    return Err("task.max_tokens must leave room for the special tokens (at least 2)".into());
                }
                if self.needs_pretrained() && self.pretrained.is_none() {
                    return Err(
                        "a text task cannot pretrain in-house: name the pretrained model in [pretrained] (dir, name)"
                            .into(),
                    );
                }
            }
            TaskKind::Digits => {
                // The smallest UCI digits class has 174 examples.
                let pool = 174 - held_out;
                if largest > pool {
                    return Err(format!(
                        "the largest budget ({largest} per class) exceeds the UCI digits pool ({pool} per class: 174 \
                         in the smallest class minus target_val_per_class and target_test_per_class)"
                    ));
                }
            }
        }
        self.cost.validate()
    }

    /// The suite shrunk to a smoke test: the smallest and largest budgets,
    /// two seeds, fewer epochs and a smaller source set. The name gets a
    /// `-quick` suffix so its reports and checkpoint never mix with the full one.
    pub fn quick(&self) -> Suite {
        let mut q = self.clone();
        q.name = format!("{}-quick", self.name);
        let b = &self.train.budgets_per_class;
        let (lo, hi) = (*b.iter().min().unwrap_or(&1), *b.iter().max().unwrap_or(&1));
        q.train.budgets_per_class = if lo == hi {
            vec![lo]
        } else {
            vec![lo, hi.min(lo * 10).max(lo)]
        };
        q.train.seeds.truncate(2);
        q.train.max_epochs = q.train.max_epochs.min(40);
        q.train.patience = q.train.patience.min(8);
        q.pretrain.epochs = q.pretrain.epochs.min(6);
        q.pretrain.patience = q.pretrain.patience.min(2);
        q
    }

    /// The architecture `strategy` trains: the `[baseline]` model for `baseline`, else `[model]`.
    pub fn model_for(&self, strategy: Strategy) -> &ModelSpec {
        match (strategy, &self.baseline) {
            (Strategy::Baseline, Some(spec)) => spec,
            _ => &self.model,
        }
    }

    /// Whether any strategy needs the pretrained backbone.
    pub fn needs_pretrained(&self) -> bool {
        self.train.strategies.iter().any(|s| s.uses_pretrained())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses() {
        for (name, _) in BUILTIN_SUITES {
            Suite::resolve(name).unwrap();
        }
    }

    #[test]
    fn minimal_file_takes_defaults() {
        let s = Suite::parse("name = \"x\"\ntarget_accuracy = 0.7\n", "test").unwrap();
        assert_eq!(s.train, TrainSpec::default());
        assert_eq!(s.task, TaskSpec::default());
    }

    #[test]
    fn round_trips_through_toml() {
        let s = Suite::resolve("mnist1d").unwrap();
        assert_eq!(Suite::parse(&s.to_toml(), "round trip").unwrap(), s);
    }

    #[test]
    fn typos_and_bad_values_are_named() {
        let typo = Suite::parse("name = \"x\"\ntarget_accuracy = 0.7\n[train]\nseed = [1]\n", "f.toml").unwrap_err();
        assert!(
            typo.to_string().contains("f.toml") && typo.to_string().contains("seed"),
            "{typo}"
        );
        let bad = Suite::parse("name = \"x\"\ntarget_accuracy = 1.5\n", "f.toml").unwrap_err();
        assert!(bad.to_string().contains("target_accuracy"), "{bad}");
        let strat = Suite::parse(
            "name = \"x\"\ntarget_accuracy = 0.5\n[train]\nstrategies = [\"magic\"]\n",
            "f",
        )
        .unwrap_err();
        assert!(strat.to_string().contains("magic"), "{strat}");
        let big = Suite::parse(
            "name = \"x\"\ntarget_accuracy = 0.5\n[train]\nbudgets_per_class = [100000]\n",
            "f",
        )
        .unwrap_err();
        assert!(big.to_string().contains("samples_per_class"), "{big}");
        let missing = Suite::resolve("no-such-suite").unwrap_err();
        assert!(missing.to_string().contains("mnist1d"), "{missing}");
    }

    #[test]
    fn quick_is_smaller_and_renamed() {
        let s = Suite::resolve("mnist1d").unwrap();
        let q = s.quick();
        assert!(q.train.budgets_per_class.len() <= 2 && q.train.seeds.len() <= 2);
        assert_ne!(q.name, s.name);
        q.validate().unwrap();
    }
}
