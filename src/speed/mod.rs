//! Throughput of the work a sweep spends its time in, measured the same way
//! as the PyTorch scripts in `benches/pytorch/`, so the two can be compared
//! side by side on one machine (`benches/pytorch/compare.sh`).
//!
//! Each workload builds its model and optimiser once, runs untimed warm-up
//! iterations, then times each iteration on its own; the figure is the
//! median. Inputs are synthetic but have the real shapes ([`inputs`]); the
//! BERT workloads use the real all-MiniLM-L6-v2 weights.

pub mod inputs;

use crate::error::Error;
use crate::measure::process;
use crate::measure::stopwatch::Stopwatch;
use crate::model::bert::BertConfig;
use crate::model::{Freeze, Mode, ModelSpec};
use crate::train::{batch_loss, fit, optimizer, prepare, FitConfig, ModelPlan, PreparedModel, Start};
use crate::Result;
use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// What one iteration of a benchmark is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, strum::EnumString, strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Workload {
    /// One fine-tuning step of all-MiniLM-L6-v2 (dropout on, AdamW), 16 x 48 tokens.
    BertStep,
    /// One evaluation forward pass of all-MiniLM-L6-v2, 32 x 48 tokens.
    BertForward,
    /// Validation, one epoch of 1,250 MNIST-1D-shaped examples (batch 32), validation again: the CNN.
    CnnEpoch,
    /// The same epoch with the 40-256-256-5 MLP.
    MlpEpoch,
    /// One training step of MobileNetV2 (seeded, BatchNorm in training mode,
    /// AdamW) on 32 grey 28 x 28 images resized to 64 x 64: the vision suite's step.
    MobilenetStep,
}

/// How to run a benchmark.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// What to time.
    pub workload: Workload,
    /// Compute threads (the caller sets the pool; recorded here).
    pub threads: usize,
    /// Timed iterations.
    pub iters: usize,
    /// Untimed iterations first (allocator and caches warm).
    pub warmup: usize,
    /// all-MiniLM-L6-v2 in Hugging Face layout (`config.json`, `model.safetensors`).
    pub model_dir: PathBuf,
}

/// One benchmark's measurements; the same fields as the PyTorch script prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// Which implementation ran: `reuse-bench` here.
    #[serde(rename = "impl")]
    pub implementation: String,
    /// Its version.
    pub version: String,
    /// What was timed.
    pub workload: Workload,
    /// Compute threads.
    pub threads: usize,
    /// Examples per iteration.
    pub samples_per_iter: usize,
    /// Seconds of each timed iteration.
    pub iter_s: Vec<f64>,
    /// Examples per second at the median iteration.
    pub samples_per_s: f64,
    /// The process's peak resident set size at the end.
    pub peak_rss_bytes: u64,
    /// The vector units the project's own kernels ran on (`avx512`, `avx2`,
    /// `baseline`; capped by `$REUSE_BENCH_SIMD`), so that an emulated run
    /// says what it emulated. Absent from PyTorch's lines.
    #[serde(default)]
    pub kernels: String,
}

/// Learning rate, weight decay and batch of a workload: the sentiment
/// suite's fine-tuning settings for BERT, the default suite's for MNIST-1D.
fn config(workload: Workload) -> FitConfig {
    let (learning_rate, weight_decay, batch_size) = match workload {
        Workload::BertStep | Workload::BertForward => (1e-4, 0.01, inputs::BERT_STEP_ROWS),
        Workload::CnnEpoch | Workload::MlpEpoch | Workload::MobilenetStep => (1e-3, 1e-2, inputs::EPOCH_BATCH),
    };
    FitConfig {
        learning_rate,
        weight_decay,
        batch_size,
        max_epochs: 1,
        min_steps_per_epoch: 1,
        patience: 1,
        target_accuracy: 1.0,
        seed: 0,
    }
}

