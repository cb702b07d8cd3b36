//! Beyond the sweep: how many labels each strategy would need to reach the
//! target, and what it would cost there, from its fitted learning curve.
//!
//! Per strategy: test error against labels per class is fitted with an
//! inverse power law that starts at chance ([`learning_curve`]; chance is
//! 1/classes, the classes counted from the runs), each budget weighted by the
//! inverse variance of its mean over seeds; a run's wall time against labels
//! per class with a line. The labels the target needs, and the total cost at
//! that budget (one formula with the measured bills,
//! [`CostAssumptions::money`]), get a 95% interval from
//! [`BOOTSTRAP_SAMPLES`] refits on seeds resampled within each budget. A
//! projection more than [`MAX_EXTRAPOLATION`] times the largest budget is
//! refused, as is one whose curve levels off short of the target. A backtest
//! fits on all but the largest budget and predicts it, so that the reader
//! knows how far to trust the curve.
//!
//! [`learning_curve`]: super::learning_curve
//!
//! The statistics are in [`refit`]; how projections enter the verdict, in [`changes`].

mod changes;
mod refit;

pub use changes::projected_changes;

use super::learning_curve::CurveFit;
use crate::cost::{CostAssumptions, PricedRun};
use crate::rng::{self, Purpose};
use crate::train::Strategy;
use rand::Rng;
use refit::{backtest, budgets_of, fit_sample, interval, no_trend, quantile, refit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Refits behind each interval.
pub const BOOTSTRAP_SAMPLES: usize = 1000;
/// Furthest a projection may reach, as a multiple of the largest budget run.
pub const MAX_EXTRAPOLATION: f64 = 10.0;
/// Points on each strategy's drawn curve, from the smallest budget to the projection limit.
const CURVE_POINTS: usize = 40;

/// An estimate with its 95% bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// From the fit on every seed.
    pub estimate: f64,
    /// 2.5th percentile of the refits.
    pub low: f64,
    /// 97.5th percentile of the refits; absent when more than 2.5% of them
    /// never reach the target (no upper bound).
    pub high: Option<f64>,
}

/// The curves a projection rests on, and the budgets they were fitted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitSummary {
    /// The learning curve: test error `a * n^-b + c` at `n` labels per class.
    pub curve: CurveFit,
    /// The smallest and largest budget fitted on, labels per class.
    pub budgets_per_class: (usize, usize),
    /// Budgets fitted on.
    pub budgets: usize,
    /// A run's wall seconds at 0 labels (the line's intercept).
    pub wall_s_intercept: f64,
    /// A run's extra wall seconds per label per class (the line's slope).
    pub wall_s_per_label_per_class: f64,
}

/// Why a strategy's needs are not projected.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// Fewer than two budgets with completed runs: no curve to fit.
    TooFewBudgets {
        /// Budgets with completed runs.
        budgets: usize,
    },
    /// Accuracy does not rise measurably over the sweep: the largest budget's
    /// mean is within two standard errors (or one point) of the smallest's,
    /// so a curve through them would extrapolate noise.
    NoTrend {
        /// Mean test accuracy at the smallest budget, 0-1.
        smallest: f64,
        /// Mean test accuracy at the largest budget, 0-1.
        largest: f64,
    },
    /// The curve levels off below the target: no number of labels reaches it.
    LevelsOff {
        /// The accuracy it levels off at (its floor, far beyond the data), 0-1.
        accuracy: f64,
        /// Its accuracy at the projection limit, 0-1.
        accuracy_at_limit: f64,
        /// The furthest a projection may reach, labels per class.
        limit_per_class: f64,
    },
    /// The target lies further out than [`MAX_EXTRAPOLATION`] times the largest budget.
    BeyondRange {
        /// Where the fit puts it, labels per class.
        labels_per_class: f64,
        /// Its accuracy at the projection limit, 0-1.
        accuracy_at_limit: f64,
        /// The furthest a projection may reach, labels per class.
        limit_per_class: f64,
    },
}

/// One point of a fitted curve with its 95% band, for the charts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FittedPoint {
    /// Labels per class.
    pub labels_per_class: f64,
    /// Fitted test accuracy, 0-1.
    pub accuracy: f64,
    /// 2.5th percentile of the refits' accuracy there.
    pub low: f64,
    /// 97.5th percentile.
    pub high: f64,
}

/// One strategy's projection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// Labels per class to reach the target (absent when refused, see `reason`).
    pub labels_per_class: Option<Interval>,
    /// Total cost of one run at that budget, USD.
    pub total_usd: Option<Interval>,
    /// Why there is no projection.
    pub reason: Option<Refusal>,
    /// The fitted curves (absent with fewer than two budgets).
    pub fit: Option<FitSummary>,
    /// |predicted - measured| mean test accuracy at the largest budget, in
    /// accuracy points, from a fit on the other budgets (needs three budgets).
    pub backtest_abs_error: Option<f64>,
    /// The fitted curve and its band, smallest budget to the projection limit.
    pub curve: Vec<FittedPoint>,
}

