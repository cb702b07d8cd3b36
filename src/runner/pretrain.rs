//! The pretrained backbone: reuse a cached checkpoint whose card matches the
//! suite, or pretrain one in a worker process and cache it.

use super::job::{Job, JobOutput};
use super::spawn::WorkerCommand;
use crate::model::bert::BertConfig;
use crate::model::checkpoint::{self, ModelCard, PretrainRecipe, WEIGHTS_FILE};
use crate::model::ModelSpec;
use crate::suite::{GivenModel, Suite};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
    /// Size of `model.safetensors` (what a download costs).
    pub weights_bytes: u64,
}

impl Pretrained {
    /// The weights file.
    pub fn weights(&self) -> PathBuf {
        self.dir.join(WEIGHTS_FILE)
    }
}

/// Where checkpoints are cached when no `--cache-dir` is given:
/// `$REUSE_BENCH_CACHE`, else `$XDG_CACHE_HOME/reuse-bench`, else `~/.cache/reuse-bench`.
pub fn default_cache_root() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("REUSE_BENCH_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|p| p.join("reuse-bench")))
        .or_else(|| var("HOME").map(|p| p.join(".cache").join("reuse-bench")))
        .unwrap_or_else(|| PathBuf::from(".reuse-bench-cache"))
}

/// Returns the suite's pretrained checkpoint, training it first (in a worker
/// process, so its peak memory is its own) when the cache holds none whose
/// card matches, or when `force` is set. `say` receives one line saying which.
pub fn ensure(
    suite: &Suite,
    cache_root: &Path,
    device: &str,
    worker: &WorkerCommand,
    force: bool,
    say: &mut dyn FnMut(&str),
) -> Result<Pretrained> {
    if let Some(given) = &suite.pretrained {
        return given_model(suite, given, say);
    }
    let recipe = PretrainRecipe::of(suite);
    if !force {
        if let Some((dir, card)) = checkpoint::find_cached(cache_root, &recipe) {
            checkpoint::verify(&dir)?;
            say(&format!(
                "using cached pretrained backbone {} (source test accuracy {:.1}%, pretraining took {:.1} s)",
                dir.display(),
                card.source_test_accuracy * 100.0,
                card.wall_s
            ));
            return Ok(Pretrained {
                dir,
                card: Some(card),
                from_cache: true,
                given: None,
            });
        }
    }
    let dir = checkpoint::cache_dir(cache_root, &recipe);
    say(&format!(
        "{}: pretraining the backbone on classes {:?} first ({} epochs at most); it is cached in {}",
        if force {
            "--force given"
        } else {
            "no cached checkpoint matches this suite"
        },
        suite.task.source_classes,
        suite.pretrain.epochs,
        dir.display()
    ));
    let job = Job::Pretrain {
        suite: suite.clone(),
        out_dir: dir.clone(),
        device: device.to_string(),
    };
    match worker.execute(&job)?.output {
        Ok(JobOutput::Pretrain { card }) => {
            say(&format!(
                "pretrained in {:.1} s: source test accuracy {:.1}%",
                card.wall_s,
                card.source_test_accuracy * 100.0
            ));
            Ok(Pretrained {
                dir,
                card: Some(*card),
                from_cache: false,
                given: None,
            })
        }
        Ok(other) => Err(Error::Worker(format!("pretraining worker answered {other:?}"))),
        Err(message) => Err(Error::Worker(format!("pretraining failed: {message}"))),
    }
}

/// Checks a given model's folder: its weights exist and its `config.json`
/// describes the suite's model, so the checkpoint fits before any run starts.
/// Returns the size of the weights.
pub fn check_given(suite: &Suite, given: &GivenModel) -> Result<u64> {
    let weights = given.dir.join(WEIGHTS_FILE);
    let weights_bytes = std::fs::metadata(&weights)
        .map_err(|_| Error::Checkpoint {
            path: weights.clone(),
            message: format!(
                "not found: [pretrained] dir must hold config.json and model.safetensors (for {}, `bash \
                 .ci/fetch-data.sh DIR minilm` fetches them)",
                given.name
            ),
        })?
        .len();
    if let ModelSpec::Bert(expected) = &suite.model {
        let config_path = given.dir.join("config.json");
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
                    "describes another model than the suite's [model] (found {found:?}); copy its sizes into the suite"
                ),
            });
        }
    }
    Ok(weights_bytes)
}

/// The suite's given model, checked.
fn given_model(suite: &Suite, given: &GivenModel, say: &mut dyn FnMut(&str)) -> Result<Pretrained> {
    let weights_bytes = check_given(suite, given)?;
    say(&format!(
        "using the given pretrained model {} from {} ({:.1} MB of weights)",
        given.name,
        given.dir.display(),
        weights_bytes as f64 / 1e6
    ));
    Ok(Pretrained {
        dir: given.dir.clone(),
        card: None,
        from_cache: false,
        given: Some(GivenInfo {
            name: given.name.clone(),
            weights_bytes,
        }),
    })
}