/// The network a workload trains: MiniLM from its files, or a seeded MNIST-1D model.
fn model(o: &BenchOptions, device: &Device) -> Result<PreparedModel> {
    let (spec, input_len, weights) = match o.workload {
        Workload::BertStep | Workload::BertForward => {
            let (config, weights) = (o.model_dir.join("config.json"), o.model_dir.join("model.safetensors"));
            if let Some(missing) = [&config, &weights].into_iter().find(|f| !f.is_file()) {
                return Err(Error::Model {
                    origin: missing.display().to_string(),
                    message: "no such file; fetch all-MiniLM-L6-v2 with `bash .ci/fetch-data.sh data`, \
                              or point --model-dir at a folder holding config.json and model.safetensors"
                        .into(),
                });
            }
            let spec = ModelSpec::Bert(BertConfig::load(&config)?);
            (spec, inputs::TOKENS, Some(weights))
        }
        Workload::CnnEpoch => (ModelSpec::Cnn { channels: 32 }, inputs::FEATURES, None),
        Workload::MlpEpoch => (ModelSpec::Mlp { hidden: 256, depth: 2 }, inputs::FEATURES, None),
        Workload::MobilenetStep => (
            ModelSpec::MobileNetV2 {
                image_size: inputs::IMAGE_SIZE,
            },
            inputs::IMAGE_SIDE * inputs::IMAGE_SIDE,
            None,
        ),
    };
    let num_classes = match o.workload {
        Workload::BertStep | Workload::BertForward => 2,
        Workload::MobilenetStep => inputs::IMAGE_CLASSES,
        Workload::CnnEpoch | Workload::MlpEpoch => inputs::CLASSES,
    };
    let plan = ModelPlan {
        spec: &spec,
        input_len,
        num_classes,
        seed: 0,
        start: weights.as_deref().map_or(Start::Seeded, Start::Pretrained),
        freeze: Freeze::Nothing,
    };
    prepare(&plan, device)
}

/// Runs the benchmark `o` describes: `o.iters` timed iterations back to back.
pub fn run(o: &BenchOptions) -> Result<BenchResult> {
    let iters = o.iters.max(1);
    run_paced(o, |done: &[f64]| Ok(done.len() < iters))
}

/// Runs the benchmark `o` describes, asking `next` before each timed
/// iteration whether to run it (with the seconds of those run so far);
/// `o.iters` is ignored, and a run that `next` stops before any timed
/// iteration is an error.
///
/// Why: `benches/pytorch/lockstep.py` runs reuse-bench and PyTorch as two
/// live processes and lets them take turns, one iteration each, so that
/// each pair of iterations sees the same phase of a machine whose speed
/// drifts; `next` is where a process waits for its turn.
pub fn run_paced(o: &BenchOptions, mut next: impl FnMut(&[f64]) -> Result<bool>) -> Result<BenchResult> {
    let device = Device::Cpu;
    let m = model(o, &device)?;
    let cfg = config(o.workload);
    let mut iteration = iteration(o.workload, &m, &cfg, &device)?;
    for _ in 0..o.warmup {
        iteration()?;
    }
    let mut iter_s = Vec::with_capacity(o.iters);
    while next(&iter_s)? {
        let start = Instant::now();
        iteration()?;
        iter_s.push(start.elapsed().as_secs_f64());
    }
    if iter_s.is_empty() {
        return Err(Error::Setting {
            key: "timed iterations".into(),
            message: "the run was stopped before any timed iteration ran \
                      (with `bench --lockstep`, send `go` at least once)"
                .into(),
        });
    }
    let samples_per_iter = inputs::samples_per_iter(o.workload);
    Ok(BenchResult {
        implementation: "reuse-bench".into(),
        version: crate::TOOL_VERSION.into(),
        workload: o.workload,
        threads: o.threads,
        samples_per_iter,
        samples_per_s: samples_per_iter as f64 / median(&iter_s),
        iter_s,
        peak_rss_bytes: process::usage().peak_rss_bytes,
        kernels: crate::model::ops::vector_level().name().into(),
    })
}

/// One timed unit of a workload, with its model, data and optimiser captured.
fn iteration<'a>(
    workload: Workload,
    m: &'a PreparedModel,
    cfg: &FitConfig,
    device: &Device,
) -> Result<Box<dyn FnMut() -> Result<()> + 'a>> {
    Ok(match workload {
        Workload::BertStep | Workload::MobilenetStep => {
            let (x, y) = if workload == Workload::BertStep {
                inputs::token_batch(inputs::BERT_STEP_ROWS, device)?
            } else {
                inputs::image_batch(inputs::EPOCH_BATCH, device)?
            };
            let mut opt = optimizer(m, cfg)?;
            Box::new(move || {
                let loss = batch_loss(m, &x, &y)?;
                opt.backward_step(&loss)?;
                Ok(())
            })
        }
        Workload::BertForward => {
            let (x, _) = inputs::token_batch(inputs::BERT_FORWARD_ROWS, device)?;
            Box::new(move || {
                m.network.forward(&x, Freeze::Backbone, Mode::Eval)?;
                Ok(())
            })
        }
        Workload::CnnEpoch | Workload::MlpEpoch => {
            // The real loop for one epoch: validation before, the epoch, validation after.
            let (train, val) = inputs::epoch_data(device)?;
            let cfg = cfg.clone();
            let clock = Stopwatch::start();
            Box::new(move || {
                fit(m, (&train.0, &train.1), (&val.0, &val.1), &cfg, &clock)?;
                Ok(())
            })
        }
    })
}

/// The median of `xs` (the mean of the middle two for an even count).
fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
