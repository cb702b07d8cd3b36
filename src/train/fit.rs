//! The training loop shared by pretraining and every strategy.

use super::PreparedModel;
use crate::measure::stopwatch::Stopwatch;
use crate::rng::{self, Purpose};
use crate::Result;
use candle_core::{DType, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// A loss above this multiple of the first batch's loss counts as exploding.
const EXPLODING_FACTOR: f32 = 100.0;
/// Examples per forward pass when evaluating.
const EVAL_CHUNK: usize = 4096;

/// The optimiser and the budget of one training run.
#[derive(Debug, Clone, PartialEq)]
pub struct FitConfig {
    /// AdamW learning rate.
    pub learning_rate: f64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// Examples per mini-batch (capped at the training set's size).
    pub batch_size: usize,
    /// Most passes over the training set.
    pub max_epochs: usize,
    /// Epochs without a validation improvement before stopping.
    pub patience: usize,
    /// Validation accuracy whose first crossing is time-to-target.
    pub target_accuracy: f64,
    /// Seed of the batch order.
    pub seed: u64,
}

/// One validation point of the learning curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Epochs completed.
    pub epoch: usize,
    /// Seconds since the run's clock started (before data was touched).
    pub elapsed_s: f64,
    /// Accuracy on the validation split, 0-1.
    pub val_accuracy: f64,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
}

/// Why training ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum StopReason {
    /// Ran every epoch of the budget.
    MaxEpochs,
    /// Validation accuracy stopped improving for `patience` epochs.
    EarlyStopped,
    /// The loss became NaN, infinite or exploded; the run has no valid result.
    Diverged {
        /// Epoch in which it happened (1-based).
        epoch: usize,
        /// Optimiser step at which it happened (1-based).
        step: usize,
        /// The offending loss value, as text ("NaN", "inf" or a number).
        loss: String,
    },
}

/// What the loop produced; the best-on-validation weights are left in the model.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOutcome {
    /// Validation accuracy after each epoch.
    pub curve: Vec<CurvePoint>,
    /// Best validation accuracy (the weights kept).
    pub best_val_accuracy: f64,
    /// Epoch of the weights kept (0 = the initial weights).
    pub best_epoch: usize,
    /// Epochs run.
    pub epochs_run: usize,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Clock time when validation accuracy first reached the target.
    pub time_to_target_s: Option<f64>,
    /// Why it stopped.
    pub stop: StopReason,
}

/// Trains `model` on `train` (features, labels), selecting by accuracy on `val`.
///
/// Mini-batches are shuffled from the config's seed. After each epoch the
/// validation accuracy is measured; the best weights are kept and restored at
/// the end, and training stops after `patience` epochs without improvement.
/// A NaN, infinite or exploding loss ends training with [`StopReason::Diverged`].
pub fn fit(
    model: &PreparedModel,
    train: (&Tensor, &Tensor),
    val: (&Tensor, &Tensor),
    cfg: &FitConfig,
    clock: &Stopwatch,
) -> Result<FitOutcome> {
    let (x, y) = train;
    let n = x.dim(0)?;
    let device = x.device();
    let batch = cfg.batch_size.clamp(1, n.max(1));
    let mut rng = rng::stream(cfg.seed, Purpose::Batches);
    let mut opt = AdamW::new(
        model.trainable.clone(),
        ParamsAdamW {
            lr: cfg.learning_rate,
            weight_decay: cfg.weight_decay,
            ..Default::default()
        },
    )?;
    let mut best_val = accuracy(model, val)?;
    let mut best_epoch = 0;
    let mut best_weights = snapshot(model)?;
    let mut out = FitOutcome {
        curve: Vec::new(),
        best_val_accuracy: best_val,
        best_epoch: 0,
        epochs_run: 0,
        steps: 0,
        time_to_target_s: None,
        stop: StopReason::MaxEpochs,
    };
    let mut first_loss: Option<f32> = None;
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut since_best = 0;
    'epochs: for epoch in 1..=cfg.max_epochs {
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0f64;
        let mut batches = 0usize;
        for chunk in order.chunks(batch) {
            let idx = Tensor::from_slice(chunk, chunk.len(), device)?;
            let logits = model
                .network
                .forward(&x.index_select(&idx, 0)?, model.freeze_backbone)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &y.index_select(&idx, 0)?)?;
            let value = loss.to_scalar::<f32>()?;
            out.steps += 1;
            let limit = EXPLODING_FACTOR * first_loss.get_or_insert(value).max(1.0);
            if !value.is_finite() || value > limit {
                out.stop = StopReason::Diverged {
                    epoch,
                    step: out.steps,
                    loss: value.to_string(),
                };
                out.epochs_run = epoch;
                break 'epochs;
            }
            opt.backward_step(&loss)?;
            loss_sum += value as f64;
            batches += 1;
        }
        let val_accuracy = accuracy(model, val)?;
        let elapsed_s = clock.elapsed_s();
        out.epochs_run = epoch;
        out.curve.push(CurvePoint {
            epoch,
            elapsed_s,
            val_accuracy,
            train_loss: loss_sum / batches.max(1) as f64,
        });
        if out.time_to_target_s.is_none() && val_accuracy >= cfg.target_accuracy {
            out.time_to_target_s = Some(elapsed_s);
        }
        if val_accuracy > best_val {
            best_val = val_accuracy;
            best_epoch = epoch;
            best_weights = snapshot(model)?;
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= cfg.patience {
                out.stop = StopReason::EarlyStopped;
                break;
            }
        }
    }
    for (var, saved) in model.trainable.iter().zip(&best_weights) {
        var.set(saved)?;
    }
    out.best_val_accuracy = best_val;
    out.best_epoch = best_epoch;
    Ok(out)
}

/// Copies of the trainable weights (frozen ones never change).
fn snapshot(model: &PreparedModel) -> Result<Vec<Tensor>> {
    Ok(model
        .trainable
        .iter()
        .map(|v| v.as_tensor().copy())
        .collect::<candle_core::Result<_>>()?)
}

/// Fraction of `data` (features, labels) the model classifies correctly.
pub fn accuracy(model: &PreparedModel, data: (&Tensor, &Tensor)) -> Result<f64> {
    let (x, y) = data;
    let n = x.dim(0)?;
    if n == 0 {
        return Ok(0.0);
    }
    let mut correct = 0.0f64;
    for start in (0..n).step_by(EVAL_CHUNK) {
        let len = EVAL_CHUNK.min(n - start);
        let logits = model.network.forward(&x.narrow(0, start, len)?.detach(), true)?;
        let hits = logits
            .argmax(1)?
            .eq(&y.narrow(0, start, len)?)?
            .to_dtype(DType::F32)?
            .sum_all()?;
        correct += hits.to_scalar::<f32>()? as f64;
    }
    Ok(correct / n as f64)
}
