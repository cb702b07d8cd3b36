//! reuse-bench: should this task train a model from scratch or reuse a pretrained one?
//!
//! The crate is laid out as the pipeline it runs (see `shared/design.md`):
//! a [`suite`] names the task and protocol, [`data`] builds the splits, [`model`]
//! builds the networks and checkpoints, [`train`] runs the one training loop for
//! every strategy, [`measure`] reads time, CPU and memory from the OS, [`runner`]
//! executes each run in its own worker process, [`analysis`] aggregates seeds and
//! [`report`] writes the result files. The binary (`main.rs`, `cli.rs`) is a thin
//! edge over this library so that tests and benches reach the same code.

pub mod analysis;
pub mod cost;
pub mod data;
pub mod device;
pub mod error;
pub mod fmt;
pub mod fsio;
pub mod measure;
pub mod model;
pub mod report;
pub mod rng;
pub mod runner;
pub mod suite;
pub mod train;

pub use error::{Error, Result};

/// The tool version saved beside every result and model card.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
