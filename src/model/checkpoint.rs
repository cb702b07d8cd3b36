//! Checkpoints: the weights as safetensors plus a JSON model card that says
//! how they were made and what that cost.
//!
//! A checkpoint folder holds `model.safetensors` and `model_card.json`. The
//! card's [`PretrainRecipe`] is what a run compares to decide whether a cached
//! checkpoint fits its suite; the measured wall time, CPU time and peak memory
//! are the price of building the backbone in-house.

use crate::measure::machine::Machine;
use crate::model::{ModelSpec, BACKBONE};
use crate::suite::{PretrainSpec, Suite, TaskSpec};
use crate::{fsio, Error, Result};
use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// File name of the weights in a checkpoint folder.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the model card in a checkpoint folder.
pub const CARD_FILE: &str = "model_card.json";
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
    /// The recipe a suite's reuse strategies need.
    pub fn of(suite: &Suite) -> Self {
        PretrainRecipe {
            model: suite.model.clone(),
            task: suite.task.clone(),
            pretrain: suite.pretrain.clone(),
        }
    }

    /// A short stable key (SHA-256 of the recipe's JSON), used as the cache folder name.
    pub fn key(&self) -> String {
        let json = serde_json::to_vec(self).expect("a recipe always serialises");
        let digest = Sha256::digest(&json);
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
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

/// Writes the weights and the card into `dir`, each atomically.
pub fn save(dir: &Path, varmap: &VarMap, card: &ModelCard) -> Result<()> {
    fsio::create_dir_all(dir)?;
    let tensors: HashMap<String, Tensor> = varmap
        .data()
        .lock()
        .expect("var map lock poisoned")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect();
    let weights = dir.join(WEIGHTS_FILE);
    let tmp = dir.join(format!("{WEIGHTS_FILE}.partial"));
    candle_core::safetensors::save(&tensors, &tmp).map_err(|e| Error::Checkpoint {
        path: tmp.clone(),
        message: format!("cannot write weights: {e}"),
    })?;
    std::fs::rename(&tmp, &weights).map_err(|e| Error::io("renaming to", &weights, e))?;
    let mut card = card.clone();
    card.checkpoint_bytes = std::fs::metadata(&weights)
        .map_err(|e| Error::io("reading", &weights, e))?
        .len();
    fsio::write_atomic(
        &dir.join(CARD_FILE),
        &serde_json::to_vec_pretty(&card).expect("card serialises"),
    )
}

/// Reads the model card of the checkpoint in `dir`.
pub fn load_card(dir: &Path) -> Result<ModelCard> {
    let path = dir.join(CARD_FILE);
    let text = fsio::read_to_string(&path)?;
    serde_json::from_str(&text).map_err(|e| Error::Checkpoint {
        path,
        message: format!("model card is not valid ({e}); delete the folder and pretrain again"),
    })
}

/// Copies every `backbone.*` tensor of the safetensors file at `path` into the
/// matching parameter of `varmap`, leaving the head as initialised. Fails,
/// naming the tensor, when the file lacks one or its shape differs.
pub fn load_backbone(varmap: &VarMap, path: &Path, device: &Device) -> Result<usize> {
    let fail = |message: String| Error::Checkpoint {
        path: path.to_path_buf(),
        message,
    };
    if !path.exists() {
        return Err(fail(
            "file not found; run `reuse-bench pretrain` or point --checkpoint at a folder holding model.safetensors"
                .into(),
        ));
    }
    let tensors = candle_core::safetensors::load(path, device).map_err(|e| {
        fail(format!(
            "not a readable safetensors file ({e}); delete it and pretrain again"
        ))
    })?;
    let vars = varmap.data().lock().expect("var map lock poisoned");
    let prefix = format!("{BACKBONE}.");
    let mut names: Vec<&String> = vars.keys().filter(|k| k.starts_with(&prefix)).collect();
    names.sort();
    for name in &names {
        let var = &vars[*name];
        // Our own checkpoints keep the `backbone.` prefix; Hugging Face files name the
        // encoder's tensors bare (`embeddings.word_embeddings.weight`) or under `bert.`.
        let bare = &name[prefix.len()..];
        let saved = [name.to_string(), bare.to_string(), format!("bert.{bare}")]
            .into_iter()
            .find_map(|n| tensors.get(&n));
        let saved = saved.ok_or_else(|| {
            fail(format!(
                "has no tensor '{name}': it was saved for another architecture than this suite's model"
            ))
        })?;
        if saved.dims() != var.dims() {
            return Err(fail(format!(
                "tensor '{name}' has shape {:?} but the model needs {:?}: the checkpoint does not fit this model",
                saved.dims(),
                var.dims()
            )));
        }
        var.set(&saved.to_dtype(var.dtype())?)?;
    }
    Ok(names.len())
}

/// Checks that the weights file of the checkpoint in `dir` exists and is a
/// readable safetensors file, so a damaged cache is caught before a sweep.
pub fn verify(dir: &Path) -> Result<()> {
    let path = dir.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&path).map_err(|e| Error::io("reading", &path, e))?;
    safetensors::SafeTensors::deserialize(&bytes).map_err(|e| Error::Checkpoint {
        path: path.clone(),
        message: format!(
            "is corrupt ({e}); delete {} or run `reuse-bench pretrain --force` to train it again",
            dir.display()
        ),
    })?;
    Ok(())
}

