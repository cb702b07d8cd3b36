//! The statistics behind a projection: each budget's seeds, the curves
//! through them, bootstrap refits on resampled seeds and their percentiles,
//! the backtest, and the check that accuracy rises beyond the noise at all.

use super::{Interval, Refusal, BOOTSTRAP_SAMPLES};
use crate::analysis::learning_curve::{fit_curve, fit_line, CurveFit, ErrorPoint};
use crate::cost::PricedRun;
use crate::train::Strategy;
use rand::Rng;
use std::collections::BTreeMap;

/// One budget's completed runs: test accuracy and wall seconds per seed.
#[derive(Debug, Clone)]
pub(super) struct Budget {
    pub per_class: usize,
    pub accuracies: Vec<f64>,
    pub wall_s: Vec<f64>,
}

impl Budget {
    /// The budget's seeds drawn again with replacement (a bootstrap sample).
    fn resample(&self, rng: &mut impl Rng) -> Budget {
        let picks: Vec<usize> = (0..self.accuracies.len())
            .map(|_| rng.random_range(0..self.accuracies.len()))
            .collect();
        Budget {
            per_class: self.per_class,
            accuracies: picks.iter().map(|&i| self.accuracies[i]).collect(),
            wall_s: picks.iter().map(|&i| self.wall_s[i]).collect(),
        }
    }
}

/// A strategy's budgets with completed runs, smallest first, and the classes of the task.
pub(super) fn budgets_of(runs: &[PricedRun], strategy: Strategy) -> (Vec<Budget>, usize) {
    let mut by_budget: BTreeMap<usize, Budget> = BTreeMap::new();
    let mut classes = 1;
    for r in runs.iter().filter(|r| r.run.strategy == strategy) {
        let Some(m) = r.run.completed_metrics() else { continue };
        let Some(acc) = m.test_accuracy else { continue };
        let per_class = r.run.budget_per_class;
        classes = classes.max((m.train_examples as f64 / per_class.max(1) as f64).round() as usize);
        let b = by_budget.entry(per_class).or_insert_with(|| Budget {
            per_class,
            accuracies: Vec::new(),
            wall_s: Vec::new(),
        });
        b.accuracies.push(acc);
        b.wall_s.push(m.wall_s);
    }
    (by_budget.into_values().collect(), classes)
}

/// The learning curve and the wall-time line `(intercept, slope)` through the budgets' seeds.
pub(super) fn fit_sample(budgets: &[Budget], chance_error: f64) -> Option<(CurveFit, (f64, f64))> {
    let points: Vec<ErrorPoint> = budgets
        .iter()
        .filter_map(|b| ErrorPoint::from_accuracies(b.per_class as f64, &b.accuracies))
        .collect();
    let curve = fit_curve(&points, chance_error)?;
    let times: Vec<(f64, f64)> = budgets
        .iter()
        .flat_map(|b| b.wall_s.iter().map(move |&t| (b.per_class as f64, t)))
        .collect();
    let line = fit_line(&times).unwrap_or_else(|| (times.iter().map(|t| t.1).sum::<f64>() / times.len() as f64, 0.0));
    Some((curve, line))
}

/// What the bootstrap refits give: labels to the target and the bill there
/// (infinite where a refit never reaches it), and the accuracy at each grid point.
pub(super) struct Refits {
    pub needs: Vec<f64>,
    pub bills: Vec<f64>,
    pub bands: Vec<Vec<f64>>,
}

/// [`BOOTSTRAP_SAMPLES`] refits on seeds resampled within each budget.
pub(super) fn refit(
    budgets: &[Budget],
    chance_error: f64,
    target: f64,
    grid: &[f64],
    bill: &dyn Fn(f64, (f64, f64)) -> f64,
    rng: &mut impl Rng,
) -> Refits {
    let mut r = Refits {
        needs: Vec::with_capacity(BOOTSTRAP_SAMPLES),
        bills: Vec::with_capacity(BOOTSTRAP_SAMPLES),
        bands: vec![Vec::with_capacity(BOOTSTRAP_SAMPLES); grid.len()],
    };
    for _ in 0..BOOTSTRAP_SAMPLES {
        let sample: Vec<Budget> = budgets.iter().map(|b| b.resample(rng)).collect();
        let Some((c, line)) = fit_sample(&sample, chance_error) else {
            continue;
        };
        let need = c.labels_for_accuracy(target);
        r.needs.push(need.unwrap_or(f64::INFINITY));
        r.bills.push(need.map_or(f64::INFINITY, |n| bill(n, line)));
        for (band, &n) in r.bands.iter_mut().zip(grid) {
            band.push(c.accuracy_at(n));
        }
    }
    r
}

/// An estimate and the 2.5-97.5 percentiles of its refits.
pub(super) fn interval(estimate: f64, values: &mut [f64]) -> Interval {
    values.sort_by(f64::total_cmp);
    let high = quantile(values, 0.975);
    Interval {
        estimate,
        low: quantile(values, 0.025),
        high: high.is_finite().then_some(high),
    }
}

/// The refusal for a sweep whose accuracy does not rise beyond its noise:
/// the largest budget's mean is not above the smallest's by two standard
/// errors of the difference and at least one point.
pub(super) fn no_trend(budgets: &[Budget]) -> Option<Refusal> {
    let (first, last) = (budgets.first()?, budgets.last()?);
    let mean_se = |a: &[f64]| {
        let k = a.len() as f64;
        let mean = a.iter().sum::<f64>() / k;
        let var = if a.len() > 1 {
            a.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0)
        } else {
            0.0
        };
        (mean, var / k)
    };
    let ((low, v0), (high, v1)) = (mean_se(&first.accuracies), mean_se(&last.accuracies));
    let rise = high - low;
    (rise <= (2.0 * (v0 + v1).sqrt()).max(0.01)).then_some(Refusal::NoTrend {
        smallest: low,
        largest: high,
    })
}

/// Accuracy points between the mean measured at the largest budget and the
/// prediction of a curve fitted on the others (at least two of them).
pub(super) fn backtest(budgets: &[Budget], chance_error: f64) -> Option<f64> {
    let (last, rest) = budgets.split_last()?;
    if rest.len() < 2 {
        return None;
    }
    let (curve, _) = fit_sample(rest, chance_error)?;
    let measured = last.accuracies.iter().sum::<f64>() / last.accuracies.len() as f64;
    Some((curve.accuracy_at(last.per_class as f64) - measured).abs() * 100.0)
}

/// The `q` quantile of sorted values, interpolating linearly.
pub(super) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos - pos.floor());
    match sorted.get(i + 1) {
        Some(&next) if frac > 0.0 && sorted[i].is_finite() && next.is_finite() => sorted[i] + frac * (next - sorted[i]),
        Some(&next) if frac > 0.0 => next.max(sorted[i]),
        _ => sorted[i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_and_keep_infinity() {
        assert_eq!(quantile(&[1.0, 2.0, 3.0], 0.5), 2.0);
        assert_eq!(quantile(&[1.0, 3.0], 0.5), 2.0);
        assert_eq!(quantile(&[1.0, f64::INFINITY], 0.975), f64::INFINITY);
    }
}
