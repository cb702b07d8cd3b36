//! The whole document a sweep leaves in `results.json`: the suite, the
//! machine and the tool that ran it, every run with its bill, and what was
//! derived from them. `reuse-bench report` re-renders every other file from it.

use super::projection::Projections;
use super::sensitivity::Sensitivity;
use super::Analysis;
use super::{Aggregate, BreakEven, LabelsToTarget, Verdict};
use crate::cost::{CostAssumptions, PricedRun};
use crate::measure::machine::Machine;
use crate::results::Pretrained;
use crate::results::SCHEMA_VERSION;
use crate::suite::Suite;
use crate::train::Shard;
use serde::{Deserialize, Serialize};

/// How much of the suite a result covers, when not all of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    /// Runs in this result.
    pub runs_done: usize,
    /// Runs in the whole suite.
    pub runs_in_suite: usize,
    /// The slice of the matrix this folder was meant to hold, if it is a shard.
    pub shard: Option<Shard>,
    /// Why it is partial, for the reader.
    pub reason: PartialReason,
}

/// Why a result covers only part of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartialReason {
    /// The sweep was stopped (a signal, a crash) before every run finished; it can be resumed.
    Interrupted,
    /// The folder holds one shard of the matrix; `merge` puts the shards together.
    Shard,
}

/// Everything a report is made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// [`crate::results::SCHEMA_VERSION`] when written.
    pub schema_version: u32,
    /// reuse-bench version that ran the sweep.
    pub tool_version: String,
    /// When the sweep finished (RFC 3339, UTC).
    pub created_at: String,
    /// The command line that produced it.
    pub command: Vec<String>,
    /// The suite as run (after `--quick`, if given).
    pub suite: Suite,
    /// The machine the runs were measured on.
    pub machine: Machine,
    /// The pretrained checkpoint the reuse strategies started from.
    pub pretrained: Option<Pretrained>,
    /// Every run, in the order run, with its bill.
    pub runs: Vec<PricedRun>,
    /// Per (strategy, budget) summaries over seeds, with 95% intervals and costs.
    pub aggregates: Vec<Aggregate>,
    /// The assumptions every cost, energy and carbon figure was computed with.
    pub cost: CostAssumptions,
    /// Labels each strategy needs to reach the target.
    pub labels_to_target: Vec<LabelsToTarget>,
    /// Where scratch comes within the tolerance of the best reuse strategy.
    pub break_even: Option<BreakEven>,
    /// Each strategy's projected labels and cost to the target, from its learning curve.
    #[serde(default)]
    pub projection: Projections,
    /// Where each cost assumption would change the winner.
    #[serde(default)]
    pub sensitivity: Vec<Sensitivity>,
    /// The decision, its reasons and what would change it.
    pub verdict: Verdict,
    /// Set when `report DIR` re-priced the runs under other assumptions than the run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repriced: Option<Repricing>,
    /// Wall seconds of the whole sweep, pretraining included when it ran. A
    /// resumed sweep adds the process seconds of the runs of earlier sessions;
    /// a merged or re-assembled one is the sum of its runs' process seconds.
    pub sweep_wall_s: f64,
    /// Present when the result covers only part of the suite's runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<Partial>,
}

/// Where a result set comes from, apart from what the analysis derives.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// reuse-bench version that ran the sweep.
    pub tool_version: String,
    /// The command line that produced it.
    pub command: Vec<String>,
    /// The suite as run (or as re-priced).
    pub suite: Suite,
    /// The machine the runs were measured on.
    pub machine: Machine,
    /// The pretrained checkpoint the reuse strategies started from.
    pub pretrained: Option<Pretrained>,
    /// Wall seconds of the whole sweep.
    pub sweep_wall_s: f64,
    /// Present when the result covers only part of the suite's runs.
    pub partial: Option<Partial>,
    /// Present when the runs were re-priced under other assumptions.
    pub repriced: Option<Repricing>,
}

impl Results {
    /// The document for `analysis` of the runs `provenance` describes, dated now.
    pub fn new(provenance: Provenance, analysis: Analysis) -> Results {
        let Provenance {
            tool_version,
            command,
            suite,
            machine,
            pretrained,
            sweep_wall_s,
            partial,
            repriced,
        } = provenance;
        Results {
            schema_version: SCHEMA_VERSION,
            tool_version,
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            command,
            suite,
            machine,
            pretrained,
            runs: analysis.runs,
            aggregates: analysis.aggregates,
            cost: analysis.cost,
            labels_to_target: analysis.labels_to_target,
            break_even: analysis.break_even,
            projection: analysis.projection,
            sensitivity: analysis.sensitivity,
            verdict: analysis.verdict,
            repriced,
            sweep_wall_s,
            partial,
        }
    }
}

/// What a re-priced report changed from the run's own assumptions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repricing {
    /// The folder whose runs were re-priced.
    pub from: String,
    /// Each setting that differs from the run's.
    pub changed: Vec<ChangedSetting>,
}

/// One setting a re-priced report changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedSetting {
    /// The suite key, e.g. `cost.usd_per_label`.
    pub setting: String,
    /// Its value in the run.
    pub was: String,
    /// Its value in this report.
    pub now: String,
}
