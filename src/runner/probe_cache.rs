//! Cached embeddings for probes on a large frozen backbone.
//!
//! A probe never changes its backbone, so the backbone's features of an
//! example are the same in every epoch, run and seed. For a backbone like
//! MiniLM (about 30 ms per text on 2 cores) they are computed once per
//! dataset and cached: the rows of the pool that any of the suite's seeds can
//! draw (the budgets are nested, so the largest budget's rows cover every
//! run), plus validation and test. The first probe run pays for it in its
//! init phase; the others load the file.

use crate::data::splits::{budget_indices, ClassSplit};
use crate::data::Dataset;
use crate::suite::Suite;
use crate::train::{self, Strategy};
use crate::{fsio, Error, Result};
use candle_core::{Device, Tensor};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The frozen backbone's features of one run's examples.
pub struct ProbeFeatures {
    /// Features of the run's labelled examples `[n, dim]`.
    pub train: Tensor,
    /// Features of the validation split.
    pub val: Tensor,
    /// Features of the test split.
    pub test: Tensor,
    /// Parameters of the frozen backbone (for the run's total).
    pub backbone_params: usize,
}

/// The features of `train_rows` of the pool, validation and test, from the cache or computed and cached.
pub fn probe_features(
    suite: &Suite,
    checkpoint: &Path,
    cache_root: &Path,
    target: &ClassSplit,
    train_rows: &[usize],
    device: &Device,
) -> Result<ProbeFeatures> {
    let largest = *suite.train.budgets_per_class.iter().max().expect("validated non-empty");
    let mut rows: Vec<usize> = Vec::new();
    for &seed in &suite.train.seeds {
        rows.extend(budget_indices(&target.train, largest, seed)?);
    }
    rows.sort_unstable();
    rows.dedup();
    let path = cache_file(suite, checkpoint, cache_root, target, &rows)?;
    let cached = match candle_core::safetensors::load(&path, device) {
        Ok(t) => t,
        Err(_) => compute(suite, checkpoint, &path, &target.train.select(&rows), target, device)?,
    };
    let get = |name: &str| {
        cached.get(name).cloned().ok_or_else(|| Error::Checkpoint {
            path: path.clone(),
            message: format!("has no '{name}'; delete it and run again"),
        })
    };
    let positions: Vec<u32> = train_rows
        .iter()
        .map(|r| rows.binary_search(r).map(|p| p as u32))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::Invalid("a probe's examples are outside the cached rows".into()))?;
    let index = Tensor::from_vec(positions, train_rows.len(), device)?;
    Ok(ProbeFeatures {
        train: get("pool")?.index_select(&index, 0)?,
        val: get("val")?,
        test: get("test")?,
        backbone_params: get("backbone_params")?.to_vec1::<u32>()?[0] as usize,
    })
}

/// The cache file for these rows, this model and these weights.
fn cache_file(suite: &Suite, checkpoint: &Path, root: &Path, target: &ClassSplit, rows: &[usize]) -> Result<PathBuf> {
    let meta = std::fs::metadata(checkpoint).map_err(|e| Error::io("reading", checkpoint, e))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(&suite.model).expect("model specs serialise"));
    h.update(checkpoint.display().to_string());
    h.update(meta.len().to_le_bytes());
    h.update(modified.map_or(0, |d| d.as_nanos()).to_le_bytes());
    for d in [
        target.train.select(rows).digest(),
        target.val.digest(),
        target.test.digest(),
    ] {
        h.update(d);
    }
    let key: String = h.finalize().iter().take(10).map(|b| format!("{b:02x}")).collect();
    Ok(root.join("features").join(format!("{key}.safetensors")))
}

/// Runs the frozen backbone over the rows, validation and test; saves them atomically.
fn compute(
    suite: &Suite,
    checkpoint: &Path,
    path: &Path,
    rows: &Dataset,
    target: &ClassSplit,
    device: &Device,
) -> Result<HashMap<String, Tensor>> {
    let input_len = rows.feature_len;
    let classes = suite.task.target_classes.len();
    let model = train::prepare(
        &suite.model,
        input_len,
        classes,
        Strategy::Probe,
        0,
        Some(checkpoint),
        device,
    )?;
    let features = |ds: &Dataset| -> Result<Tensor> {
        let (x, _) = ds.to_tensors(device)?;
        let mut parts = Vec::new();
        for start in (0..ds.len()).step_by(model.eval_chunk.max(1)) {
            let len = model.eval_chunk.min(ds.len() - start);
            parts.push(model.network.features(&x.narrow(0, start, len)?)?);
        }
        Ok(Tensor::cat(&parts, 0)?)
    };
    let backbone_params = (model.total_params - model.trainable_params) as u32;
    let tensors: HashMap<String, Tensor> = [
        ("pool".to_string(), features(rows)?),
        ("val".to_string(), features(&target.val)?),
        ("test".to_string(), features(&target.test)?),
        ("backbone_params".to_string(), Tensor::new(&[backbone_params], device)?),
    ]
    .into_iter()
    .collect();
    let dir = path.parent().expect("cache files live in a folder");
    fsio::create_dir_all(dir)?;
    let partial = path.with_extension("partial");
    candle_core::safetensors::save(&tensors, &partial).map_err(|e| Error::Checkpoint {
        path: partial.clone(),
        message: format!("cannot write cached features: {e}"),
    })?;
    std::fs::rename(&partial, path).map_err(|e| Error::io("renaming to", path, e))?;
    Ok(tensors)
}
