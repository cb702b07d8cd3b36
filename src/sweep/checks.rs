//! Everything that can be checked once is checked in the parent before any
//! worker starts, so a bad file or setting costs seconds, not a sweep of
//! failed runs: the instance's price, the target data (read and split, every
//! budget drawable), the source data when a backbone must be pretrained, and a
//! given model's files (they load into the suite's architecture, tensor by tensor).

use super::SweepOptions;
use crate::cost::CostAssumptions;
use crate::data::splits::{budget_indices, ClassSplit};
use crate::results::checkpoints::find_cached;
use crate::train::{prepare, Strategy};
use crate::{Error, Result};
use candle_core::Device;

/// Runs every check; the first failure is the error. Returns the target
/// task's splits it built, for the workers to share.
pub fn before_running(opts: &SweepOptions) -> Result<ClassSplit> {
    let suite = &opts.suite;
    CostAssumptions::resolve(&suite.cost, &opts.catalog, None)?;
    suite.task.check_target()?;
    let target = suite.task.target_task()?;
    let largest = *suite.train.budgets_per_class.iter().max().expect("validated non-empty");
    for &seed in &suite.train.seeds {
        budget_indices(&target.train, largest, seed)?;
    }
    if !suite.needs_pretrained() {
        return Ok(target);
    }
    match &suite.pretrained {
        Some(given) => {
            given.check(&suite.model)?;
            // Load it into the suite's network: names every missing or misfit tensor.
            let weights = given.weights();
            let plan = Strategy::Finetune.plan(
                &suite.model,
                target.train.feature_len,
                suite.task.target_classes.len(),
                0,
                Some(&weights),
            )?;
            prepare(&plan, &Device::Cpu).map_err(|e| match e {
                Error::Checkpoint { path, message } => Error::Checkpoint {
                    path,
                    message: format!(
                        "{message}; the given model [pretrained] {} must match the suite's [model]: fetch it again \
                         or fix the suite (for all-MiniLM-L6-v2, `bash .ci/fetch-data.sh DIR minilm` fetches it)",
                        given.name
                    ),
                },
                other => other,
            })?;
        }
        None if find_cached(&opts.cache_root, &suite.pretrain_recipe())?.is_none() => {
            suite.task.check_source()?;
        }
        None => {}
    }
    Ok(target)
}
