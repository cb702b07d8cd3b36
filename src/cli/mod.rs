//! The command line: parse, dispatch, and turn library results into output
//! and exit codes. Everything measurable lives in the library; the commands
//! that run, resume, render and merge sweeps are in [`sweep`].

mod bench;
mod import;
mod init;
mod sweep;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use reuse_bench::analysis::Results;
use reuse_bench::report;
use reuse_bench::results::checkpoints::default_cache_root;
use reuse_bench::results::ReportDir;
use reuse_bench::runner::{self, pretrain, WorkerCommand};
use reuse_bench::suite::{Suite, BUILTIN_SUITES};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code when the sweep finished but some runs failed (their records say why).
pub const EXIT_RUNS_FAILED: u8 = 3;
/// Exit code of `compare --fail-on-regression` when the gate fails: a figure worsened beyond the
/// threshold, runs of a cell failed in B, or A and B share no cell (nothing was checked).
pub const EXIT_REGRESSION: u8 = 4;

/// Should we build a model from scratch or reuse a pretrained one? reuse-bench
/// trains both under one protocol (same splits, label budgets and seeds),
/// measures time, CPU, memory and accuracy, and writes the evidence.
#[derive(Parser, Debug)]
#[command(name = "reuse-bench", version, about, long_about = None)]
#[command(after_help = "Examples:\n  \
    reuse-bench run                      run the default suite, report under reports/\n  \
    reuse-bench run --quick              a smoke version of it (under a minute)\n  \
    reuse-bench run --suite my.toml      your own suite file (see README, 'Suite format')\n  \
    reuse-bench run --resume DIR         continue an interrupted sweep (after Ctrl-C, a crash, a kill)\n  \
    reuse-bench run --shard 2/3 -o s2    one of three slices of the sweep (for a cluster)\n  \
    reuse-bench merge s1 s2 s3 -o all    put the slices together into one report\n  \
    reuse-bench suites                   list the built-in suites\n  \
    reuse-bench init my.csv --source-classes 0,1,2\n                                       \
    write a suite for your own data (numeric CSV or IDX)\n  \
    reuse-bench report DIR               re-render a report folder from its results.json\n  \
    reuse-bench report DIR --usd-per-label 0.01\n                                       \
    re-price the measured runs (nothing re-runs) into a new folder\n  \
    reuse-bench compare A B --fail-on-regression 10\n                                       \
    fail (exit 4) if B is >10% worse than A anywhere\n\n\
    Exit codes: 0 success, 1 error (compare: A and B ran different suites, see --force),\n\
    2 bad usage, 3 sweep finished but some runs failed, 4 compare found a regression\n\
    (a figure beyond --fail-on-regression, runs that failed in B, or no cell in common),\n\
    130/143 stopped by SIGINT/SIGTERM (what finished is written; resume with --resume).")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a suite: pretrain if needed, train every strategy x budget x seed, write the report.
    Run(RunArgs),
    /// Pretrain a suite's backbone on its source classes and cache it (run does this when needed).
    Pretrain(PretrainArgs),
    /// Re-render a report folder (summary, CSV, charts, HTML) from its results.json alone.
    Report(ReportArgs),
    /// Compare two report folders cell by cell; optionally fail on a regression (for CI).
    Compare(CompareArgs),
    /// Merge the report folders of a sharded sweep into one result set and report.
    Merge(MergeArgs),
    /// List the built-in suites.
    Suites,
    /// Time one workload (a BERT fine-tuning step, an MNIST-1D epoch...) as benches/pytorch does.
    Bench(bench::BenchArgs),
    /// Write a suite for your own data (a numeric CSV or an IDX pair) that `run --suite` accepts.
    Init(init::InitArgs),
    /// Convert a PyTorch checkpoint (.pth/.pt, zip or legacy format) to safetensors, without PyTorch.
    ImportWeights(import::ImportArgs),
    /// Internal: run one job read as JSON from stdin (used by `run`).
    #[command(hide = true)]
    Worker,
}

