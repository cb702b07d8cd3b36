//! When in-house pretraining pays for itself: with pretraining cost P and a
//! per-task saving S of the best reuse option (without its pretraining share)
//! over scratch, from K = ceil(P / S) reusing tasks.

use super::verdict::{Change, Choice};
use crate::cost::CostAssumptions;
use crate::train::Strategy;

/// The K from which in-house pretraining pays (None: it never does) and the
/// change that says so; nothing when the backbone was not built in-house or
/// no reuse strategy reaches the target.
pub fn pretraining_payoff(cost: &CostAssumptions, options: &[Choice]) -> Option<(Option<u32>, Change)> {
    let p = cost.pretraining?;
    let reuse = options.iter().find(|o| o.strategy.uses_pretrained())?;
    let reuse_without = reuse.total_usd.mean - reuse.pretraining_usd;
    let Some(scratch) = options.iter().find(|o| o.strategy == Strategy::Scratch) else {
        return Some((
            Some(1),
            Change::PretrainingRequired {
                pretraining_usd: p.compute_usd,
            },
        ));
    };
    let saving = scratch.total_usd.mean - reuse_without;
    if saving <= 0.0 {
        return Some((
            None,
            Change::PretrainingNeverPays {
                pretraining_usd: p.compute_usd,
            },
        ));
    }
    let k = (p.compute_usd / saving).ceil().max(1.0);
    let k = if k > u32::MAX as f64 { u32::MAX } else { k as u32 };
    Some((
        Some(k),
        Change::PretrainingPaysOff {
            pretraining_usd: p.compute_usd,
            k,
            saving_usd: saving,
            strategy: reuse.strategy,
            assumed_k: cost.amortize_over_tasks,
        },
    ))
}
