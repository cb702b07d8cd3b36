//! The record of one run, as stored in `runs.jsonl` and `results.json`:
//! what was run and what was measured, nothing derived (prices and
//! aggregates wrap or summarise records; they never write into them).

use crate::measure::sampler::ResourceSample;
use crate::measure::stopwatch::Phases;
use crate::train::{CurvePoint, RunSpec, Strategy};
use serde::{Deserialize, Serialize};

/// How a run ended. Only `Completed` runs enter averages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum RunStatus {
    /// Trained and tested.
    Completed,
    /// The loss became NaN, infinite or exploded; no test accuracy.
    Diverged,
    /// The worker crashed or reported an error; see the message.
    Failed,
}

/// Everything measured inside the worker process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    /// Labelled training examples (budget x classes).
    pub train_examples: usize,
    /// Digest of the labelled training set ([`crate::data::Dataset::digest`]):
    /// equal across strategies at one budget and seed.
    pub train_set_digest: String,
    /// Accuracy of the selected weights on the test split (absent if diverged).
    pub test_accuracy: Option<f64>,
    /// Best validation accuracy, which selected the weights.
    pub best_val_accuracy: f64,
    /// Epoch of the selected weights (0 = initial weights).
    pub best_epoch: usize,
    /// Epochs run.
    pub epochs_run: usize,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Clock seconds until validation accuracy first reached the suite's target.
    pub time_to_target_s: Option<f64>,
    /// Wall seconds per phase.
    pub phases: Phases,
    /// Wall seconds from before data was touched to the end of the test evaluation.
    pub wall_s: f64,
    /// CPU seconds in user mode.
    pub cpu_user_s: f64,
    /// CPU seconds in the kernel.
    pub cpu_system_s: f64,
    /// Peak resident memory of the worker process.
    pub peak_rss_bytes: u64,
    /// Package energy over the run from RAPL counters, where readable (whole
    /// socket: includes anything else the machine ran meanwhile).
    pub rapl_energy_j: Option<f64>,
    /// Scalar parameters in the network.
    pub total_params: usize,
    /// Scalar parameters that trained.
    pub trainable_params: usize,
    /// Validation accuracy and training loss after each epoch.
    pub curve: Vec<CurvePoint>,
}

impl RunMetrics {
    /// User plus system CPU seconds.
    pub fn cpu_s(&self) -> f64 {
        self.cpu_user_s + self.cpu_system_s
    }
}

/// One run of the sweep, whatever its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Stable identifier, e.g. `probe-b10-s2`.
    pub run_id: String,
    /// How the model was obtained.
    pub strategy: Strategy,
    /// Labelled examples per class.
    pub budget_per_class: usize,
    /// Run seed.
    pub seed: u64,
    /// How it ended.
    pub status: RunStatus,
    /// Why it diverged or failed.
    pub message: Option<String>,
    /// Wall seconds of the worker process, spawn to exit, measured by the parent.
    pub process_wall_s: f64,
    /// Measurements from inside the worker (absent when it failed).
    pub metrics: Option<RunMetrics>,
    /// RSS and CPU of the worker, sampled by the parent.
    pub timeline: Vec<ResourceSample>,
}

impl RunRecord {
    /// The run's identity as a matrix cell.
    pub fn spec(&self) -> RunSpec {
        RunSpec {
            strategy: self.strategy,
            budget_per_class: self.budget_per_class,
            seed: self.seed,
        }
    }

    /// The measurements of a completed run (none for diverged or failed runs).
    pub fn completed_metrics(&self) -> Option<&RunMetrics> {
        self.metrics.as_ref().filter(|_| self.status == RunStatus::Completed)
    }

    /// Test accuracy, for completed runs only.
    pub fn test_accuracy(&self) -> Option<f64> {
        match self.status {
            RunStatus::Completed => self.metrics.as_ref()?.test_accuracy,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_has_one_text_form() {
        for status in [RunStatus::Completed, RunStatus::Diverged, RunStatus::Failed] {
            let serde = serde_json::to_value(status).unwrap();
            assert_eq!(serde.as_str().unwrap(), status.to_string());
            let name: &'static str = status.into();
            assert_eq!(name, status.to_string());
        }
        assert_eq!(RunStatus::Failed.to_string(), "failed");
    }
}
