//! reuse-bench's binary: the command line in `cli.rs`, everything else in the library.
#![warn(clippy::too_many_lines)]

mod cli;

use std::process::ExitCode;

/// candle's CPU training runs 3-4x faster with mimalloc than with the system
/// allocator on the machines this was measured on.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::main() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
