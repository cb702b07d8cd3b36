//! The pretrained model a sweep reused: its recipe, its model card (how an
//! in-house backbone was made and what that cost), or what a given one is.

use crate::data::TaskSpec;
use crate::measure::machine::Machine;
use crate::model::weights::WEIGHTS_FILE;
use crate::model::ModelSpec;
use crate::train::PretrainSpec;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Version of the model card format; bumped when fields change meaning.
pub const CARD_SCHEMA_VERSION: u32 = 1;

/// Everything that determines the pretrained weights. Two suites with equal
/// recipes can share one checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainRecipe {
    /// Architecture of the backbone (and the source head).
    pub model: ModelSpec,
    /// The dataset; its `source_classes` are the pretraining task.
    pub task: TaskSpec,
    /// Optimiser, epochs and seed of pretraining.
    pub pretrain: PretrainSpec,
}

impl PretrainRecipe {
    /// A short stable key (SHA-256 of the recipe's JSON), used as the cache folder name.
    pub fn key(&self) -> String {
        let json = serde_json::to_vec(self).expect("a recipe always serialises");
        crate::digest::short_hex(8, |h| sha2::Digest::update(h, &json))
    }
}

/// How a pretrained checkpoint was made and what it cost, saved beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// [`CARD_SCHEMA_VERSION`] when written.
    pub schema_version: u32,
    /// reuse-bench version that trained it.
    pub tool_version: String,
    /// When pretraining finished (RFC 3339, UTC).
    pub created_at: String,
    /// What was trained, on what, how.
    pub recipe: PretrainRecipe,
    /// Source training examples seen.
    pub source_train_examples: usize,
    /// Best validation accuracy on the source classes (selected the weights).
    pub source_val_accuracy: f64,
    /// Accuracy of the saved weights on the held-out source test split.
    pub source_test_accuracy: f64,
    /// Epochs run before stopping.
    pub epochs_run: usize,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// Wall-clock seconds of the whole pretraining process's work.
    pub wall_s: f64,
    /// CPU seconds (user + system) of the pretraining process.
    pub cpu_s: f64,
    /// Peak resident memory of the pretraining process.
    pub peak_rss_bytes: u64,
    /// Package energy of the pretraining from RAPL counters, where readable.
    pub rapl_energy_j: Option<f64>,
    /// Parameters in the saved network.
    pub total_params: usize,
    /// Size of `model.safetensors`.
    pub checkpoint_bytes: u64,
    /// Where it was trained.
    pub machine: Machine,
}

impl ModelCard {
    /// Checks that the figures are possible (accuracies in [0, 1], times and
    /// sizes not negative), so a damaged card never prints "-300%".
    pub fn check(&self) -> std::result::Result<(), String> {
        for (key, v) in [
            ("source_val_accuracy", self.source_val_accuracy),
            ("source_test_accuracy", self.source_test_accuracy),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{key} = {v} is not an accuracy in [0, 1]"));
            }
        }
        for (key, v) in [("wall_s", self.wall_s), ("cpu_s", self.cpu_s)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{key} = {v} is not a duration"));
            }
        }
        if self.rapl_energy_j.is_some_and(|j| !(j.is_finite() && j >= 0.0)) {
            return Err("rapl_energy_j is not an energy".into());
        }
        Ok(())
    }
}

/// A checkpoint ready for the reuse strategies: pretrained here (with its
/// model card) or given (a Hugging Face folder from a hub or zoo).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pretrained {
    /// The checkpoint folder.
    pub dir: PathBuf,
    /// For an in-house backbone, its model card: how it was made and what that cost.
    pub card: Option<ModelCard>,
    /// Whether an in-house checkpoint came from the cache (true) or was trained by this invocation.
    pub from_cache: bool,
    /// For a given model, what it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given: Option<GivenInfo>,
}

/// A given pretrained model as found on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GivenInfo {
    /// Its name where it comes from.
    pub name: String,
    /// Size of the weights file (what a download costs).
    pub weights_bytes: u64,
    /// The weights file in the folder when not `model.safetensors` (a zoo's `.pth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl Pretrained {
    /// The weights file.
    pub fn weights(&self) -> PathBuf {
        let file = self.given.as_ref().and_then(|g| g.file.as_deref());
        self.dir.join(file.unwrap_or(WEIGHTS_FILE))
    }
}

/// Helpers for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A plausible model card.
    pub(crate) fn card() -> ModelCard {
        ModelCard {
            schema_version: CARD_SCHEMA_VERSION,
            tool_version: crate::TOOL_VERSION.into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            recipe: PretrainRecipe {
                model: ModelSpec::default(),
                task: TaskSpec::default(),
                pretrain: PretrainSpec::default(),
            },
            source_train_examples: 1,
            source_val_accuracy: 0.5,
            source_test_accuracy: 0.5,
            epochs_run: 1,
            best_epoch: 1,
            wall_s: 1.0,
            cpu_s: 1.0,
            peak_rss_bytes: 1,
            rapl_energy_j: None,
            total_params: 1,
            checkpoint_bytes: 0,
            machine: Machine::default(),
        }
    }
}
