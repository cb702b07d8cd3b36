//! The whole document a sweep leaves in `results.json`: the suite, the
//! machine and the tool that ran it, every run with its bill, and what was
//! derived from them. `reuse-bench report` re-renders every other file from it.

use super::{Aggregate, BreakEven, LabelsToTarget, Verdict};
use crate::cost::{CostAssumptions, PricedRun};
use crate::measure::machine::Machine;
use crate::results::Pretrained;
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
    /// The decision, its reasons and what would change it.
    pub verdict: Verdict,
    /// Wall seconds of the whole sweep, pretraining included when it ran. A
    /// resumed sweep adds the process seconds of the runs of earlier sessions;
    /// a merged or re-assembled one is the sum of its runs' process seconds.
    pub sweep_wall_s: f64,
    /// Present when the result covers only part of the suite's runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<Partial>,
}
