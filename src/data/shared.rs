//! The target task's splits in a file the sweep writes once and every worker
//! reads, instead of each worker generating (MNIST-1D) or tokenizing (text)
//! the whole dataset again. The file is named by a digest of its content, so
//! it can never be stale, and sweeps that build the same data share it.

use super::splits::ClassSplit;
use super::Dataset;
use crate::{fsio, Error, Result};
use candle_core::{DType, Device};
use sha2::Digest;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The three parts of a split, as the file names them.
const PARTS: [&str; 3] = ["train", "val", "test"];

/// Writes `split` under `dir` (created if needed) unless a file of the same
/// content is there; returns its path.
pub fn save(split: &ClassSplit, dir: &Path) -> Result<PathBuf> {
    let key = crate::digest::short_hex(16, |h| {
        for ds in parts(split) {
            h.update(ds.digest());
            h.update((ds.len() as u64).to_le_bytes());
        }
    });
    let path = dir.join(format!("{key}.safetensors"));
    if path.is_file() {
        return Ok(path);
    }
    fsio::create_dir_all(dir)?;
    let mut tensors = HashMap::new();
    for (name, ds) in PARTS.iter().zip(parts(split)) {
        let (x, y) = ds.to_tensors(&Device::Cpu)?;
        tensors.insert(format!("{name}.features"), x);
        tensors.insert(format!("{name}.labels"), y);
    }
    fsio::persist_atomic(&path, |tmp| {
        candle_core::safetensors::save(&tensors, tmp)
            .map_err(|e| Error::data(path.display(), format!("cannot write the shared task data: {e}")))
    })?;
    Ok(path)
}

/// Reads a split written by [`save`].
pub fn load(path: &Path) -> Result<ClassSplit> {
    let fail = |message: String| Error::data(path.display(), message);
    let tensors = candle_core::safetensors::load(path, &Device::Cpu)
        .map_err(|e| fail(format!("not readable shared task data ({e}); delete it and run again")))?;
    let part = |name: &str| -> Result<Dataset> {
        let get = |key: String| {
            tensors
                .get(&key)
                .cloned()
                .ok_or_else(|| fail(format!("has no '{key}'; delete it and run again")))
        };
        let x = get(format!("{name}.features"))?.to_dtype(DType::F32)?;
        let y = get(format!("{name}.labels"))?;
        let (rows, feature_len) = x.dims2()?;
        let labels = y.to_vec1::<u32>()?;
        if labels.len() != rows {
            return Err(fail(format!("'{name}' has {rows} rows but {} labels", labels.len())));
        }
        Ok(Dataset {
            features: x.flatten_all()?.to_vec1::<f32>()?,
            labels,
            feature_len,
        })
    };
    Ok(ClassSplit {
        train: part(PARTS[0])?,
        val: part(PARTS[1])?,
        test: part(PARTS[2])?,
    })
}

fn parts(split: &ClassSplit) -> [&Dataset; 3] {
    [&split.train, &split.val, &split.test]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TaskSpec;

    #[test]
    fn round_trip_is_exact_and_content_addressed() {
        let spec = TaskSpec {
            samples_per_class: 120,
            target_val_per_class: 10,
            target_test_per_class: 20,
            ..TaskSpec::default()
        };
        let split = spec.target_task().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = save(&split, dir.path()).unwrap();
        assert_eq!(save(&split, dir.path()).unwrap(), path, "same content, same file");
        let back = load(&path).unwrap();
        for (a, b) in parts(&split).iter().zip(parts(&back)) {
            assert_eq!(*a, b, "bit for bit");
        }
        let other = TaskSpec { seed: 7, ..spec }.target_task().unwrap();
        assert_ne!(save(&other, dir.path()).unwrap(), path);
        std::fs::write(&path, b"garbage").unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(
            err.contains(&path.display().to_string()) && err.contains("delete it"),
            "{err}"
        );
    }
}
