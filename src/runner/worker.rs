//! The worker side: one job, in this process, measured from inside.
//!
//! `reuse-bench worker` (hidden) reads a [`Job`] as JSON on stdin, runs it and
//! prints one [`JobOutput`] line on stdout. Running each job in a fresh
//! process is what makes its peak RSS its own.

use super::job::{Job, JobOutput};
use super::probe_cache;
use super::record::{RunMetrics, RunStatus};
use super::RunSpec;
use crate::data::splits::{budget_indices, source_task, target_task, ClassSplit};
use crate::data::Dataset;
use crate::measure::machine::Machine;
use crate::measure::process;
use crate::measure::rapl::EnergyMeter;
use crate::measure::stopwatch::{Phases, Stopwatch};
use crate::model::checkpoint::{self, ModelCard, PretrainRecipe, CARD_SCHEMA_VERSION};
use crate::model::ModelSpec;
use crate::suite::Suite;
use crate::train::{self, FitConfig, FitOutcome, PreparedModel, StopReason, Strategy};
use crate::{device, Error, Result};
use candle_core::{Device, Tensor};
use std::io::Read;
use std::path::Path;

/// Entry point of the hidden `worker` subcommand.
pub fn worker_main() -> Result<()> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| Error::Worker(format!("cannot read the job from stdin: {e}")))?;
    let job: Job = serde_json::from_str(&input)
        .map_err(|e| Error::Worker(format!("the job on stdin is not valid JSON for this version ({e})")))?;
    let output = execute(&job)?;
    println!("{}", serde_json::to_string(&output).expect("outputs serialise"));
    Ok(())
}

/// Runs `job` in this process.
pub fn execute(job: &Job) -> Result<JobOutput> {
    match job {
        Job::Run {
            suite,
            spec,
            checkpoint,
            cache_dir,
            device,
        } => run(
            suite,
            spec,
            checkpoint.as_deref(),
            cache_dir.as_deref(),
            &device::open(device)?,
        ),
        Job::Pretrain { suite, out_dir, device } => pretrain(suite, out_dir, device),
    }
}

/// Features and labels of train, validation and test, on the device.
struct Tensors {
    train: (Tensor, Tensor),
    val: (Tensor, Tensor),
    test: (Tensor, Tensor),
}

impl Tensors {
    fn new(train: &Dataset, split: &ClassSplit, device: &Device) -> Result<Self> {
        Ok(Tensors {
            train: train.to_tensors(device)?,
            val: split.val.to_tensors(device)?,
            test: split.test.to_tensors(device)?,
        })
    }
}

/// What one training run produced.
struct Trained {
    model: PreparedModel,
    fit: FitOutcome,
    test_accuracy: Option<f64>,
    phases: Phases,
}

