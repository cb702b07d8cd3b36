//! reuse-bench: should this task train a model from scratch or reuse a pretrained one?
//!
//! The crate is laid out as the pipeline it runs, in layers from the bottom
//! up; a module imports only from layers below it (`tests/layers.rs` checks):
//!
//! 1. shared utilities: [`error`], [`fsio`], [`rng`], [`digest`], [`device`], [`runtime`];
//! 2. [`measure`]: time, CPU, memory and energy read from the OS;
//! 3. [`data`]: datasets, the task spec and the splits of the protocol;
//! 4. [`model`]: networks, weights on disk, given models;
//! 5. [`train`]: the one training loop for every strategy, and its spec;
//!    [`speed`]: the throughput of the training loop, as `benches/pytorch/` measures PyTorch's;
//! 6. [`results`]: run records, model cards and the store of a report folder;
//! 7. [`cost`]: prices, energy and carbon, and the bill of each run;
//! 8. [`suite`]: composes every stage's spec into one TOML file;
//! 9. [`analysis`]: seeds to intervals, data efficiency, the verdict as data;
//! 10. [`report`]: one view model to Markdown and HTML, CSV, JSON, charts;
//! 11. [`runner`]: worker-process plumbing;
//! 12. [`sweep`]: the orchestration of a whole sweep.
//!
//! The binary (`main.rs`, `cli.rs`) is a thin edge over this library so that
//! tests and benches reach the same code.
#![warn(clippy::too_many_lines)]

pub mod analysis;
pub mod cost;
pub mod data;
pub mod device;
pub mod digest;
pub mod error;
pub mod fsio;
pub mod measure;
pub mod model;
pub mod report;
pub mod results;
pub mod rng;
pub mod runner;
pub mod runtime;
pub mod speed;
pub mod suite;
pub mod sweep;
pub mod train;

pub use error::{Error, Result};

/// The tool version saved beside every result and model card.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