#[derive(Args, Debug)]
struct SuiteArgs {
    /// Built-in suite name (see `reuse-bench suites`) or path to a suite TOML file.
    #[arg(long, short, default_value = "mnist1d", value_name = "NAME|FILE")]
    suite: String,
    /// Shrink the suite to a smoke test: two budgets, two seeds, fewer epochs.
    #[arg(long)]
    quick: bool,
    /// Where pretrained checkpoints are cached [default: $REUSE_BENCH_CACHE, else ~/.cache/reuse-bench].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Compute device: cpu, or cuda / cuda:N in a build with the `cuda` feature.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// CPU threads per worker, overriding the suite's train.threads [default: the suite's, else every core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

impl SuiteArgs {
    fn load(&self) -> Result<Suite> {
        let mut suite = Suite::resolve(&self.suite)?;
        if let Some(threads) = self.threads {
            suite.train.threads = Some(threads as usize);
        }
        Ok(if self.quick { suite.quick() } else { suite })
    }

    fn cache_root(&self) -> PathBuf {
        self.cache_dir.clone().unwrap_or_else(default_cache_root)
    }
}

/// `--jobs`: a number of workers, or as many as the cores allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Jobs {
    Auto,
    Count(usize),
}

fn parse_jobs(value: &str) -> std::result::Result<Jobs, String> {
    if value == "auto" {
        return Ok(Jobs::Auto);
    }
    match value.parse::<usize>() {
        Ok(n) if (1..=256).contains(&n) => Ok(Jobs::Count(n)),
        _ => Err(format!("'{value}' is not auto or a number of workers from 1 to 256")),
    }
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    suite: SuiteArgs,
    /// Report folder [default: reports/<suite>-<UTC timestamp>]; must be new or empty.
    #[arg(long, short, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Continue the interrupted sweep in DIR: completed runs are kept, the rest run (the suite,
    /// shard and settings come from DIR; a different suite, tool version or schema is refused).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["out", "suite", "quick", "threads", "instance", "catalog", "pretrained", "shard"])]
    resume: Option<PathBuf>,
    /// With --resume: run again the runs that failed (by default they are kept as failed).
    #[arg(long, requires = "resume")]
    retry_failed: bool,
    /// Run N workers side by side, each pinned to its own cores (train.threads each, or an even
    /// share). auto: as many as the cores allow at the suite's train.threads (2 for a 1-thread
    /// suite on 2 cores; 1 for a suite that uses every core). Measured on a 2-core VM, two
    /// 1-thread workers side by side add 0.7% to the runs' total time; --jobs 1 rules even that
    /// out. Accuracies are the same for any N.
    #[arg(long, value_name = "N|auto", default_value = "auto", value_parser = parse_jobs)]
    jobs: Jobs,
    /// Run only slice I of N of the run matrix (balanced by expected cost), e.g. 2/3;
    /// `reuse-bench merge` puts the shards' folders together.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Never draw the progress bar (it is only drawn on a terminal anyway).
    #[arg(long)]
    no_progress: bool,
    /// Price the measured times on this catalog instance instead of the suite's `cost.instance`
    /// (e.g. aws/g5.xlarge, azure/Standard_D2s_v5).
    #[arg(long, value_name = "PROVIDER/NAME")]
    instance: Option<String>,
    /// A price catalog CSV of your own (same columns as src/cost/prices.csv).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// The pretrained model to reuse instead of the suite's: a folder holding config.json and
    /// model.safetensors, or hf:ORG/NAME[@REV] from the local Hugging Face cache
    /// ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub; never downloaded).
    #[arg(long, value_name = "DIR|hf:ORG/NAME[@REV]")]
    pretrained: Option<String>,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Re-pricing: any of the cost options prices the measured runs again (nothing is \
re-run) and writes a new report, with its own verdict, projections and sensitivity, into --out \
(default DIR/repriced-<UTC timestamp>); DIR is left as it is. The new results.json lists the \
settings that differ from the run's under `repriced`.\n\n\
Examples:\n  \
reuse-bench report reports/mnist1d-20261129T1200Z\n  \
reuse-bench report reports/mnist1d-20261129T1200Z --usd-per-label 0.001\n  \
reuse-bench report DIR --instance aws/g5.xlarge --target 0.9 --out DIR-g5"
)]
struct ReportArgs {
    /// A report folder written by `reuse-bench run`: from its results.json, or, for a sweep
    /// stopped before writing one, from its runs.jsonl, suite.toml and sweep.json (marked partial).
    dir: PathBuf,
    #[command(flatten)]
    reprice: RepriceArgs,
    /// Where a re-priced report goes (new or empty) [default: DIR/repriced-<UTC timestamp>].
    #[arg(long, short, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The settings `report` can price the measured runs under.
#[derive(Args, Debug, Default)]
struct RepriceArgs {
    /// Price per label, USD (cost.usd_per_label).
    #[arg(long, value_name = "USD", value_parser = non_negative)]
    usd_per_label: Option<f64>,
    /// Bill the measured times at this catalog instance (cost.instance), e.g. aws/g5.xlarge.
    #[arg(long, value_name = "PROVIDER/NAME")]
    instance: Option<String>,
    /// A price catalog CSV of your own (cost.catalog; same columns as src/cost/prices.csv).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// Tasks sharing in-house pretraining, K (cost.amortize_over_tasks).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    amortize_over: Option<u32>,
    /// The labels per class you can afford (cost.label_budget_per_class).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    label_budget: Option<u64>,
    /// Target test accuracy, 0-1 (target_accuracy), e.g. 0.9.
    #[arg(long, value_name = "ACCURACY")]
    target: Option<f64>,
    /// A one-time fee for the pretrained model, USD (cost.model.one_time_usd).
    #[arg(long, value_name = "USD", value_parser = non_negative)]
    model_one_time_usd: Option<f64>,
    /// An hourly fee for the pretrained model, USD/h (cost.model.usd_per_hour).
    #[arg(long, value_name = "USD", value_parser = non_negative)]
    model_usd_per_hour: Option<f64>,
}

impl RepriceArgs {
    fn overrides(&self) -> reuse_bench::sweep::CostOverrides {
        reuse_bench::sweep::CostOverrides {
            usd_per_label: self.usd_per_label,
            instance: self.instance.clone(),
            catalog: self.catalog.clone(),
            amortize_over_tasks: self.amortize_over,
            label_budget_per_class: self.label_budget.map(|n| n as usize),
            target_accuracy: self.target,
            model_one_time_usd: self.model_one_time_usd,
            model_usd_per_hour: self.model_usd_per_hour,
        }
    }
}

/// A finite number at or above zero.
fn non_negative(value: &str) -> std::result::Result<f64, String> {
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("'{value}' is not a number at or above 0")),
    }
}

