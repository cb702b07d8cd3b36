//! Weights on disk: a network's parameters as a safetensors file, and a
//! pretrained backbone loaded into a new network by name.
//!
//! Our own checkpoints name every tensor after the module tree
//! (`backbone.fc1.weight`); Hugging Face files name an encoder's tensors bare
//! or under `bert.` ([`saved_names`]), so a given BERT loads the same way.

use crate::model::BACKBONE;
use crate::{fsio, Error, Result};
use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use std::collections::HashMap;
use std::path::Path;

/// File name of the weights in a checkpoint or model folder (ours and Hugging Face's).
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of a Hugging Face model's configuration.
pub const CONFIG_FILE: &str = "config.json";

/// Writes every parameter of `varmap` to `path` atomically; returns the file's size.
pub fn save_varmap(varmap: &VarMap, path: &Path) -> Result<u64> {
    let tensors: HashMap<String, Tensor> = varmap
        .data()
        .lock()
        .expect("var map lock poisoned")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect();
    save_tensors(&tensors, path)?;
    Ok(std::fs::metadata(path)
        .map_err(|e| Error::io("reading", path, e))?
        .len())
}

/// Writes named tensors to `path` as safetensors, atomically.
pub fn save_tensors(tensors: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    fsio::persist_atomic(path, |tmp| {
        candle_core::safetensors::save(tensors, tmp).map_err(|e| Error::Checkpoint {
            path: path.to_path_buf(),
            message: format!("cannot write tensors: {e}"),
        })
    })
}

/// The names a backbone parameter may have in a file: ours keep the
/// `backbone.` prefix; Hugging Face files name the encoder's tensors bare
/// (`embeddings.word_embeddings.weight`) or under `bert.`.
fn saved_names(name: &str) -> [String; 3] {
    let bare = name.strip_prefix(&format!("{BACKBONE}.")).unwrap_or(name);
    [name.to_string(), bare.to_string(), format!("bert.{bare}")]
}

/// Every tensor of a weights file by name: safetensors, or a PyTorch
/// checkpoint (`.pth`, `.pt`) read with [`super::pth`].
pub fn read_weights(path: &Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    let is_torch = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pth") || e.eq_ignore_ascii_case("pt"));
    if is_torch {
        let tensors = super::pth::read_pth(path)?;
        return tensors
            .into_iter()
            .map(|(name, t)| Ok((name, t.to_device(device)?)))
            .collect();
    }
    candle_core::safetensors::load(path, device).map_err(|e| Error::Checkpoint {
        path: path.to_path_buf(),
        message: format!("not a readable safetensors file ({e})"),
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
        return Err(fail("file not found".into()));
    }
    let tensors = read_weights(path, device)?;
    let vars = varmap.data().lock().expect("var map lock poisoned");
    let prefix = format!("{BACKBONE}.");
    let mut names: Vec<&String> = vars.keys().filter(|k| k.starts_with(&prefix)).collect();
    names.sort();
    for name in &names {
        let var = &vars[*name];
        let saved = saved_names(name).into_iter().find_map(|n| tensors.get(&n));
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
            "is corrupt ({e}); delete {} (the next run pretrains again), or run `reuse-bench pretrain --force` \
             with the same --suite (and --cache-dir, if you gave one)",
            dir.display()
        ),
    })?;
    Ok(())
}

/// Helpers for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::model::{init::seeded_init, ModelSpec, Network};
    use candle_core::DType;
    use candle_nn::VarBuilder;
    use std::path::PathBuf;

    /// Saves a seeded network of `spec` with a 5-class head into `dir`; returns the weights path.
    pub(crate) fn save_for_test(dir: &Path, spec: &ModelSpec) -> PathBuf {
        let vm = VarMap::new();
        Network::new(spec, 40, 5, 0, VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu)).unwrap();
        seeded_init(&vm, 123).unwrap();
        let path = dir.join(WEIGHTS_FILE);
        save_varmap(&vm, &path).unwrap();
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{init::seeded_init, Network};
    use crate::model::{Freeze, Mode, ModelSpec};
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
        let bytes = save_varmap(&src_vm, &dir.path().join(WEIGHTS_FILE)).unwrap();
        assert!(bytes > 0);

        // A new network with another head size and other initial weights.
        let (dst_vm, dst_net) = build(&spec, 3, 2);
        let n = load_backbone(&dst_vm, &dir.path().join(WEIGHTS_FILE), &Device::Cpu).unwrap();
        assert_eq!(n, 6, "3 conv layers x (weight, bias)");
        let x = Tensor::randn(0f32, 1.0, (4, 40), &Device::Cpu).unwrap();
        let features = |net: &Network| -> Vec<f32> {
            let f = net.backbone.features(&x, false).unwrap();
            f.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        };
        assert_eq!(features(&src_net), features(&dst_net));
        // The head stays as initialised (and has its own shape).
        assert_eq!(
            dst_net.forward(&x, Freeze::Nothing, Mode::Eval).unwrap().dims(),
            &[4, 3]
        );
    }

    #[test]
    fn misfit_and_corrupt_checkpoints_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (vm, _) = build(&ModelSpec::Cnn { channels: 4 }, 5, 1);
        save_varmap(&vm, &dir.path().join(WEIGHTS_FILE)).unwrap();
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
}
