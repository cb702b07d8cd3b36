//! How projections enter the verdict: for each strategy whose measured cells
//! never reach the target, its projected need, or why there is none. A
//! strategy the sweep takes to the target speaks through its measurements.

use super::Projections;
use crate::analysis::efficiency::LabelsToTarget;
use crate::analysis::Change;

/// For each strategy whose measured cells never reach the target: its
/// projected need (cheapest first), or why it is not projected.
pub fn projected_changes(labels_to_target: &[LabelsToTarget], projections: &Projections) -> Vec<Change> {
    let unreached = labels_to_target
        .iter()
        .filter(|l| l.crossing.first_budget().is_none())
        .map(|l| l.strategy);
    let (mut projected, mut refused) = (Vec::new(), Vec::new());
    for strategy in unreached {
        let Some(p) = projections.get(&strategy) else { continue };
        match (p.labels_per_class, &p.fit, p.reason) {
            (Some(labels_per_class), Some(fit), _) => projected.push(Change::Projected {
                strategy,
                labels_per_class,
                total_usd: p.total_usd,
                fitted_on: fit.budgets_per_class,
                backtest_abs_error: p.backtest_abs_error,
            }),
            (_, _, Some(reason)) => refused.push(Change::NotProjected { strategy, reason }),
            _ => {}
        }
    }
    let cost = |c: &Change| match c {
        Change::Projected { total_usd, .. } => total_usd.map_or(f64::INFINITY, |t| t.estimate),
        _ => f64::INFINITY,
    };
    projected.sort_by(|a, b| cost(a).total_cmp(&cost(b)));
    projected.extend(refused);
    projected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::efficiency::Crossing;
    use crate::analysis::learning_curve::{CurveFit, CurveForm};
    use crate::analysis::projection::{FitSummary, Interval, Projection, Refusal};
    use crate::train::Strategy;

    /// A projection is used only for strategies whose measured cells never
    /// reach the target: projected ones first, cheapest first, then refusals.
    #[test]
    fn projections_speak_only_for_strategies_the_sweep_never_takes_to_the_target() {
        let projected = |labels: f64, usd: f64| Projection {
            labels_per_class: Some(Interval {
                estimate: labels,
                low: labels * 0.8,
                high: Some(labels * 1.5),
            }),
            total_usd: Some(Interval {
                estimate: usd,
                low: usd * 0.9,
                high: None,
            }),
            reason: None,
            fit: Some(FitSummary {
                curve: CurveFit {
                    form: CurveForm::NoFloor,
                    chance_error: 0.8,
                    n50: 10.0,
                    d: 0.5,
                    c: 0.0,
                },
                budgets_per_class: (5, 10),
                budgets: 2,
                wall_s_intercept: 1.0,
                wall_s_per_label_per_class: 0.1,
            }),
            backtest_abs_error: None,
            curve: Vec::new(),
        };
        let mut refused = projected(0.0, 0.0);
        refused.labels_per_class = None;
        refused.total_usd = None;
        refused.reason = Some(Refusal::TooFewBudgets { budgets: 1 });
        let projections: Projections = [
            (Strategy::Finetune, projected(3.0, 1.0)),
            (Strategy::Baseline, projected(60.0, 20.0)),
            (Strategy::Scratch, projected(40.0, 9.0)),
            (Strategy::Probe, refused),
        ]
        .into_iter()
        .collect();
        let reached = |strategy, crossing| LabelsToTarget { strategy, crossing };
        let labels_to_target = [
            reached(Strategy::Scratch, Crossing::NotReached),
            reached(Strategy::Finetune, Crossing::AtSmallest { budget_per_class: 5 }),
            reached(Strategy::Probe, Crossing::NotReached),
            reached(Strategy::Baseline, Crossing::NotReached),
        ];
        let about: Vec<(Strategy, bool)> = projected_changes(&labels_to_target, &projections)
            .iter()
            .map(|c| match c {
                Change::Projected { strategy, .. } => (*strategy, true),
                Change::NotProjected { strategy, .. } => (*strategy, false),
                other => panic!("{other:?}"),
            })
            .collect();
        // Finetune reaches the target in the sweep: its projection is not used.
        assert_eq!(
            about,
            vec![
                (Strategy::Scratch, true),
                (Strategy::Baseline, true),
                (Strategy::Probe, false)
            ]
        );
    }
}
