//! The sweep: pretrain if needed, run every cell of the matrix in its own
//! worker, write each run as it finishes, then the aggregates and reports.

use super::job::{Job, JobOutput};
use super::matrix::run_matrix;
use super::pretrain::{self, Pretrained};
use super::record::{RunRecord, RunStatus};
use super::spawn::WorkerCommand;
use crate::analysis::analyse;
use crate::cost::{Catalog, CostAssumptions};
use crate::data::splits::{check_source, check_target};
use crate::measure::machine::Machine;
use crate::measure::stopwatch::Stopwatch;
use crate::model::checkpoint::{find_cached, PretrainRecipe};
use crate::report::{self, Results};
use crate::suite::Suite;
use crate::{Error, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The suite (already shrunk by `--quick` if asked).
    pub suite: Suite,
    /// Report folder; must be new or empty.
    pub out_dir: PathBuf,
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

/// Runs the whole sweep and writes every report file into `out_dir`.
pub fn run_sweep(opts: &SweepOptions) -> Result<Results> {
    let clock = Stopwatch::start();
    let suite = &opts.suite;
    // Fail on a bad instance or price, or missing source data, before spending time on runs.
    CostAssumptions::resolve(&suite.cost, &opts.catalog, None)?;
    if let Some(given) = suite.pretrained.as_ref().filter(|_| suite.needs_pretrained()) {
        pretrain::check_given(suite, given)?;
    }
    check_target(&suite.task)?;
    if suite.needs_pretrained()
        && suite.pretrained.is_none()
        && find_cached(&opts.cache_root, &PretrainRecipe::of(suite)).is_none()
    {
        check_source(&suite.task)?;
    }
    report::prepare_out_dir(&opts.out_dir)?;
    report::write_suite(&opts.out_dir, suite)?;

    let target = if opts.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(None, target);
    let mut say = |line: &str| bar.suspend(|| eprintln!("{line}"));
    let pretrained: Option<Pretrained> = if suite.needs_pretrained() {
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

    let matrix = run_matrix(suite);
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
        let job = Job::Run {
            suite: suite.clone(),
            spec,
            checkpoint: pretrained
                .as_ref()
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
        let record = RunRecord {
            run_id: spec.run_id(),
            strategy: spec.strategy,
            budget_per_class: spec.budget_per_class,
            seed: spec.seed,
            status,
            message,
            process_wall_s: result.process_wall_s,
            metrics,
            timeline: result.timeline,
            cost: None,
        };
        if record.status != RunStatus::Completed {
            say(&format!(
                "{}: {:?}: {}",
                record.run_id,
                record.status,
                record.message.as_deref().unwrap_or("")
            ));
        }
        report::append_run(&opts.out_dir, &record)?;
        runs.push(record);
        bar.inc(1);
    }
    bar.finish_and_clear();

    let analysis = analyse(
        suite,
        &mut runs,
        pretrained.as_ref().and_then(|p| p.card.as_ref()),
        &opts.catalog,
    )?;
    let results = Results {
        schema_version: report::SCHEMA_VERSION,
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
        runs,
        sweep_wall_s: clock.elapsed_s(),
    };
    report::write_reports(&opts.out_dir, &results, report::Files::All).map_err(|e| Error::Results {
        path: opts.out_dir.clone(),
        message: format!(
            "every run finished and is saved in runs.jsonl, but writing the report failed ({e}); fix the cause \
                 and re-render with `reuse-bench report {}`",
            opts.out_dir.display()
        ),
    })?;
    Ok(results)
}