/// The phases every run shares, pretraining included: build the model (init
/// phase), train (train phase), test the selected weights once (test phase).
fn train_and_test(
    model_spec: &ModelSpec,
    data: &Tensors,
    num_classes: usize,
    strategy: Strategy,
    checkpoint: Option<&Path>,
    fit: &FitConfig,
    clock: &Stopwatch,
) -> Result<Trained> {
    let input_len = data.train.0.dim(1)?;
    let device = data.train.0.device();
    let (model, init_s) = Stopwatch::time(|| {
        train::prepare(
            model_spec,
            input_len,
            num_classes,
            strategy,
            fit.seed,
            checkpoint,
            device,
        )
    });
    let model = model?;
    let (outcome, train_s) = Stopwatch::time(|| {
        train::fit(
            &model,
            (&data.train.0, &data.train.1),
            (&data.val.0, &data.val.1),
            fit,
            clock,
        )
    });
    let outcome = outcome?;
    let (test_accuracy, test_s) = match outcome.stop {
        StopReason::Diverged { .. } => (None, 0.0),
        _ => {
            let (acc, s) = Stopwatch::time(|| train::accuracy(&model, (&data.test.0, &data.test.1)));
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

fn run(
    suite: &Suite,
    spec: &RunSpec,
    checkpoint: Option<&Path>,
    cache_dir: Option<&Path>,
    device: &Device,
) -> Result<JobOutput> {
    let clock = Stopwatch::start();
    let energy = EnergyMeter::start();
    let (data, data_s) = Stopwatch::time(|| -> Result<(Tensors, Dataset, ClassSplit, Vec<usize>)> {
        let target = target_task(&suite.task)?;
        let rows = budget_indices(&target.train, spec.budget_per_class, spec.seed)?;
        let subset = target.train.select(&rows);
        Ok((Tensors::new(&subset, &target, device)?, subset, target, rows))
    });
    let (mut data, subset, target, rows) = data?;
    // A probe on a large frozen backbone trains its head on cached features.
    let mut model_spec = suite.model_for(spec.strategy).clone();
    let (mut strategy, mut weights_file) = (spec.strategy, checkpoint);
    let mut cached_backbone_params = None;
    let mut features_s = 0.0;
    if let (Strategy::Probe, true, Some(weights), Some(root)) = (
        spec.strategy,
        suite.model.caches_probe_features(),
        checkpoint,
        cache_dir,
    ) {
        let (features, secs) =
            Stopwatch::time(|| probe_cache::probe_features(suite, weights, root, &target, &rows, device));
        let features = features?;
        features_s = secs;
        // The head alone trains, from seeded init, on the features: nothing to load.
        model_spec = ModelSpec::Identity {
            dim: features.train.dim(1)?,
        };
        (strategy, weights_file) = (Strategy::Scratch, None);
        cached_backbone_params = Some(features.backbone_params);
        data.train.0 = features.train;
        data.val.0 = features.val;
        data.test.0 = features.test;
    }
    let t = &suite.train;
    let cfg = FitConfig {
        learning_rate: t.learning_rate.for_strategy(spec.strategy),
        weight_decay: t.weight_decay,
        batch_size: t.batch_size,
        max_epochs: t.max_epochs,
        min_steps_per_epoch: t.min_steps_per_epoch,
        patience: t.patience,
        target_accuracy: suite.target_accuracy,
        seed: spec.seed,
    };
    let classes = suite.task.target_classes.len();
    let mut trained = train_and_test(&model_spec, &data, classes, strategy, weights_file, &cfg, &clock)?;
    trained.phases.data_s = data_s;
    trained.phases.init_s += features_s;
    let wall_s = clock.elapsed_s();
    let usage = process::usage();
    let (status, message) = match &trained.fit.stop {
        StopReason::Diverged { epoch, step, loss } => (
            RunStatus::Diverged,
            Some(format!(
                "loss {loss} at epoch {epoch}, step {step}; try a lower learning rate"
            )),
        ),
        _ => (RunStatus::Completed, None),
    };
    let fit = trained.fit;
    Ok(JobOutput::Run {
        status,
        message,
        metrics: Box::new(RunMetrics {
            train_examples: subset.len(),
            train_set_digest: subset.digest(),
            test_accuracy: trained.test_accuracy,
            best_val_accuracy: fit.best_val_accuracy,
            best_epoch: fit.best_epoch,
            epochs_run: fit.epochs_run,
            steps: fit.steps,
            time_to_target_s: fit.time_to_target_s,
            phases: trained.phases,
            wall_s,
            cpu_user_s: usage.cpu_user_s,
            cpu_system_s: usage.cpu_system_s,
            peak_rss_bytes: usage.peak_rss_bytes,
            rapl_energy_j: energy.and_then(|e| e.joules()),
            total_params: trained.model.total_params + cached_backbone_params.unwrap_or(0),
            trainable_params: trained.model.trainable_params,
            curve: fit.curve,
        }),
    })
}

fn pretrain(suite: &Suite, out_dir: &Path, device_name: &str) -> Result<JobOutput> {
    let device = device::open(device_name)?;
    let clock = Stopwatch::start();
    let energy = EnergyMeter::start();
    // The card reports the whole pretraining's wall time, data included, so no phase timer here.
    let source = source_task(&suite.task)?;
    let data = Tensors::new(&source.train, &source, &device)?;
    let train_examples = source.train.len();
    let p = &suite.pretrain;
    let cfg = FitConfig {
        learning_rate: p.learning_rate,
        weight_decay: p.weight_decay,
        batch_size: p.batch_size,
        max_epochs: p.epochs,
        min_steps_per_epoch: 1,
        patience: p.patience,
        target_accuracy: 1.0,
        seed: p.seed,
    };
    let classes = suite.task.source_classes.len();
    let trained = train_and_test(&suite.model, &data, classes, Strategy::Scratch, None, &cfg, &clock)?;
    let source_test_accuracy = trained.test_accuracy.ok_or_else(|| {
        Error::Invalid(format!(
            "pretraining diverged ({:?}); lower pretrain.learning_rate in the suite",
            trained.fit.stop
        ))
    })?;
    let usage = process::usage();
    let card = ModelCard {
        schema_version: CARD_SCHEMA_VERSION,
        tool_version: crate::TOOL_VERSION.to_string(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        recipe: PretrainRecipe::of(suite),
        source_train_examples: train_examples,
        source_val_accuracy: trained.fit.best_val_accuracy,
        source_test_accuracy,
        epochs_run: trained.fit.epochs_run,
        best_epoch: trained.fit.best_epoch,
        wall_s: clock.elapsed_s(),
        cpu_s: usage.cpu_s(),
        peak_rss_bytes: usage.peak_rss_bytes,
        rapl_energy_j: energy.and_then(|e| e.joules()),
        total_params: trained.model.total_params,
        checkpoint_bytes: 0,
        machine: Machine::current(device_name),
    };
    checkpoint::save(out_dir, &trained.model.varmap, &card)?;
    Ok(JobOutput::Pretrain {
        card: Box::new(checkpoint::load_card(out_dir)?),
    })
}
