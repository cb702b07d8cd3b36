//! The training loop shared by pretraining and every strategy.

use super::adamw::FusedAdamW;
use super::eval_batches::eval_batches;
use super::padding::{columns_needed, token_lengths};
use super::PreparedModel;
use crate::measure::stopwatch::Stopwatch;
use crate::model::{Freeze, Mode};
use crate::rng::{self, Purpose};
use crate::Result;
use candle_core::{DType, Tensor};
use candle_nn::ParamsAdamW;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// A loss above this multiple of the first batch's loss counts as exploding.
const EXPLODING_FACTOR: f32 = 100.0;

/// The optimiser and the budget of one training run.
#[derive(Debug, Clone, PartialEq)]
pub struct FitConfig {
    /// AdamW learning rate.
    pub learning_rate: f64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// Examples per mini-batch (capped at the training set's size).
    pub batch_size: usize,
    /// Most epochs.
    pub max_epochs: usize,
    /// Fewest optimiser steps per epoch: with few labels one pass is a step
    /// or two, too little between validations for patience to mean anything,
    /// so an epoch repeats passes until it has taken this many steps.
    pub min_steps_per_epoch: usize,
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
/// Mini-batches are drawn pass by pass, each pass shuffled from the config's seed. After each epoch the
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
    let n = train.0.dim(0)?;
    let mut batches = BatchOrder::new(n, cfg.batch_size, cfg.seed);
    let mut opt = optimizer(model, cfg)?;
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
    // Token rows' lengths, so that each batch drops the padding all its rows share.
    let lengths = match model.network.padding_id() {
        Some(pad) => Some(token_lengths(train.0, pad)?),
        None => None,
    };
    let steps_per_epoch = n.div_ceil(batches.batch).max(cfg.min_steps_per_epoch);
    let mut since_best = 0;
    for epoch in 1..=cfg.max_epochs {
        out.epochs_run = epoch;
        let mut step = Step {
            model,
            opt: &mut opt,
            train,
            lengths: lengths.as_deref(),
            first_loss: &mut first_loss,
        };
        let Some(train_loss) = step.epoch(&mut batches, steps_per_epoch, epoch, &mut out)? else {
            break; // diverged: `out.stop` says where
        };
        let val_accuracy = accuracy(model, val)?;
        let elapsed_s = clock.elapsed_s();
        out.curve.push(CurvePoint {
            epoch,
            elapsed_s,
            val_accuracy,
            train_loss,
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
    for (var, saved) in model.trainable.iter().chain(&model.buffers).zip(&best_weights) {
        var.set(saved)?;
    }
    out.best_val_accuracy = best_val;
    out.best_epoch = best_epoch;
    Ok(out)
}

/// The optimiser every run trains with: AdamW over the model's trainable weights.
pub fn optimizer(model: &PreparedModel, cfg: &FitConfig) -> Result<FusedAdamW> {
    Ok(FusedAdamW::new(
        model.trainable.clone(),
        ParamsAdamW {
            lr: cfg.learning_rate,
            weight_decay: cfg.weight_decay,
            ..Default::default()
        },
    )?)
}

/// The loss of the mini-batch `x`, `y` (the model in training mode), before
/// any update; the caller decides whether to step.
pub fn batch_loss(model: &PreparedModel, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let logits = model.network.forward(x, model.freeze, Mode::Train)?;
    Ok(candle_nn::loss::cross_entropy(&logits, y)?)
}

/// The order mini-batches are drawn in: pass by pass over the training set,
/// each pass a fresh shuffle from the run's batch stream.
struct BatchOrder {
    order: Vec<u32>,
    /// Next position in `order`; a pass starts whenever the order is used up.
    cursor: usize,
    batch: usize,
    rng: rand_chacha::ChaCha8Rng,
}

impl BatchOrder {
    fn new(n: usize, batch_size: usize, seed: u64) -> Self {
        BatchOrder {
            order: (0..n as u32).collect(),
            cursor: n,
            batch: batch_size.clamp(1, n.max(1)),
            rng: rng::stream(seed, Purpose::Batches),
        }
    }

    /// The rows of the next mini-batch (the last of a pass may be smaller).
    fn next_batch(&mut self) -> &[u32] {
        let n = self.order.len();
        if self.cursor >= n {
            self.order.shuffle(&mut self.rng);
            self.cursor = 0;
        }
        let start = self.cursor;
        self.cursor = (start + self.batch).min(n);
        &self.order[start..self.cursor]
    }
}

/// What one optimiser step needs.
struct Step<'a> {
    model: &'a PreparedModel,
    opt: &'a mut FusedAdamW,
    train: (&'a Tensor, &'a Tensor),
    /// Each training row's length in tokens (token inputs only).
    lengths: Option<&'a [usize]>,
    /// The first batch's loss, the scale an exploding loss is measured against.
    first_loss: &'a mut Option<f32>,
}

impl Step<'_> {
    /// One epoch of `steps` optimiser steps; its mean training loss, or None
    /// when the loss diverged (recorded in `out.stop`).
    fn epoch(
        &mut self,
        batches: &mut BatchOrder,
        steps: usize,
        epoch: usize,
        out: &mut FitOutcome,
    ) -> Result<Option<f64>> {
        let (x, y) = self.train;
        let mut loss_sum = 0.0f64;
        let mut taken = 0usize;
        for _ in 0..steps {
            let chunk = batches.next_batch();
            let idx = Tensor::from_slice(chunk, chunk.len(), x.device())?;
            let mut inputs = x.index_select(&idx, 0)?;
            if let Some(lengths) = self.lengths {
                inputs = inputs.narrow(1, 0, columns_needed(chunk, lengths).min(inputs.dim(1)?))?;
            }
            let loss = batch_loss(self.model, &inputs, &y.index_select(&idx, 0)?)?;
            let value = loss.to_scalar::<f32>()?;
            out.steps += 1;
            let limit = EXPLODING_FACTOR * self.first_loss.get_or_insert(value).max(1.0);
            if !value.is_finite() || value > limit {
                out.stop = StopReason::Diverged {
                    epoch,
                    step: out.steps,
                    loss: value.to_string(),
                };
                return Ok(None);
            }
            self.opt.backward_step(&loss)?;
            loss_sum += value as f64;
            taken += 1;
        }
        Ok(Some(loss_sum / taken.max(1) as f64))
    }
}

/// Copies of the trainable weights and of the running statistics that go
/// with them (frozen weights never change).
fn snapshot(model: &PreparedModel) -> Result<Vec<Tensor>> {
    Ok(model
        .trainable
        .iter()
        .chain(&model.buffers)
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
    for batch in eval_batches(x, model.eval_chunk, model.network.padding_id())? {
        // Evaluation builds no graph: the input is detached and so are the features.
        let logits = model
            .network
            .forward(&batch.inputs(x)?.detach(), Freeze::Backbone, Mode::Eval)?;
        let hits = logits
            .argmax(1)?
            .eq(&batch.labels(y)?)?
            .to_dtype(DType::F32)?
            .sum_all()?;
        correct += hits.to_scalar::<f32>()? as f64;
    }
    Ok(correct / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::splits::{budget_subset, split_classes};
    use crate::data::{mnist1d, Dataset};
    use crate::model::ModelSpec;
    use crate::train::{prepare, PreparedModel, Strategy};
    use candle_core::Device;

    fn tensors(ds: &Dataset) -> (Tensor, Tensor) {
        ds.to_tensors(&Device::Cpu).unwrap()
    }

    fn config(learning_rate: f64) -> FitConfig {
        FitConfig {
            learning_rate,
            weight_decay: 0.0,
            batch_size: 32,
            max_epochs: 15,
            min_steps_per_epoch: 10,
            patience: 15,
            target_accuracy: 0.5,
            seed: 1,
        }
    }

    /// 5 classes, 60 labelled examples each; chance is 20%.
    fn small_task() -> ((Tensor, Tensor), (Tensor, Tensor)) {
        let ds = mnist1d::generate(200, 5, &mnist1d::Params::default());
        let split = split_classes(&ds, &[5, 6, 7, 8, 9], 40, 0, "").unwrap();
        let train = budget_subset(&split.train, 60, 0).unwrap();
        (tensors(&train), tensors(&split.val))
    }

    /// Trains `spec` from scratch on [`small_task`] at `learning_rate`.
    fn train_small(spec: ModelSpec, learning_rate: f64) -> (PreparedModel, FitOutcome, (Tensor, Tensor)) {
        let (train, val) = small_task();
        let plan = Strategy::Scratch.plan(&spec, 40, 5, 0, None).unwrap();
        let model = prepare(&plan, &Device::Cpu).unwrap();
        let cfg = config(learning_rate);
        let out = fit(
            &model,
            (&train.0, &train.1),
            (&val.0, &val.1),
            &cfg,
            &Stopwatch::start(),
        )
        .unwrap();
        (model, out, val)
    }

    #[test]
    fn short_training_beats_chance_and_keeps_the_best_weights() {
        let (model, out, val) = train_small(ModelSpec::Cnn { channels: 16 }, 3e-3);
        assert!(
            out.best_val_accuracy > 0.5,
            "validation accuracy {}",
            out.best_val_accuracy
        );
        // The weights left in the model are the best epoch's.
        let acc = accuracy(&model, (&val.0, &val.1)).unwrap();
        assert_eq!(acc, out.best_val_accuracy);
        assert_eq!(out.curve.len(), out.epochs_run);
        assert!(out.time_to_target_s.is_some());
        let first_loss = out.curve[0].train_loss;
        assert!(
            out.curve.iter().any(|p| p.train_loss < first_loss * 0.8),
            "loss never fell"
        );
    }

    #[test]
    fn exploding_loss_ends_the_run_as_diverged() {
        let (_, out, _) = train_small(ModelSpec::Mlp { hidden: 64, depth: 2 }, 1e4);
        assert!(matches!(out.stop, StopReason::Diverged { .. }), "{:?}", out.stop);
    }
}
