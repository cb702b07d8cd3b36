//! The worker side: one job, in this process, measured from inside.
//!
//! `reuse-bench worker` (hidden) reads a [`Job`] as JSON on stdin, runs it and
//! prints one [`JobOutput`] line on stdout. Running each job in a fresh
//! process is what makes its peak RSS its own.

use super::job::{Job, JobOutput};
use crate::data::splits::{budget_indices, ClassSplit};
use crate::data::Dataset;
use crate::measure::machine::Machine;
use crate::measure::process;
use crate::measure::rapl::EnergyMeter;
use crate::measure::stopwatch::Stopwatch;
use crate::model::{Freeze, ModelSpec};
use crate::results::card::CARD_SCHEMA_VERSION;
use crate::results::{checkpoints, ModelCard, RunMetrics, RunStatus};
use crate::suite::Suite;
use crate::train::probe_cache::{probe_features, ProbeSetup};
use crate::train::session::{train_and_test, Tensors};
use crate::train::{FitConfig, ModelPlan, RunSpec, Start, StopReason, Strategy};
use crate::{device, Error, Result};
use candle_core::Device;
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
            task_data,
            device,
        } => run(
            suite,
            spec,
            Files {
                checkpoint: checkpoint.as_deref(),
                cache_dir: cache_dir.as_deref(),
                task_data: task_data.as_deref(),
            },
            &device::open(device)?,
        ),
        Job::Pretrain { suite, out_dir, device } => pretrain(suite, out_dir, device),
    }
}

/// The target task's splits and one run's labelled examples.
struct RunData {
    target: ClassSplit,
    rows: Vec<usize>,
    subset: Dataset,
}

fn load_run_data(suite: &Suite, spec: &RunSpec, task_data: Option<&Path>) -> Result<RunData> {
    let target = match task_data {
        Some(path) => crate::data::shared::load(path)?,
        None => suite.task.target_task()?,
    };
    let rows = budget_indices(&target.train, spec.budget_per_class, spec.seed)?;
    let subset = target.train.select(&rows);
    Ok(RunData { target, rows, subset })
}

/// The model a run trains and its tensors. A probe whose backbone's
/// features are cached (a large frozen backbone) trains its head alone on
/// those features: the internal [`ModelSpec::Identity`] stands in for the
/// backbone, and the backbone's parameters still count in the run's total.
struct RunModel {
    spec: ModelSpec,
    data: Tensors,
    /// With cached features: the frozen backbone's parameters.
    cached_backbone_params: Option<usize>,
    features_s: f64,
}

impl RunModel {
    /// What the run trains: on cached features, the head alone (seeded, all
    /// of it trains); otherwise the strategy's own plan.
    fn plan<'a>(&'a self, suite: &Suite, spec: &RunSpec, checkpoint: Option<&'a Path>) -> Result<ModelPlan<'a>> {
        let (input_len, classes) = (self.data.train.0.dim(1)?, suite.task.target_classes.len());
        match self.cached_backbone_params {
            Some(_) => Ok(ModelPlan {
                spec: &self.spec,
                input_len,
                num_classes: classes,
                seed: spec.seed,
                start: Start::Seeded,
                freeze: Freeze::Nothing,
            }),
            None => spec
                .strategy
                .plan(&self.spec, input_len, classes, spec.seed, checkpoint),
        }
    }
}

fn run_model(
    suite: &Suite,
    spec: &RunSpec,
    d: &RunData,
    checkpoint: Option<&Path>,
    cache_dir: Option<&Path>,
    device: &Device,
) -> Result<RunModel> {
    let mut data = Tensors::new(&d.subset, &d.target, device)?;
    let cached = (spec.strategy == Strategy::Probe && suite.model.caches_probe_features())
        .then_some(())
        .and(checkpoint.zip(cache_dir));
    let Some((checkpoint, cache_root)) = cached else {
        return Ok(RunModel {
            spec: suite.model_for(spec.strategy).clone(),
            data,
            cached_backbone_params: None,
            features_s: 0.0,
        });
    };
    let setup = ProbeSetup {
        model: &suite.model,
        train: &suite.train,
        checkpoint,
        cache_root,
    };
    let (features, features_s) = Stopwatch::time(|| probe_features(&setup, &d.target, &d.rows, device));
    let features = features?;
    let dim = features.train.dim(1)?;
    data.train.0 = features.train;
    data.val.0 = features.val;
    data.test.0 = features.test;
    Ok(RunModel {
        spec: ModelSpec::Identity { dim },
        data,
        cached_backbone_params: Some(features.backbone_params),
        features_s,
    })
}

/// The files a run reads besides its suite.
#[derive(Clone, Copy)]
struct Files<'a> {
    checkpoint: Option<&'a Path>,
    cache_dir: Option<&'a Path>,
    task_data: Option<&'a Path>,
}

fn run(suite: &Suite, spec: &RunSpec, files: Files, device: &Device) -> Result<JobOutput> {
    let Files {
        checkpoint,
        cache_dir,
        task_data,
    } = files;
    let clock = Stopwatch::start();
    let energy = EnergyMeter::start();
    let (run_data, data_s) = Stopwatch::time(|| load_run_data(suite, spec, task_data));
    let run_data = run_data?;
    let m = run_model(suite, spec, &run_data, checkpoint, cache_dir, device)?;
    let plan = m.plan(suite, spec, checkpoint)?;
    let cfg = suite.train.fit_config(spec.strategy, spec.seed, suite.target_accuracy);
    let mut trained = train_and_test(&plan, &m.data, &cfg, &clock)?;
    trained.phases.data_s = data_s;
    trained.phases.init_s += m.features_s;
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
            train_examples: run_data.subset.len(),
            train_set_digest: run_data.subset.digest(),
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
            total_params: trained.model.total_params + m.cached_backbone_params.unwrap_or(0),
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
    let source = suite.task.source_task()?;
    let data = Tensors::new(&source.train, &source, &device)?;
    let train_examples = source.train.len();
    let cfg = FitConfig::from(&suite.pretrain);
    let classes = suite.task.source_classes.len();
    let plan = Strategy::Scratch.plan(&suite.model, source.train.feature_len, classes, cfg.seed, None)?;
    let trained = train_and_test(&plan, &data, &cfg, &clock)?;
    let source_test_accuracy = trained.test_accuracy.ok_or_else(|| {
        Error::setting(
            format!("pretrain.learning_rate = {}", suite.pretrain.learning_rate),
            format!("pretraining diverged ({:?}); lower it in the suite", trained.fit.stop),
        )
    })?;
    let usage = process::usage();
    let card = ModelCard {
        schema_version: CARD_SCHEMA_VERSION,
        tool_version: crate::TOOL_VERSION.to_string(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        recipe: suite.pretrain_recipe(),
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
    let card = checkpoints::save(out_dir, &trained.model.varmap, &card)?;
    Ok(JobOutput::Pretrain { card: Box::new(card) })
}
