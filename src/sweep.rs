//! The sweep, at the top of the pipeline: check everything that can be
//! checked, pretrain if needed, run every cell of the matrix in its own
//! worker, store each run as it finishes, then analyse and report.

use crate::analysis::{analyse, Results};
use crate::cost::{Catalog, CostAssumptions};
use crate::measure::machine::Machine;
use crate::measure::stopwatch::Stopwatch;
use crate::report::{self, Files};
use crate::results::checkpoints::find_cached;
use crate::results::{Pretrained, ReportDir, RunRecord, RunStatus, SCHEMA_VERSION};
use crate::runner::{pretrain, Job, JobOutput, WorkerCommand};
use crate::suite::Suite;
use crate::train::{run_matrix, RunSpec};
use crate::{Error, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The suite (already shrunk by `--quick` if asked).
    pub suite: Suite,
    /// Report folder; must be new or empty.
    pub out: ReportDir,
    /// Root of the checkpoint cache.
    pub cache_root: PathBuf,
    /// Compute device name.
    pub device: String,
    /// How to start workers.
    pub worker: WorkerCommand,
    /// Whether to draw a progress bar (only ever on a terminal).
    pub progress: bool,
    /// The command line, recorded in the results.
    pub command: Vec<String>,
    /// The price catalog (built-in, or the user's).
    pub catalog: Catalog,
}

/// Runs the whole sweep and writes every report file into the report folder.
pub fn run_sweep(opts: &SweepOptions) -> Result<Results> {
    let clock = Stopwatch::start();
    let suite = &opts.suite;
    check_before_running(opts)?;
    opts.out.prepare()?;
    opts.out.write_suite(&suite.to_toml())?;

    let bar = progress_bar(opts.progress);
    let mut say = |line: &str| bar.suspend(|| eprintln!("{line}"));
    let pretrained = if suite.needs_pretrained() {
        bar.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"));
        bar.set_message("pretraining");
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Some(pretrain::ensure(
            suite,
            &opts.cache_root,
            &opts.device,
            &opts.worker,
            false,
            &mut say,
        )?)
    } else {
        None
    };

    let matrix = run_matrix(&suite.train);
    bar.disable_steady_tick();
    bar.set_length(matrix.len() as u64);
    bar.reset(); // position, ETA and elapsed count from the first run, not from pretraining
    bar.set_style(
        ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} runs  {elapsed} elapsed, ETA {eta}  {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut runs = Vec::with_capacity(matrix.len());
    for spec in matrix {
        bar.set_message(spec.run_id());
        let record = run_one(opts, spec, pretrained.as_ref())?;
        if record.status != RunStatus::Completed {
            say(&format!(
                "{}: {}: {}",
                record.run_id,
                record.status,
                record.message.as_deref().unwrap_or("")
            ));
        }
        opts.out.append_run(&record)?;
        runs.push(record);
        bar.inc(1);
    }
    bar.finish_and_clear();
    finish(opts, runs, pretrained, clock.elapsed_s())
}

/// Everything that can fail before any run is checked first: the price of
/// the instance, the given model's fit, the target's files, and the source
/// data when a backbone will have to be pretrained.
fn check_before_running(opts: &SweepOptions) -> Result<()> {
    let suite = &opts.suite;
    CostAssumptions::resolve(&suite.cost, &opts.catalog, None)?;
    if let Some(given) = suite.pretrained.as_ref().filter(|_| suite.needs_pretrained()) {
        given.check(&suite.model)?;
    }
    suite.task.check_target()?;
    if suite.needs_pretrained()
        && suite.pretrained.is_none()
        && find_cached(&opts.cache_root, &suite.pretrain_recipe()).is_none()
    {
        suite.task.check_source()?;
    }
    Ok(())
}

/// A progress bar drawn on stderr, or hidden.
fn progress_bar(visible: bool) -> ProgressBar {
    let target = if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    ProgressBar::with_draw_target(None, target)
}

/// One cell of the matrix in its own worker process. A worker that fails
/// gives a failed record, not an error: the sweep goes on.
fn run_one(opts: &SweepOptions, spec: RunSpec, pretrained: Option<&Pretrained>) -> Result<RunRecord> {
    let job = Job::Run {
        suite: opts.suite.clone(),
        spec,
        checkpoint: pretrained
            .filter(|_| spec.strategy.uses_pretrained())
            .map(Pretrained::weights),
        cache_dir: Some(opts.cache_root.clone()),
        device: opts.device.clone(),
    };
    let result = opts.worker.execute(&job)?;
    let (status, message, metrics) = match result.output {
        Ok(JobOutput::Run {
            status,
            message,
            metrics,
        }) => (status, message, Some(*metrics)),
        Ok(other) => (RunStatus::Failed, Some(format!("worker answered {other:?}")), None),
        Err(message) => (RunStatus::Failed, Some(message), None),
    };
    Ok(RunRecord {
        run_id: spec.run_id(),
        strategy: spec.strategy,
        budget_per_class: spec.budget_per_class,
        seed: spec.seed,
        status,
        message,
        process_wall_s: result.process_wall_s,
        metrics,
        timeline: result.timeline,
    })
}

/// Analyses the runs and writes the report. A failure here loses nothing:
/// every run is already in `runs.jsonl`.
fn finish(
    opts: &SweepOptions,
    runs: Vec<RunRecord>,
    pretrained: Option<Pretrained>,
    sweep_wall_s: f64,
) -> Result<Results> {
    let suite = &opts.suite;
    let analysis = analyse(
        suite,
        &runs,
        pretrained.as_ref().and_then(|p| p.card.as_ref()),
        &opts.catalog,
    )?;
    let results = Results {
        schema_version: SCHEMA_VERSION,
        tool_version: crate::TOOL_VERSION.to_string(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        command: opts.command.clone(),
        aggregates: analysis.aggregates,
        cost: analysis.cost,
        labels_to_target: analysis.labels_to_target,
        break_even: analysis.break_even,
        verdict: analysis.verdict,
        suite: suite.clone(),
        machine: Machine {
            compute_threads: suite.train.threads.unwrap_or(candle_core::utils::get_num_threads()),
            ..Machine::current(&opts.device)
        },
        pretrained,
        runs: analysis.runs,
        sweep_wall_s,
    };
    report::write_reports(&opts.out, &results, Files::All).map_err(|e| Error::Results {
        path: opts.out.path.clone(),
        message: format!(
            "every run finished and is saved in runs.jsonl, but writing the report failed ({e}); fix the cause and \
             re-render with `reuse-bench report {}`",
            opts.out.path.display()
        ),
    })?;
    Ok(results)
}
