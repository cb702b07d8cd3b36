//! From stored runs to the `results.json` document: the analysis of the runs
//! a folder holds, marked partial when they are not the whole suite. A
//! finished sweep, an interrupted one, `report` on a folder without
//! `results.json`, and `merge` all assemble their results here.

use crate::analysis::{analyse, Partial, PartialReason, Provenance, Results};
use crate::cost::Catalog;
use crate::results::{RunRecord, SweepManifest};
use crate::suite::Suite;
use crate::train::run_matrix;
use crate::Result;

/// The runs of a folder (or of merged folders) and what they belong to.
pub struct Stored<'a> {
    /// The suite as run.
    pub suite: &'a Suite,
    /// What the folder was meant to hold.
    pub manifest: &'a SweepManifest,
    /// The runs, in any order (they are put in matrix order).
    pub runs: Vec<RunRecord>,
    /// The price catalog.
    pub catalog: &'a Catalog,
    /// Wall seconds the sweep took, as far as known.
    pub sweep_wall_s: f64,
}

/// Analyses the stored runs into the results document.
pub fn assemble(stored: Stored) -> Result<Results> {
    let Stored {
        suite,
        manifest,
        mut runs,
        catalog,
        sweep_wall_s,
    } = stored;
    let order: Vec<String> = run_matrix(&suite.train).iter().map(|r| r.run_id()).collect();
    runs.sort_by_key(|r| order.iter().position(|id| *id == r.run_id).unwrap_or(usize::MAX));
    let pretrained = manifest.pretrained.clone();
    let analysis = analyse(suite, &runs, pretrained.as_ref().and_then(|p| p.card.as_ref()), catalog)?;
    let partial = partial(manifest, runs.len(), order.len());
    Ok(Results::new(
        Provenance {
            tool_version: manifest.tool_version.clone(),
            command: manifest.command.clone(),
            suite: suite.clone(),
            machine: manifest.machine.clone(),
            pretrained,
            sweep_wall_s,
            partial,
            repriced: None,
        },
        analysis,
    ))
}

/// Whether `done` runs of a suite of `in_suite` are the whole suite, and if not, why.
fn partial(manifest: &SweepManifest, done: usize, in_suite: usize) -> Option<Partial> {
    (done < in_suite).then(|| Partial {
        runs_done: done,
        runs_in_suite: in_suite,
        shard: manifest.shard,
        reason: if done >= manifest.planned.len() && manifest.shard.is_some() {
            PartialReason::Shard
        } else {
            PartialReason::Interrupted
        },
    })
}
