//! The commands around a sweep: `run` (fresh, sharded or resumed), `report`
//! (from results.json, or from the runs of a stopped sweep) and `merge`.

use super::{given_model, Jobs, MergeArgs, ReportArgs, RunArgs, EXIT_RUNS_FAILED};
use anyhow::{Context, Result};
use reuse_bench::analysis::Results;
use reuse_bench::report::{self, Files};
use reuse_bench::results::files::{INDEX_HTML, RESULTS_JSON, SUITE_TOML, SUMMARY_MD, SWEEP_JSON};
use reuse_bench::results::{ReportDir, RunStatus};
use reuse_bench::runner::WorkerCommand;
use reuse_bench::suite::Suite;
use reuse_bench::sweep::{
    assemble, auto_jobs, merge, reprice, run_sweep, CostOverrides, Resume, Stored, SweepEnd, SweepOptions,
};
use reuse_bench::train::Shard;
use std::io::IsTerminal;
use std::process::ExitCode;

/// `run`: the suite from the arguments, or from the folder being resumed.
pub(super) fn run(args: RunArgs) -> Result<ExitCode> {
    let (suite, out) = match &args.resume {
        Some(dir) => {
            let dir = ReportDir::new(dir);
            let origin = dir.file(SUITE_TOML).display().to_string();
            (Suite::parse(&dir.read_suite()?, &origin)?, dir)
        }
        None => {
            let suite = suite_from_args(&args)?;
            let out = args
                .out
                .clone()
                .map_or_else(|| ReportDir::default_for(&suite.name), ReportDir::new);
            (suite, out)
        }
    };
    reuse_bench::device::open(&args.suite.device)?;
    let opts = SweepOptions {
        out: out.clone(),
        cache_root: args.suite.cache_root(),
        device: args.suite.device.clone(),
        worker: WorkerCommand::current()?,
        progress: !args.no_progress && std::io::stderr().is_terminal(),
        command: std::env::args().collect(),
        catalog: suite.cost.load_catalog()?,
        shard: args.shard.as_deref().map(Shard::parse).transpose()?,
        jobs: match args.jobs {
            Jobs::Count(n) => n,
            Jobs::Auto => auto_jobs(suite.train.threads),
        },
        resume: args.resume.as_ref().map(|_| Resume {
            retry_failed: args.retry_failed,
        }),
        suite,
    };
    if opts.resume.is_none() {
        let runs = reuse_bench::train::run_matrix(&opts.suite.train).len();
        let slice = opts.shard.map_or(String::new(), |s| format!(" (shard {s} of them)"));
        let side_by_side = if opts.jobs > 1 {
            format!(", {} workers side by side", opts.jobs)
        } else {
            String::new()
        };
        eprintln!(
            "running suite '{}': {runs} runs{slice}{side_by_side}, report in {}",
            opts.suite.name,
            out.path.display()
        );
    }
    match run_sweep(&opts) {
        Ok(SweepEnd::Finished(results)) => Ok(finished(&results, &out)),
        Ok(SweepEnd::Interrupted(results, signal)) => {
            let done = results.runs.len();
            let planned = results.partial.as_ref().map_or(done, |p| p.runs_in_suite);
            eprintln!(
                "interrupted by {}: {done} of {planned} runs are done and reported in {}; continue with \
                 `reuse-bench run --resume {}`",
                signal.name(),
                out.path.display(),
                out.path.display()
            );
            Ok(ExitCode::from(signal.exit_code()))
        }
        Err(reuse_bench::Error::Interrupted { signal, exit_code }) => {
            eprintln!("interrupted by {signal} before the first run: nothing was written");
            Ok(ExitCode::from(exit_code))
        }
        Err(e) => Err(e).with_context(|| format!("suite '{}' did not finish", opts.suite.name)),
    }
}

/// The suite named by `--suite`, with the command line's overrides.
fn suite_from_args(args: &RunArgs) -> Result<Suite> {
    let mut suite = args.suite.load()?;
    if let Some(instance) = &args.instance {
        suite.cost.instance = instance.clone();
    }
    if let Some(catalog) = &args.catalog {
        suite.cost.catalog = Some(catalog.clone());
    }
    suite
        .cost
        .validate()
        .map_err(anyhow::Error::msg)
        .context("--instance")?;
    if let Some(given) = &args.pretrained {
        suite.pretrained = Some(given_model(given)?);
    }
    Ok(suite)
}

/// Prints the verdict and the accuracy table; exit 3 when some runs failed.
fn finished(results: &Results, out: &ReportDir) -> ExitCode {
    println!("{}\n", report::verdict_text::headline(&results.verdict));
    println!("{}", report::accuracy_table(results));
    println!("report: {}", out.file(SUMMARY_MD).display());
    let failed = results
        .runs
        .iter()
        .filter(|p| p.run.status == RunStatus::Failed)
        .count();
    if failed > 0 {
        eprintln!(
            "{failed} of {} runs failed; see summary.md and runs.jsonl for why (`reuse-bench run --resume {} \
             --retry-failed` runs them again)",
            results.runs.len(),
            out.path.display()
        );
        return ExitCode::from(EXIT_RUNS_FAILED);
    }
    ExitCode::SUCCESS
}

