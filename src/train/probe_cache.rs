//! Cached embeddings for probes on a large frozen backbone.
//!
//! A probe never changes its backbone, so the backbone's features of an
//! example are the same in every epoch, run and seed. For a backbone like
//! MiniLM (about 30 ms per text on 2 cores) they are computed once per
//! dataset and cached: the rows of the pool that any of the suite's seeds can
//! draw (the budgets are nested, so the largest budget's rows cover every
//! run), plus validation and test. The first probe run pays for it in its
//! init phase; the others load the file.

use super::eval_batches::{eval_batches, inverse_order};
use super::{prepare, Strategy, TrainSpec};
use crate::data::splits::{budget_indices, ClassSplit};
use crate::data::Dataset;
use crate::model::weights::save_tensors;
use crate::model::ModelSpec;
use crate::{fsio, Error, Result};
use candle_core::{Device, Tensor};
use sha2::Digest;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a cached probe needs to know about its suite.
#[derive(Debug, Clone, Copy)]
pub struct ProbeSetup<'a> {
    /// The backbone's architecture.
    pub model: &'a ModelSpec,
    /// The sweep (its largest budget and seeds fix which pool rows are cached).
    pub train: &'a TrainSpec,
    /// The pretrained weights file.
    pub checkpoint: &'a Path,
    /// Root of the cache (features live under `features/`).
    pub cache_root: &'a Path,
}

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
    setup: &ProbeSetup,
    target: &ClassSplit,
    train_rows: &[usize],
    device: &Device,
) -> Result<ProbeFeatures> {
    let largest = *setup.train.budgets_per_class.iter().max().expect("validated non-empty");
    let mut rows: Vec<usize> = Vec::new();
    for &seed in &setup.train.seeds {
        rows.extend(budget_indices(&target.train, largest, seed)?);
    }
    rows.sort_unstable();
    rows.dedup();
    let path = cache_file(setup, target, &rows)?;
    let cached = match candle_core::safetensors::load(&path, device) {
        Ok(t) => t,
        Err(_) => compute(setup, &path, &target.train.select(&rows), target, device)?,
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
        .map_err(|_| Error::Checkpoint {
            path: path.clone(),
            message: "a probe's examples are outside the cached rows; delete the file and run again".into(),
        })?;
    let index = Tensor::from_vec(positions, train_rows.len(), device)?;
    Ok(ProbeFeatures {
        train: get("pool")?.index_select(&index, 0)?,
        val: get("val")?,
        test: get("test")?,
        backbone_params: get("backbone_params")?.to_vec1::<u32>()?[0] as usize,
    })
}

/// The cache file for these rows, this model and these weights.
fn cache_file(setup: &ProbeSetup, target: &ClassSplit, rows: &[usize]) -> Result<PathBuf> {
    let checkpoint = setup.checkpoint;
    let meta = std::fs::metadata(checkpoint).map_err(|e| Error::io("reading", checkpoint, e))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    let key = crate::digest::short_hex(10, |h| {
        h.update(serde_json::to_vec(setup.model).expect("model specs serialise"));
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
    });
    Ok(setup.cache_root.join("features").join(format!("{key}.safetensors")))
}

/// Runs the frozen backbone over the rows, validation and test; saves them atomically.
fn compute(
    setup: &ProbeSetup,
    path: &Path,
    rows: &Dataset,
    target: &ClassSplit,
    device: &Device,
) -> Result<HashMap<String, Tensor>> {
    let classes = target.val.class_counts().len();
    let plan = Strategy::Probe.plan(setup.model, rows.feature_len, classes, 0, Some(setup.checkpoint))?;
    let model = prepare(&plan, device)?;
    let features = |ds: &Dataset| -> Result<Tensor> {
        let (x, _) = ds.to_tensors(device)?;
        let batches = eval_batches(&x, model.eval_chunk, model.network.padding_id())?;
        let parts = batches
            .iter()
            .map(|b| Ok(model.network.features(&b.inputs(&x)?)?))
            .collect::<Result<Vec<_>>>()?;
        let features = Tensor::cat(&parts, 0)?;
        Ok(match inverse_order(&batches)? {
            Some(inverse) => features.index_select(&inverse, 0)?,
            None => features,
        })
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
    fsio::create_dir_all(path.parent().expect("cache files live in a folder"))?;
    save_tensors(&tensors, path)?;
    Ok(tensors)
}
