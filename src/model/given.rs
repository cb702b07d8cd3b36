//! A pretrained model obtained elsewhere (a hub, a zoo) as a folder in
//! Hugging Face layout, and the check that it fits the suite's model before
//! any run starts.

use super::bert::BertConfig;
use super::weights::{CONFIG_FILE, WEIGHTS_FILE};
use super::ModelSpec;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The suite's `[pretrained]`: a folder holding the weights (`model.safetensors`,
/// or the zoo's PyTorch checkpoint named by `file`) and, for BERT, `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GivenModel {
    /// The folder holding the files.
    pub dir: PathBuf,
    /// Its name where it comes from, e.g. `sentence-transformers/all-MiniLM-L6-v2`.
    pub name: String,
    /// The weights file in `dir` when not `model.safetensors`: a PyTorch
    /// checkpoint (`.pth`, `.pt`; zip or legacy format) is read as it is,
    /// so a zoo model needs no conversion step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl GivenModel {
    /// The weights file: `file` in `dir`, else `model.safetensors`.
    pub fn weights(&self) -> PathBuf {
        self.dir.join(self.file.as_deref().unwrap_or(WEIGHTS_FILE))
    }

    /// Checks the folder: its weights exist and its `config.json` describes
    /// `model` (dropout aside), so the checkpoint fits before any run starts.
    /// Returns the size of the weights, what a download of it costs.
    pub fn check(&self, model: &ModelSpec) -> Result<u64> {
        let weights = self.weights();
        let weights_bytes = std::fs::metadata(&weights)
            .map_err(|_| Error::Checkpoint {
                path: weights.clone(),
                message: format!(
                    "not found: [pretrained] dir must hold the weights ({}; for BERT also config.json). `bash \
                     .ci/fetch-data.sh data` fetches the built-in suites' models",
                    self.file.as_deref().unwrap_or(WEIGHTS_FILE)
                ),
            })?
            .len();
        if let ModelSpec::Bert(expected) = model {
            let config_path = self.dir.join(CONFIG_FILE);
            let found = BertConfig::load(&config_path)?;
            let same = BertConfig {
                hidden_dropout_prob: expected.hidden_dropout_prob,
                attention_probs_dropout_prob: expected.attention_probs_dropout_prob,
                ..found.clone()
            };
            if &same != expected {
                return Err(Error::Checkpoint {
                    path: config_path,
                    message: format!(
                        "describes another model than the suite's [model] (found {found:?}); copy its sizes into the \
                         suite"
                    ),
                });
            }
        }
        Ok(weights_bytes)
    }
}

/// The side `init` resizes images to for MobileNetV2: ImageNet's 224 costs
/// 12x the arithmetic; 64 keeps a suite on 2 cores within minutes.
pub const MOBILENET_IMAGE_SIZE: usize = 64;

impl GivenModel {
    /// Which of the architectures reuse-bench builds the given weights are,
    /// from the tensors they hold: torchvision's MobileNetV2 (its last 1x1
    /// convolution, `features.18.0.weight` `[1280, 320, 1, 1]`), or a BERT
    /// described by the folder's `config.json`. `init` writes the suite's
    /// `[model]` from this. A Hugging Face folder (no `file`) is read by its
    /// `config.json` alone; a named weights file by its tensors first, so a
    /// stray `config.json` beside a zoo checkpoint does not decide.
    pub fn recognise(&self) -> Result<ModelSpec> {
        let weights = self.weights();
        let config = self.dir.join(super::weights::CONFIG_FILE);
        let bert = || -> Result<ModelSpec> { Ok(ModelSpec::Bert(BertConfig::load(&config)?)) };
        if self.file.is_none() && config.is_file() {
            return bert();
        }
        let tensors = super::weights::read_weights(&weights, &candle_core::Device::Cpu)?;
        let last = ["features.18.0.weight", "backbone.features.18.0.weight"]
            .iter()
            .find_map(|n| tensors.get(*n));
        match last {
            Some(t) if t.dims() == [super::mobilenet::FEATURES, 320, 1, 1] => Ok(ModelSpec::MobileNetV2 {
                image_size: MOBILENET_IMAGE_SIZE,
            }),
            _ if config.is_file() => bert(),
            _ => Err(Error::Checkpoint {
                path: weights,
                message: "is no architecture reuse-bench builds: it knows torchvision's MobileNetV2 (tensors named \
                          features.N...) and BERT (a folder with config.json)"
                    .into(),
            }),
        }
    }
}