/// `report DIR`: re-render from results.json, or assemble a stopped sweep's runs; with cost
/// options, price the runs again into a new folder.
pub(super) fn report(args: ReportArgs) -> Result<ExitCode> {
    let dir = ReportDir::new(&args.dir);
    let overrides = args.reprice.overrides();
    if !dir.file(RESULTS_JSON).is_file() && !dir.file(SWEEP_JSON).is_file() {
        anyhow::bail!(
            "{}: no {RESULTS_JSON} and no {SWEEP_JSON}: not a report folder written by `reuse-bench run`",
            dir.path.display()
        );
    }
    if overrides.any() {
        return reprice_report(&dir, &overrides, args.out);
    }
    if args.out.is_some() {
        anyhow::bail!("--out is for a re-priced report: give a cost option too (see `reuse-bench report --help`)");
    }
    if dir.file(RESULTS_JSON).is_file() {
        let results: Results = dir.read_results()?;
        let written = report::write_reports(&dir, &results, Files::Derived)?;
        eprintln!(
            "re-rendered {} files from {}",
            written.len(),
            dir.file(RESULTS_JSON).display()
        );
    } else {
        let Assembled {
            results,
            done,
            torn,
            planned,
        } = assemble_stored(&dir)?;
        let written = report::write_reports(&dir, &results, Files::All)?;
        eprintln!(
            "rendered {} files from the {done} runs in runs.jsonl{} (partial: {} planned); `reuse-bench run \
             --resume {}` runs the rest",
            written.len(),
            if torn > 0 { ", leaving out a line cut short" } else { "" },
            planned,
            dir.path.display()
        );
    }
    println!("{}", dir.file(INDEX_HTML).display());
    Ok(ExitCode::SUCCESS)
}

/// What a folder without results.json holds, assembled from its runs.
struct Assembled {
    results: Results,
    /// Runs read from runs.jsonl.
    done: usize,
    /// Lines cut short and left out.
    torn: usize,
    /// Runs the folder was meant to hold.
    planned: usize,
}

/// The results of a folder without results.json, from its runs.
fn assemble_stored(dir: &ReportDir) -> Result<Assembled> {
    let manifest = dir.read_manifest()?;
    let origin = dir.file(SUITE_TOML).display().to_string();
    let suite = Suite::parse(&dir.read_suite()?, &origin)?;
    let (runs, torn) = dir.read_runs()?;
    let done = runs.len();
    let results = assemble(Stored {
        catalog: &suite.cost.load_catalog()?,
        suite: &suite,
        manifest: &manifest,
        sweep_wall_s: runs.iter().map(|r| r.process_wall_s).sum(),
        runs,
    })?;
    Ok(Assembled {
        results,
        done,
        torn,
        planned: manifest.planned.len(),
    })
}

/// `report DIR --usd-per-label ...`: the runs priced again, written into a new folder.
fn reprice_report(dir: &ReportDir, overrides: &CostOverrides, out: Option<std::path::PathBuf>) -> Result<ExitCode> {
    let results: Results = if dir.file(RESULTS_JSON).is_file() {
        dir.read_results()?
    } else {
        assemble_stored(dir)?.results
    };
    let repriced = reprice(&results, overrides, &dir.path.display().to_string())?;
    let out = ReportDir::new(out.unwrap_or_else(|| {
        dir.path
            .join(format!("repriced-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")))
    }));
    out.prepare()?;
    out.write_suite(&repriced.suite.to_toml())?;
    report::write_reports(&out, &repriced, Files::All)?;
    let changed: Vec<String> = repriced
        .repriced
        .iter()
        .flat_map(|r| &r.changed)
        .map(|c| format!("{} {} -> {}", c.setting, c.was, c.now))
        .collect();
    eprintln!(
        "re-priced the {} runs of {} ({}); nothing was re-run",
        repriced.runs.len(),
        dir.path.display(),
        if changed.is_empty() {
            "no setting differs from the run's".to_string()
        } else {
            changed.join(", ")
        }
    );
    eprintln!("{}", report::verdict_text::headline(&repriced.verdict));
    println!("{}", out.file(INDEX_HTML).display());
    Ok(ExitCode::SUCCESS)
}

/// `merge DIR... --out DIR`.
pub(super) fn merge(args: MergeArgs) -> Result<ExitCode> {
    let dirs: Vec<ReportDir> = args.dirs.iter().map(ReportDir::new).collect();
    let out = ReportDir::new(&args.out);
    let merged = merge::merge(&dirs, &out, std::env::args().collect())?;
    for note in &merged.notes {
        eprintln!("note: {note}");
    }
    let results = &merged.results;
    eprintln!(
        "merged {} folders: {} runs{}",
        dirs.len(),
        results.runs.len(),
        results.partial.as_ref().map_or(String::new(), |p| format!(
            " of the suite's {} (partial)",
            p.runs_in_suite
        ))
    );
    Ok(finished(results, &out))
}