#[derive(Args, Debug)]
struct MergeArgs {
    /// The folders to merge: shards of one sweep (`run --shard I/N`), or any folders of the
    /// same suite, tool version and schema whose runs do not overlap.
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// The merged report folder; must be new or empty.
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct CompareArgs {
    /// The baseline report folder.
    a: PathBuf,
    /// The report folder to compare with it.
    b: PathBuf,
    /// Write compare.md and compare.json into this folder (else only print the Markdown).
    #[arg(long, short, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Exit with code 4 when any figure worsens by more than PCT percent of its baseline value
    /// (accuracy falls, or wall time, peak memory or total cost rises), when runs of a cell
    /// diverged or failed in B leaving fewer completed than in A (or none), or when A and B
    /// share no cell.
    #[arg(long, value_name = "PCT")]
    fail_on_regression: Option<f64>,
    /// Compare even when A and B ran different tasks or models (refused otherwise); the
    /// comparison then lists the differences.
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
struct PretrainArgs {
    #[command(flatten)]
    suite: SuiteArgs,
    /// Pretrain even when a matching checkpoint is cached.
    #[arg(long)]
    force: bool,
}

/// Parses the command line and runs it.
pub fn main() -> Result<ExitCode> {
    reuse_bench::runtime::configure();
    let command = Cli::parse().command;
    reuse_bench::model::ops::check_level_cap()?;
    match command {
        Command::Run(args) => sweep::run(args),
        Command::Pretrain(args) => pretrain(args),
        Command::Report(args) => sweep::report(args),
        Command::Compare(args) => compare(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Bench(args) => bench::bench(args),
        Command::Init(args) => init::init(args),
        Command::ImportWeights(args) => import::import_weights(args),
        Command::Suites => {
            for (name, _) in BUILTIN_SUITES {
                let suite = Suite::resolve(name)?;
                println!("{name:<14} {}", suite.description);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker => {
            runner::worker::worker_main()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn pretrain(args: PretrainArgs) -> Result<ExitCode> {
    let suite = args.suite.load()?;
    reuse_bench::device::open(&args.suite.device)?;
    let pretrained = pretrain::ensure(
        &suite,
        &args.suite.cache_root(),
        &args.suite.device,
        &WorkerCommand::current()?,
        args.force,
        &|| false,
        &mut |line| eprintln!("{line}"),
    )?;
    println!("{}", pretrained.dir.display());
    Ok(ExitCode::SUCCESS)
}

fn compare(args: CompareArgs) -> Result<ExitCode> {
    if let Some(t) = args.fail_on_regression {
        if !(t.is_finite() && t >= 0.0) {
            anyhow::bail!("--fail-on-regression {t}: expected a percentage, zero or more (e.g. 10)");
        }
    }
    let a: Results = ReportDir::new(&args.a).read_results()?;
    let b: Results = ReportDir::new(&args.b).read_results()?;
    let comparison = reuse_bench::analysis::compare::compare(
        (&args.a.display().to_string(), &a),
        (&args.b.display().to_string(), &b),
        args.fail_on_regression,
    );
    if !comparison.same_suite() {
        if !args.force {
            return Err(report::compare::refusal(&comparison).into());
        }
        eprintln!(
            "comparing anyway (--force): A and B differ in {} setting(s) of task or model, listed in the comparison",
            comparison.identity.len()
        );
    }
    print!("{}", report::compare::to_markdown(&comparison)?);
    if let Some(out) = &args.out {
        for path in report::compare::write(out, &comparison)? {
            eprintln!("wrote {}", path.display());
        }
    }
    if let Some(why) = report::compare::gate_summary(&comparison) {
        eprintln!("{why}");
        return Ok(ExitCode::from(EXIT_REGRESSION));
    }
    Ok(ExitCode::SUCCESS)
}

/// The model `--pretrained` names: a folder, a weights file (a zoo's `.pth`
/// or `.pt`, or a `.safetensors`), or `hf:ORG/NAME[@REV]` resolved in the hub cache.
fn given_model(arg: &str) -> Result<reuse_bench::suite::GivenModel> {
    use reuse_bench::model::hub;
    let path = PathBuf::from(arg);
    Ok(match hub::HubRef::parse(arg)? {
        Some(r) => reuse_bench::suite::GivenModel {
            dir: hub::resolve(&r, &hub::cache_root())?,
            name: format!("{}@{}", r.repo, r.revision),
            file: None,
        },
        None if path.is_file() => reuse_bench::suite::GivenModel {
            dir: path.parent().map_or_else(|| PathBuf::from("."), PathBuf::from),
            name: arg.to_string(),
            file: path.file_name().map(|f| f.to_string_lossy().into_owned()),
        },
        None => reuse_bench::suite::GivenModel {
            dir: path,
            name: arg.to_string(),
            file: None,
        },
    })
}
