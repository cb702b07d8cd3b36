//! What the parent asks a worker process to do, and what the worker answers.
//! Both travel as JSON: the job on the worker's stdin, the answer as one line
//! on its stdout.

use crate::results::{ModelCard, RunMetrics, RunStatus};
use crate::suite::Suite;
use crate::train::RunSpec;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One unit of work for a worker process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// Train and test one (strategy, budget, seed) of the sweep.
    Run {
        /// The whole suite (task, model, protocol).
        suite: Suite,
        /// Which run of the matrix.
        spec: RunSpec,
        /// The pretrained checkpoint's weights file, for reuse strategies.
        checkpoint: Option<PathBuf>,
        /// Where a probe may cache its frozen backbone's features.
        #[serde(default)]
        cache_dir: Option<PathBuf>,
        /// The target task's splits, written once by the sweep ([`crate::data::shared`]);
        /// without it the worker builds them itself.
        #[serde(default)]
        task_data: Option<PathBuf>,
        /// Compute device ("cpu", "cuda").
        device: String,
    },
    /// Pretrain the suite's backbone on the source classes and save it to `out_dir`.
    Pretrain {
        /// The whole suite.
        suite: Suite,
        /// Checkpoint folder to write.
        out_dir: PathBuf,
        /// Compute device.
        device: String,
    },
}

impl Job {
    /// The suite the job belongs to.
    pub fn suite(&self) -> &Suite {
        match self {
            Job::Run { suite, .. } | Job::Pretrain { suite, .. } => suite,
        }
    }
}

/// A worker's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "output", rename_all = "snake_case")]
pub enum JobOutput {
    /// The measurements of one run.
    Run {
        /// Completed or diverged (a failure never gets this far).
        status: RunStatus,
        /// Why it diverged, if it did.
        message: Option<String>,
        /// Everything measured inside the worker.
        metrics: Box<RunMetrics>,
    },
    /// The card of the checkpoint just saved.
    Pretrain {
        /// The model card, as written beside the weights.
        card: Box<ModelCard>,
    },
}
