//! `reuse-bench import-weights FILE.pth`: a PyTorch checkpoint converted once
//! to safetensors, without PyTorch.

use anyhow::Result;
use clap::Args;
use reuse_bench::model::pth::read_pth;
use reuse_bench::model::weights::save_tensors;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
#[command(
    after_help = "Reads both of torch.save's formats: the zip archive (PyTorch 1.6 and later) and the \
legacy one (torchvision's 2018 ImageNet weights, among others). Every tensor of the state dict is written \
under its own name (e.g. features.0.0.weight), as stored.\n\n\
Example:\n  \
reuse-bench import-weights mobilenet_v2-b0353104.pth --out data/mobilenet_v2/model.safetensors"
)]
pub(super) struct ImportArgs {
    /// The PyTorch checkpoint (.pth or .pt) holding a state dict.
    file: PathBuf,
    /// The safetensors file to write (must not exist).
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
}

/// Converts the checkpoint and says what it held.
pub(super) fn import_weights(args: ImportArgs) -> Result<ExitCode> {
    if args.out.exists() {
        anyhow::bail!(
            "{} exists: reuse-bench never overwrites a file; give --out NEW_FILE",
            args.out.display()
        );
    }
    let tensors = read_pth(&args.file)?;
    let params: usize = tensors.iter().map(|(_, t)| t.elem_count()).sum();
    let count = tensors.len();
    let map: HashMap<String, _> = tensors.into_iter().collect();
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        reuse_bench::fsio::create_dir_all(dir)?;
    }
    save_tensors(&map, &args.out)?;
    eprintln!(
        "{}: {count} tensors, {params} values, written to {}",
        args.file.display(),
        args.out.display()
    );
    println!("{}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
