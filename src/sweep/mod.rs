//! The sweep, at the top of the pipeline: check everything that can be
//! checked, pretrain if needed, then run every planned cell of the matrix in
//! its own worker, storing each run as it finishes, and analyse and report.
//! A sweep can be a shard of the matrix, be resumed from its folder, and be
//! stopped by SIGINT/SIGTERM with what finished written and reported.

mod assemble;
mod checks;
mod folder;
mod interrupt;
pub mod merge;
mod pool;
pub mod reprice;

pub use assemble::{assemble, Stored};
pub use interrupt::StopSignal;
pub use pool::auto_jobs;
pub use reprice::{reprice, CostOverrides};

use crate::analysis::Results;
use crate::cost::Catalog;
use crate::measure::stopwatch::Stopwatch;
use crate::report::{self, Files};
use crate::results::{ReportDir, RunRecord};
use crate::runner::{pretrain, WorkerCommand};
use crate::suite::Suite;
use crate::train::Shard;
use crate::{Error, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use interrupt::Interrupt;
use std::path::PathBuf;

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The suite (already shrunk by `--quick` if asked; read from the folder when resuming).
    pub suite: Suite,
    /// Report folder: new or empty, or the folder to resume.
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
    /// Run only this slice of the matrix.
    pub shard: Option<Shard>,
    /// Continue the sweep already in `out` instead of starting one.
    pub resume: Option<Resume>,
    /// Workers run side by side, each pinned to its own cores (1: one at a time, unpinned).
    pub jobs: usize,
}

/// How to continue an interrupted sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// Run again the runs that failed (completed and diverged runs never are).
    pub retry_failed: bool,
}

/// How a sweep ended; either way its results and report are written.
#[derive(Debug)]
pub enum SweepEnd {
    /// Every planned run ran.
    Finished(Results),
    /// A signal stopped it; the results cover the runs that finished.
    Interrupted(Results, StopSignal),
}

/// Runs the sweep and writes every report file into the report folder.
pub fn run_sweep(opts: &SweepOptions) -> Result<SweepEnd> {
    let clock = Stopwatch::start();
    let interrupt = Interrupt::install()?;
    let resumed = opts.resume.map(|r| folder::reopen(opts, r)).transpose()?;
    pool::slots(opts)?; // a --jobs the machine cannot give is refused before any work
    let target = checks::before_running(opts)?;
    // Built once here, read by every worker (a worker building it again took
    // 16% of the default sweep).
    let task_data = crate::data::shared::save(&target, &opts.cache_root.join("tasks"))?;
    drop(target);
    let bar = progress_bar(opts.progress);
    let mut say = |line: &str| bar.suspend(|| eprintln!("{line}"));
    let pretrained = if opts.suite.needs_pretrained() {
        bar.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"));
        bar.set_message("pretraining");
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        let stop = || interrupt.requested();
        let ensured = pretrain::ensure(
            &opts.suite,
            &opts.cache_root,
            &opts.device,
            &opts.worker,
            false,
            &stop,
            &mut say,
        );
        Some(ensured.map_err(|e| match e {
            Error::Interrupted { .. } => interrupt.error(),
            other => other,
        })?)
    } else {
        None
    };
    if interrupt.requested() && resumed.is_none() {
        return Err(interrupt.error()); // before the folder exists: nothing to clean up
    }
    let folder = match resumed {
        Some(folder) => folder,
        None => folder::start(opts, pretrained.clone())?,
    };
    let pending = folder.pending(opts, &mut say);
    bar.disable_steady_tick();
    bar.set_length(pending.len() as u64);
    bar.reset(); // position, ETA and elapsed count from the first run, not from pretraining
    bar.set_style(
        ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} runs  {elapsed} elapsed, ETA {eta}  {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let shared = pool::Shared {
        opts,
        pretrained: pretrained.as_ref(),
        task_data: &task_data,
        interrupt: &interrupt,
        bar: &bar,
    };
    let mut runs = folder.kept;
    runs.extend(pool::run_pending(&shared, pending)?);
    bar.finish_and_clear();
    let sweep_wall_s = clock.elapsed_s() + folder.earlier_wall_s;
    let results = finish(opts, &folder.manifest, runs, sweep_wall_s)?;
    Ok(match interrupt.signal() {
        Some(signal) => SweepEnd::Interrupted(results, signal),
        None => SweepEnd::Finished(results),
    })
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

/// Analyses the runs and writes the report. A failure here loses nothing:
/// every run is already in `runs.jsonl`.
fn finish(
    opts: &SweepOptions,
    manifest: &crate::results::SweepManifest,
    runs: Vec<RunRecord>,
    sweep_wall_s: f64,
) -> Result<Results> {
    let results = assemble(Stored {
        suite: &opts.suite,
        manifest,
        runs,
        catalog: &opts.catalog,
        sweep_wall_s,
    })?;
    report::write_reports(&opts.out, &results, Files::All).map_err(|e| Error::Results {
        path: opts.out.path.clone(),
        message: format!(
            "every run that finished is saved in runs.jsonl, but writing the report failed ({e}); fix the cause \
             and re-render with `reuse-bench report {}`",
            opts.out.path.display()
        ),
    })?;
    Ok(results)
}
