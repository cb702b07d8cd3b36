//! The phases every run shares, pretraining included: build the model (init
//! phase), train (train phase), test the selected weights once (test phase).

use super::{accuracy, fit, prepare, FitConfig, FitOutcome, ModelPlan, PreparedModel, StopReason};
use crate::data::splits::ClassSplit;
use crate::data::Dataset;
use crate::measure::stopwatch::{Phases, Stopwatch};
use crate::Result;
use candle_core::{Device, Tensor};

/// Features and labels of train, validation and test, on the device.
pub struct Tensors {
    /// The labelled training examples.
    pub train: (Tensor, Tensor),
    /// Validation: early stopping and model selection.
    pub val: (Tensor, Tensor),
    /// Test: evaluated once.
    pub test: (Tensor, Tensor),
}

impl Tensors {
    /// The tensors of `train` and of the split's validation and test sets.
    pub fn new(train: &Dataset, split: &ClassSplit, device: &Device) -> Result<Self> {
        Ok(Tensors {
            train: train.to_tensors(device)?,
            val: split.val.to_tensors(device)?,
            test: split.test.to_tensors(device)?,
        })
    }
}

/// What one training run produced.
pub struct Trained {
    /// The model, holding its best-on-validation weights.
    pub model: PreparedModel,
    /// What the loop reported.
    pub fit: FitOutcome,
    /// Accuracy of the selected weights on test (absent when training diverged).
    pub test_accuracy: Option<f64>,
    /// Wall seconds of init, train and test (data is the caller's).
    pub phases: Phases,
}

/// Builds the model `plan` describes, trains it on `data` and tests it once,
/// timing each phase; `clock` started before the data was touched.
pub fn train_and_test(plan: &ModelPlan, data: &Tensors, cfg: &FitConfig, clock: &Stopwatch) -> Result<Trained> {
    let device = data.train.0.device();
    let (model, init_s) = Stopwatch::time(|| prepare(plan, device));
    let model = model?;
    let (outcome, train_s) = Stopwatch::time(|| {
        fit(
            &model,
            (&data.train.0, &data.train.1),
            (&data.val.0, &data.val.1),
            cfg,
            clock,
        )
    });
    let outcome = outcome?;
    let (test_accuracy, test_s) = match outcome.stop {
        StopReason::Diverged { .. } => (None, 0.0),
        _ => {
            let (acc, s) = Stopwatch::time(|| accuracy(&model, (&data.test.0, &data.test.1)));
            (Some(acc?), s)
        }
    };
    Ok(Trained {
        model,
        fit: outcome,
        test_accuracy,
        phases: Phases {
            data_s: 0.0,
            init_s,
            train_s,
            test_s,
        },
    })
}