/// Projections keyed by strategy.
pub type Projections = BTreeMap<Strategy, Projection>;

/// Projects each strategy's labels and cost to reach `target`.
pub fn project(runs: &[PricedRun], strategies: &[Strategy], target: f64, cost: &CostAssumptions) -> Projections {
    let mut rng = rng::stream(0, Purpose::Bootstrap);
    strategies
        .iter()
        .map(|&s| (s, project_one(runs, s, target, cost, &mut rng)))
        .collect()
}

fn project_one(
    runs: &[PricedRun],
    strategy: Strategy,
    target: f64,
    cost: &CostAssumptions,
    rng: &mut impl Rng,
) -> Projection {
    let (budgets, classes) = budgets_of(runs, strategy);
    let mut projection = Projection {
        labels_per_class: None,
        total_usd: None,
        reason: None,
        fit: None,
        backtest_abs_error: None,
        curve: Vec::new(),
    };
    let chance_error = 1.0 - 1.0 / classes.max(2) as f64;
    let Some((curve, line)) = fit_sample(&budgets, chance_error) else {
        projection.reason = Some(Refusal::TooFewBudgets { budgets: budgets.len() });
        return projection;
    };
    let largest = budgets[budgets.len() - 1].per_class;
    projection.fit = Some(FitSummary {
        curve,
        budgets_per_class: (budgets[0].per_class, largest),
        budgets: budgets.len(),
        wall_s_intercept: line.0,
        wall_s_per_label_per_class: line.1,
    });
    projection.backtest_abs_error = backtest(&budgets, chance_error);
    if let Some(flat) = no_trend(&budgets) {
        projection.reason = Some(flat);
        return projection;
    }
    let limit = largest as f64 * MAX_EXTRAPOLATION;
    let bill = |n: f64, (intercept, slope): (f64, f64)| {
        let labels = n.ceil() * classes as f64;
        cost.money(strategy.uses_pretrained(), intercept + slope * n.ceil(), labels)
            .total_usd
    };
    let (lo, hi) = ((budgets[0].per_class as f64).ln(), limit.ln());
    let grid: Vec<f64> = (0..CURVE_POINTS)
        .map(|i| (lo + (hi - lo) * i as f64 / (CURVE_POINTS - 1) as f64).exp())
        .collect();
    let mut refits = refit(&budgets, chance_error, target, &grid, &bill, rng);
    projection.curve = grid
        .iter()
        .zip(refits.bands.iter_mut())
        .map(|(&n, band)| {
            band.sort_by(f64::total_cmp);
            FittedPoint {
                labels_per_class: n,
                accuracy: curve.accuracy_at(n),
                low: quantile(band, 0.025),
                high: quantile(band, 0.975),
            }
        })
        .collect();
    let accuracy_at_limit = curve.accuracy_at(limit);
    match curve.labels_for_accuracy(target) {
        None => {
            projection.reason = Some(Refusal::LevelsOff {
                accuracy: 1.0 - curve.c,
                accuracy_at_limit,
                limit_per_class: limit,
            })
        }
        Some(n) if n > limit => {
            projection.reason = Some(Refusal::BeyondRange {
                labels_per_class: n,
                accuracy_at_limit,
                limit_per_class: limit,
            })
        }
        Some(n) => {
            projection.labels_per_class = Some(interval(n, &mut refits.needs));
            projection.total_usd = Some(interval(bill(n, line), &mut refits.bills));
        }
    }
    projection
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::learning_curve::CurveForm;
    use crate::cost::bill::tests_support::{assumptions, priced_run};

    /// Runs of one strategy whose accuracies follow `truth` with +-1 point of seed noise.
    fn runs_on(truth: CurveFit, strategy: Strategy, budgets: &[usize]) -> Vec<PricedRun> {
        let mut runs = Vec::new();
        for &b in budgets {
            for (seed, noise) in [-0.01, 0.0, 0.01].into_iter().enumerate() {
                runs.push(priced_run(
                    strategy,
                    b,
                    seed as u64,
                    truth.accuracy_at(b as f64) + noise,
                    2.0 + 0.01 * b as f64,
                    5,
                ));
            }
        }
        runs
    }

    fn curve(n50: f64, d: f64, c: f64) -> CurveFit {
        CurveFit {
            form: CurveForm::WithFloor,
            chance_error: 0.8, // 5 classes, as runs_on makes them
            n50,
            d,
            c,
        }
    }

    #[test]
    fn recovers_a_known_curve_and_brackets_its_need() {
        let truth = curve(30.0, 1.0, 0.02);
        let runs = runs_on(truth, Strategy::Scratch, &[5, 10, 25, 50, 100]);
        let p = &project(&runs, &[Strategy::Scratch], 0.9, &assumptions())[&Strategy::Scratch];
        let need = truth.labels_for_accuracy(0.9).unwrap();
        let got = p.labels_per_class.unwrap();
        assert!(got.low <= need && need <= got.high.unwrap(), "{got:?} vs {need}");
        assert!((got.estimate - need).abs() / need < 0.25, "{got:?} vs {need}");
        assert!(p.backtest_abs_error.unwrap() < 2.0, "{p:?}");
        let fit = p.fit.as_ref().unwrap();
        assert!(
            (fit.curve.chance_error - 0.8).abs() < 1e-12,
            "chance from the runs' 5 classes"
        );
        assert!((fit.wall_s_per_label_per_class - 0.01).abs() < 1e-9);
        // The bill at the projected budget: labels of 5 classes and the fitted time.
        let total = p.total_usd.unwrap();
        let n = got.estimate.ceil();
        let expected = assumptions().money(false, 2.0 + 0.01 * n, n * 5.0).total_usd;
        assert!((total.estimate - expected).abs() < 1e-9, "{total:?} vs {expected}");
        assert_eq!(p.curve.len(), CURVE_POINTS);
        assert!(p
            .curve
            .iter()
            .all(|c| c.low <= c.accuracy + 1e-9 && c.accuracy <= c.high + 1e-9));
    }

    #[test]
    fn refuses_far_extrapolation_a_floor_and_too_few_budgets() {
        let slow = curve(5000.0, 0.5, 0.0);
        let runs = runs_on(slow, Strategy::Finetune, &[8, 32, 128]);
        let p = &project(&runs, &[Strategy::Finetune], 0.75, &assumptions())[&Strategy::Finetune];
        assert!(
            matches!(p.reason, Some(Refusal::BeyondRange { .. } | Refusal::LevelsOff { .. })),
            "{p:?}"
        );
        assert!(p.labels_per_class.is_none() && p.fit.is_some());

        let floor = curve(10.0, 1.0, 0.4);
        let runs = runs_on(floor, Strategy::Scratch, &[8, 32, 128, 512]);
        let p = &project(&runs, &[Strategy::Scratch], 0.75, &assumptions())[&Strategy::Scratch];
        assert!(
            matches!(p.reason, Some(Refusal::LevelsOff { accuracy, .. }) if (accuracy - 0.6).abs() < 0.03),
            "{p:?}"
        );

        let chance = curve(1e9, 1.0, 0.0);
        let runs = runs_on(chance, Strategy::Baseline, &[8, 32, 128]);
        let p = &project(&runs, &[Strategy::Baseline], 0.75, &assumptions())[&Strategy::Baseline];
        assert!(matches!(p.reason, Some(Refusal::NoTrend { .. })), "{p:?}");

        let runs = runs_on(floor, Strategy::Probe, &[8]);
        let p = &project(&runs, &[Strategy::Probe], 0.75, &assumptions())[&Strategy::Probe];
        assert_eq!(p.reason, Some(Refusal::TooFewBudgets { budgets: 1 }));
    }

    /// The default suite's real runs (tests/data), fitted on the budgets up
    /// to 100 per class: the projected labels to 95% must fall within the
    /// budgets between which the full sweep crosses 95%, and the interval
    /// must overlap them.
    #[test]
    fn projection_from_small_budgets_brackets_what_the_full_sweep_measured() {
        let text = include_str!("../../../tests/data/mnist1d-default-runs.csv");
        let runs: Vec<PricedRun> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("strategy"))
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let strategy = *Strategy::ALL.iter().find(|s| s.to_string() == f[0]).unwrap();
                let (budget, seed): (usize, u64) = (f[1].parse().unwrap(), f[2].parse().unwrap());
                let (acc, wall_s): (f64, f64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
                let classes = f[5].parse::<usize>().unwrap() / budget;
                priced_run(strategy, budget, seed, acc, wall_s, classes)
            })
            .collect();
        assert_eq!(runs.len(), 72);
        let small: Vec<PricedRun> = runs.iter().filter(|r| r.run.budget_per_class <= 100).cloned().collect();
        let strategies = [Strategy::Scratch, Strategy::Finetune];
        let projected = project(&small, &strategies, 0.95, &assumptions());
        for s in strategies {
            // Where the full sweep's mean crosses 95%: between two budgets.
            let mut means: Vec<(usize, f64)> = Vec::new();
            for r in runs.iter().filter(|r| r.run.strategy == s) {
                let acc = r.run.test_accuracy().unwrap();
                match means.iter_mut().find(|m| m.0 == r.run.budget_per_class) {
                    Some(m) => m.1 += acc / 3.0,
                    None => means.push((r.run.budget_per_class, acc / 3.0)),
                }
            }
            means.sort_by_key(|m| m.0);
            let i = means.iter().position(|m| m.1 >= 0.95).unwrap();
            let (lower, upper) = (means[i - 1].0 as f64, means[i].0 as f64);
            assert!(lower > 100.0, "{s}: the crossing must lie beyond the fitted budgets");
            let p = &projected[&s];
            let l = p
                .labels_per_class
                .unwrap_or_else(|| panic!("{s}: not projected: {p:?}"));
            assert!(
                lower <= l.estimate && l.estimate <= upper,
                "{s}: {l:?} vs ({lower}, {upper}]"
            );
            assert!(l.low <= upper && l.high.is_none_or(|h| h >= lower), "{s}: {l:?}");
        }
    }
}
