//! The pretrained backbone: reuse a cached checkpoint whose card matches the
//! suite, or pretrain one in a worker process and cache it.

use super::job::{Job, JobOutput};
use super::spawn::WorkerCommand;
use crate::model::checkpoint::{self, ModelCard, PretrainRecipe, WEIGHTS_FILE};
use crate::suite::Suite;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A checkpoint ready for the reuse strategies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pretrained {
    /// The checkpoint folder.
    pub dir: PathBuf,
    /// Its model card: how it was made and what that cost.
    pub card: ModelCard,
    /// Whether it came from the cache (true) or was trained by this invocation.
    pub from_cache: bool,
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
                card,
                from_cache: true,
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
                card: *card,
                from_cache: false,
            })
        }
        Ok(other) => Err(Error::Worker(format!("pretraining worker answered {other:?}"))),
        Err(message) => Err(Error::Worker(format!("pretraining failed: {message}"))),
    }
}
