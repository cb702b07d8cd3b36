//! The checkpoint cache: in-house pretrained backbones stored under a key of
//! their recipe, each a folder of `model.safetensors` and `model_card.json`,
//! so that suites with the same recipe share one pretraining.

use super::card::{ModelCard, PretrainRecipe};
use super::files::MODEL_CARD_JSON;
use crate::model::weights::{self, WEIGHTS_FILE};
use crate::{fsio, Error, Result};
use candle_nn::VarMap;
use std::path::{Path, PathBuf};

/// Where checkpoints are cached when no `--cache-dir` is given:
/// `$REUSE_BENCH_CACHE`, else `$XDG_CACHE_HOME/reuse-bench`, else `~/.cache/reuse-bench`.
pub fn default_cache_root() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("REUSE_BENCH_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|p| p.join("reuse-bench")))
        .or_else(|| var("HOME").map(|p| p.join(".cache").join("reuse-bench")))
        .unwrap_or_else(|| PathBuf::from(".reuse-bench-cache"))
}

/// The cache folder for `recipe` under `cache_root`.
pub fn cache_dir(cache_root: &Path, recipe: &PretrainRecipe) -> PathBuf {
    cache_root.join("checkpoints").join(recipe.key())
}

/// A cached checkpoint for `recipe`, if one exists and its card matches; a
/// card that exists but is damaged or implausible is an error naming it.
pub fn find_cached(cache_root: &Path, recipe: &PretrainRecipe) -> Result<Option<(PathBuf, ModelCard)>> {
    let dir = cache_dir(cache_root, recipe);
    if !dir.join(MODEL_CARD_JSON).exists() {
        return Ok(None);
    }
    let card = load_card(&dir)?;
    Ok((card.recipe == *recipe && dir.join(WEIGHTS_FILE).exists()).then_some((dir, card)))
}

/// Writes the weights and then the card into `dir`, each atomically; the
/// card records the weights' size. A card is only ever beside whole weights.
pub fn save(dir: &Path, varmap: &VarMap, card: &ModelCard) -> Result<ModelCard> {
    fsio::create_dir_all(dir)?;
    let mut card = card.clone();
    card.checkpoint_bytes = weights::save_varmap(varmap, &dir.join(WEIGHTS_FILE))?;
    fsio::write_atomic(
        &dir.join(MODEL_CARD_JSON),
        &serde_json::to_vec_pretty(&card).expect("card serialises"),
    )?;
    Ok(card)
}

/// Reads the model card of the checkpoint in `dir`.
pub fn load_card(dir: &Path) -> Result<ModelCard> {
    let path = dir.join(MODEL_CARD_JSON);
    let text = fsio::read_to_string(&path)?;
    let fix = format!("delete {} (reuse-bench pretrains again on the next run)", dir.display());
    let card: ModelCard = serde_json::from_str(&text).map_err(|e| Error::Checkpoint {
        path: path.clone(),
        message: format!("model card is not valid ({e}); {fix}"),
    })?;
    card.check().map_err(|problem| Error::Checkpoint {
        path,
        message: format!("model card is not plausible: {problem}; {fix}"),
    })?;
    Ok(card)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{init::seeded_init, ModelSpec, Network};
    use crate::results::card::tests_support::card;
    use candle_core::{DType, Device};
    use candle_nn::VarBuilder;

    #[test]
    fn an_implausible_card_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = card();
        c.source_test_accuracy = -3.0;
        std::fs::write(dir.path().join(MODEL_CARD_JSON), serde_json::to_vec(&c).unwrap()).unwrap();
        let err = load_card(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("source_test_accuracy") && err.contains(MODEL_CARD_JSON),
            "{err}"
        );
    }

    #[test]
    fn cache_lookup_requires_matching_recipe() {
        let root = tempfile::tempdir().unwrap();
        let c = card();
        let vm = VarMap::new();
        let spec = ModelSpec::Cnn { channels: 4 };
        Network::new(&spec, 40, 5, 0, VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu)).unwrap();
        seeded_init(&vm, 1).unwrap();
        let saved = save(&cache_dir(root.path(), &c.recipe), &vm, &c).unwrap();
        assert!(saved.checkpoint_bytes > 0);
        let (_, found) = find_cached(root.path(), &c.recipe).unwrap().unwrap();
        assert_eq!(found, saved);
        let mut other = c.recipe.clone();
        other.pretrain.epochs += 1;
        assert!(find_cached(root.path(), &other).unwrap().is_none());
        assert_ne!(other.key(), c.recipe.key());
    }
}