/// The cache folder for `recipe` under `cache_root`.
pub fn cache_dir(cache_root: &Path, recipe: &PretrainRecipe) -> PathBuf {
    cache_root.join("checkpoints").join(recipe.key())
}

/// A cached checkpoint for `recipe`, if one exists and its card matches.
pub fn find_cached(cache_root: &Path, recipe: &PretrainRecipe) -> Option<(PathBuf, ModelCard)> {
    let dir = cache_dir(cache_root, recipe);
    let card = load_card(&dir).ok()?;
    (card.recipe == *recipe && dir.join(WEIGHTS_FILE).exists()).then_some((dir, card))
}

/// Helpers for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::model::{init::seeded_init, Network};
    use candle_core::DType;
    use candle_nn::VarBuilder;

    /// Saves a seeded network of `spec` with a 5-class head into `dir`; returns the weights path.
    pub(crate) fn save_for_test(dir: &Path, spec: &ModelSpec) -> PathBuf {
        let vm = VarMap::new();
        Network::new(spec, 40, 5, 0, VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu)).unwrap();
        seeded_init(&vm, 123).unwrap();
        let tensors: HashMap<String, Tensor> = vm
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
            .collect();
        let path = dir.join(WEIGHTS_FILE);
        candle_core::safetensors::save(&tensors, &path).unwrap();
        path
    }

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

#[cfg(test)]
mod tests {
    use super::tests_support::card;
    use super::*;
    use crate::model::{init::seeded_init, Network};
    use candle_core::DType;
    use candle_nn::VarBuilder;

    fn build(spec: &ModelSpec, classes: usize, seed: u64) -> (VarMap, Network) {
        let vm = VarMap::new();
        let net = Network::new(
            spec,
            40,
            classes,
            0,
            VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu),
        )
        .unwrap();
        seeded_init(&vm, seed).unwrap();
        (vm, net)
    }

    #[test]
    fn backbone_round_trip_gives_same_features() {
        let spec = ModelSpec::Cnn { channels: 4 };
        let dir = tempfile::tempdir().unwrap();
        let (src_vm, src_net) = build(&spec, 5, 1);
        save(dir.path(), &src_vm, &card()).unwrap();
        let loaded = load_card(dir.path()).unwrap();
        assert!(loaded.checkpoint_bytes > 0);

        // A new network with another head size and other initial weights.
        let (dst_vm, dst_net) = build(&spec, 3, 2);
        let n = load_backbone(&dst_vm, &dir.path().join(WEIGHTS_FILE), &Device::Cpu).unwrap();
        assert_eq!(n, 6, "3 conv layers x (weight, bias)");
        let x = Tensor::randn(0f32, 1.0, (4, 40), &Device::Cpu).unwrap();
        let a = src_net
            .backbone
            .features(&x, false)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let b = dst_net
            .backbone
            .features(&x, false)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(a, b);
        // The head stays as initialised (and has its own shape).
        assert_eq!(dst_net.forward(&x, false, false).unwrap().dims(), &[4, 3]);
    }

    #[test]
    fn misfit_and_corrupt_checkpoints_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (vm, _) = build(&ModelSpec::Cnn { channels: 4 }, 5, 1);
        save(dir.path(), &vm, &card()).unwrap();
        let weights = dir.path().join(WEIGHTS_FILE);

        let (wider, _) = build(&ModelSpec::Cnn { channels: 8 }, 5, 1);
        let err = load_backbone(&wider, &weights, &Device::Cpu).unwrap_err().to_string();
        assert!(
            err.contains("does not fit") && err.contains("model.safetensors"),
            "{err}"
        );

        let (mlp, _) = build(&ModelSpec::Mlp { hidden: 8, depth: 1 }, 5, 1);
        let err = load_backbone(&mlp, &weights, &Device::Cpu).unwrap_err().to_string();
        assert!(err.contains("another architecture"), "{err}");

        std::fs::write(&weights, b"not safetensors").unwrap();
        let err = load_backbone(&vm, &weights, &Device::Cpu).unwrap_err().to_string();
        assert!(err.contains("not a readable safetensors"), "{err}");

        let err = load_backbone(&vm, &dir.path().join("missing.safetensors"), &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not found"), "{err}");
    }

    #[test]
    fn cache_lookup_requires_matching_recipe() {
        let root = tempfile::tempdir().unwrap();
        let c = card();
        let (vm, _) = build(&ModelSpec::Cnn { channels: 4 }, 5, 1);
        save(&cache_dir(root.path(), &c.recipe), &vm, &c).unwrap();
        assert!(find_cached(root.path(), &c.recipe).is_some());
        let mut other = c.recipe.clone();
        other.pretrain.epochs += 1;
        assert!(find_cached(root.path(), &other).is_none());
        assert_ne!(other.key(), c.recipe.key());
    }
}
