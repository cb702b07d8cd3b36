//! `reuse-bench bench`: the throughput of one workload on this machine, in
//! the form `benches/pytorch/compare.sh` sets beside PyTorch's.

use anyhow::{Context, Result};
use clap::Args;
use reuse_bench::speed::{self, BenchOptions, Workload};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use strum::VariantArray;

#[derive(Args, Debug)]
#[command(after_help = "Workloads:\n  \
    bert-step     one fine-tuning step of all-MiniLM-L6-v2: 16 texts x 48 tokens, dropout on, AdamW\n  \
    bert-forward  one evaluation forward pass of all-MiniLM-L6-v2: 32 texts x 48 tokens\n  \
    cnn-epoch     validate, train one epoch (1,250 examples, batch 32), validate: MNIST-1D CNN\n  \
    mlp-epoch     the same with the 40-256-256-5 MLP\n\n\
    The BERT workloads need the model files: bash .ci/fetch-data.sh data\n\
    REUSE_BENCH_SIMD=avx2 (or baseline) runs the project's own kernels as a CPU without AVX-512\n\
    would (the same results); with the --no-default-features build, whose matrix products stay\n\
    at AVX2 too, that times an AVX2 machine's path on an AVX-512 one.\n\
    Side by side with PyTorch: benches/pytorch/setup.sh, then benches/pytorch/compare.sh")]
pub struct BenchArgs {
    /// What to time (see below).
    #[arg(long, value_name = "NAME", value_parser = parse_workload)]
    workload: Workload,
    /// Compute threads.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: u16,
    /// Timed iterations; the figure is their median.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    iters: u32,
    /// Untimed iterations first.
    #[arg(long, default_value_t = 1)]
    warmup: u32,
    /// all-MiniLM-L6-v2 in Hugging Face layout (config.json, model.safetensors).
    #[arg(long, value_name = "DIR", default_value = "data/all-MiniLM-L6-v2")]
    model_dir: PathBuf,
    /// Print one JSON line (the fields compare.sh reads) instead of a sentence.
    #[arg(long)]
    json: bool,
    /// Take turns with another process (benches/pytorch/lockstep.py drives it):
    /// after the warm-up print `ready`, then run one timed iteration per `go`
    /// line on standard input and print `iter_s SECONDS`; `done` or the end of
    /// input ends the run. --iters is then ignored.
    #[arg(long)]
    lockstep: bool,
}

/// One turn of `--lockstep`: report the last iteration (or `ready` before
/// the first), then wait for `go` (run another) or `done` / end of input.
fn turn(done: &[f64]) -> reuse_bench::Result<bool> {
    let io = |e| reuse_bench::Error::io("taking turns (--lockstep) over", "standard input and output", e);
    let mut out = std::io::stdout().lock();
    match done.last() {
        None => writeln!(out, "ready"),
        Some(s) => writeln!(out, "iter_s {s}"),
    }
    .and_then(|()| out.flush())
    .map_err(io)?;
    drop(out);
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).map_err(io)? == 0 {
        return Ok(false); // the end of input
    }
    match line.trim() {
        "go" => Ok(true),
        "done" => Ok(false),
        other => Err(reuse_bench::Error::Setting {
            key: "--lockstep".into(),
            message: format!("expected `go` or `done` on standard input, got `{other}`"),
        }),
    }
}

fn parse_workload(s: &str) -> Result<Workload, String> {
    s.parse().map_err(|_| {
        let names: Vec<String> = Workload::VARIANTS.iter().map(|w| w.to_string()).collect();
        format!("unknown workload '{s}'; expected one of {}", names.join(", "))
    })
}

/// Runs the benchmark and prints its figure.
pub fn bench(args: BenchArgs) -> Result<ExitCode> {
    // candle and rayon read the thread count from here when they first start,
    // which is after this point: nothing has computed yet.
    std::env::set_var("RAYON_NUM_THREADS", args.threads.to_string());
    let options = BenchOptions {
        workload: args.workload,
        threads: args.threads as usize,
        iters: args.iters as usize,
        warmup: args.warmup as usize,
        model_dir: args.model_dir,
    };
    let result = if args.lockstep {
        speed::run_paced(&options, turn)
    } else {
        speed::run(&options)
    }
    .with_context(|| format!("benchmark {} failed", args.workload))?;
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        let median_s = result.samples_per_iter as f64 / result.samples_per_s;
        println!(
            "{}, {} thread(s): {:.1} samples/s ({:.4} s per iteration of {} samples, median of {}), peak RSS {:.0} MiB, kernels {}",
            result.workload,
            result.threads,
            result.samples_per_s,
            median_s,
            result.samples_per_iter,
            result.iter_s.len(),
            result.peak_rss_bytes as f64 / (1 << 20) as f64,
            result.kernels
        );
    }
    Ok(ExitCode::SUCCESS)
}
