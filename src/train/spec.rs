//! The suite's `[train]` and `[pretrain]` sections: the sweep, the training
//! budget every strategy shares, and the learning rates. Owned here, beside
//! the loop they configure, with their checks; [`FitConfig`] is built from
//! them in one place.

use super::fit::FitConfig;
use super::Strategy;
use serde::{Deserialize, Serialize};

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

impl TrainSpec {
    /// The loop's settings for one run of `strategy` with `seed`, aiming at
    /// `target_accuracy` (validation) for time-to-target.
    pub fn fit_config(&self, strategy: Strategy, seed: u64, target_accuracy: f64) -> FitConfig {
        FitConfig {
            learning_rate: self.learning_rate.for_strategy(strategy),
            weight_decay: self.weight_decay,
            batch_size: self.batch_size,
            max_epochs: self.max_epochs,
            min_steps_per_epoch: self.min_steps_per_epoch,
            patience: self.patience,
            target_accuracy,
            seed,
        }
    }

    /// Checks ranges, non-empty lists and limits; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.strategies.is_empty() || self.budgets_per_class.is_empty() || self.seeds.is_empty() {
            return Err(
                "train.strategies, train.budgets_per_class and train.seeds must each list at least one value".into(),
            );
        }
        if self.threads == Some(0) {
            return Err("train.threads must be at least 1 (leave it out to use every core)".into());
        }
        if self.budgets_per_class.contains(&0) {
            return Err("train.budgets_per_class must be positive".into());
        }
        positive_counts(&[
            ("train.max_epochs", self.max_epochs),
            ("train.min_steps_per_epoch", self.min_steps_per_epoch),
            ("train.patience", self.patience),
            ("train.batch_size", self.batch_size),
        ])?;
        non_negative(&[("train.weight_decay", self.weight_decay)])?;
        let lr = &self.learning_rate;
        positive_rates(&[
            ("train.learning_rate.scratch", lr.scratch),
            ("train.learning_rate.finetune", lr.finetune),
            ("train.learning_rate.probe", lr.probe),
            ("train.learning_rate.baseline", lr.baseline),
        ])
    }
}

impl From<&PretrainSpec> for FitConfig {
    /// Pretraining: every epoch is one pass, and no target (its only
    /// figure is the source accuracy in the model card).
    fn from(p: &PretrainSpec) -> Self {
        FitConfig {
            learning_rate: p.learning_rate,
            weight_decay: p.weight_decay,
            batch_size: p.batch_size,
            max_epochs: p.epochs,
            min_steps_per_epoch: 1,
            patience: p.patience,
            target_accuracy: 1.0,
            seed: p.seed,
        }
    }
}

impl PretrainSpec {
    /// Checks ranges; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        positive_counts(&[
            ("pretrain.epochs", self.epochs),
            ("pretrain.patience", self.patience),
            ("pretrain.batch_size", self.batch_size),
        ])?;
        non_negative(&[("pretrain.weight_decay", self.weight_decay)])?;
        positive_rates(&[("pretrain.learning_rate", self.learning_rate)])
    }
}

fn positive_counts(values: &[(&str, usize)]) -> Result<(), String> {
    match values.iter().find(|(_, v)| *v == 0) {
        Some((key, _)) => Err(format!("{key} must be at least 1")),
        None => Ok(()),
    }
}

fn non_negative(values: &[(&str, f64)]) -> Result<(), String> {
    match values.iter().find(|(_, v)| !(v.is_finite() && *v >= 0.0)) {
        Some((key, v)) => Err(format!("{key} = {v} must be zero or positive")),
        None => Ok(()),
    }
}

fn positive_rates(values: &[(&str, f64)]) -> Result<(), String> {
    match values.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
        Some((key, v)) => Err(format!("{key} = {v} must be a positive number")),
        None => Ok(()),
    }
}
