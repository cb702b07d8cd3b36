//! The whole analysis of a finished sweep, in one call: price, aggregate,
//! measure data efficiency, project beyond the sweep, decide, and find where
//! each cost assumption would change the decision.

use super::efficiency::{break_even, labels_to_target};
use super::projection::{project, Projections};
use super::sensitivity::{sensitivity, Sensitivity};
use super::verdict::{decide, Evidence};
use super::{aggregate, Aggregate, BreakEven, Change, LabelsToTarget, Verdict};
use crate::cost::{price_runs, Catalog, CostAssumptions, PricedRun};
use crate::results::{ModelCard, RunRecord};
use crate::suite::Suite;
use crate::Result;

/// Everything derived from the runs.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Every run with its bill.
    pub runs: Vec<PricedRun>,
    /// The cost assumptions, with the energy method the runs ended up using.
    pub cost: CostAssumptions,
    /// Per-cell aggregates.
    pub aggregates: Vec<Aggregate>,
    /// Labels each strategy needs to reach the target.
    pub labels_to_target: Vec<LabelsToTarget>,
    /// Where scratch catches up.
    pub break_even: Option<BreakEven>,
    /// Each strategy's projected labels and cost to the target.
    pub projection: Projections,
    /// Where each cost assumption would change the winner.
    pub sensitivity: Vec<Sensitivity>,
    /// The decision.
    pub verdict: Verdict,
}

/// Prices `runs`, then aggregates, measures data efficiency and decides.
pub fn analyse(suite: &Suite, runs: &[RunRecord], card: Option<&ModelCard>, catalog: &Catalog) -> Result<Analysis> {
    let mut cost = CostAssumptions::resolve(&suite.cost, catalog, card)?;
    let runs = price_runs(runs, &mut cost);
    let aggregates = aggregate(suite, &runs);
    let strategies = &suite.train.strategies;
    let labels_to_target = labels_to_target(&aggregates, strategies, suite.target_accuracy);
    let break_even = break_even(&aggregates, strategies, suite.cost.break_even_tolerance);
    let projection = project(&runs, strategies, suite.target_accuracy, &cost);
    let mut verdict = decide(&Evidence {
        aggregates: &aggregates,
        strategies,
        target: suite.target_accuracy,
        label_budget_per_class: suite.cost.label_budget_per_class,
        labels_to_target: &labels_to_target,
        break_even: break_even.as_ref(),
        cost: &cost,
        projections: &projection,
    });
    let sensitivity = sensitivity(suite, &runs, &cost);
    verdict.what_would_change_it.extend(sensitivity.iter().filter_map(|s| {
        Some(Change::Flips {
            assumption: s.assumption,
            value_in_run: s.value_in_run,
            flips_at: s.flips_at?,
            new_winner: s.new_winner,
        })
    }));
    Ok(Analysis {
        runs,
        cost,
        aggregates,
        labels_to_target,
        break_even,
        projection,
        sensitivity,
        verdict,
    })
}
