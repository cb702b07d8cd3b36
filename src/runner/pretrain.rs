//! The pretrained backbone: reuse a cached checkpoint whose card matches the
//! suite, or pretrain one in a worker process and cache it.

use super::job::{Job, JobOutput};
use super::spawn::WorkerCommand;
use crate::model::weights;
use crate::results::checkpoints::{cache_dir, find_cached};
use crate::results::{GivenInfo, Pretrained};
use crate::suite::{GivenModel, Suite};
use crate::{Error, Result};
use std::path::Path;

/// Returns the suite's pretrained checkpoint, training it first (in a worker
/// process, so its peak memory is its own) when the cache holds none whose
/// card matches, or when `force` is set. `say` receives one line saying which.
pub fn ensure(
    suite: &Suite,
    cache_root: &Path,
    device: &str,
    worker: &WorkerCommand,
    force: bool,
    stop: &dyn Fn() -> bool,
    say: &mut dyn FnMut(&str),
) -> Result<Pretrained> {
    if let Some(given) = &suite.pretrained {
        return given_model(suite, given, say);
    }
    let recipe = suite.pretrain_recipe();
    if !force {
        if let Some((dir, card)) = find_cached(cache_root, &recipe)? {
            weights::verify(&dir)?;
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
    let dir = cache_dir(cache_root, &recipe);
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
    let result = worker.execute(&job, stop)?;
    if result.stopped {
        return Err(Error::Interrupted {
            signal: "a signal",
            exit_code: 130,
        });
    }
    match result.output {
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

/// The suite's given model, checked.
fn given_model(suite: &Suite, given: &GivenModel, say: &mut dyn FnMut(&str)) -> Result<Pretrained> {
    let weights_bytes = given.check(&suite.model)?;
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
            file: given.file.clone(),
        }),
    })
}
