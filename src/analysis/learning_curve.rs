//! Learning curves: test error against labels per class.
//!
//! Hestness et al. (2017, "Deep learning scaling is predictable,
//! empirically") describe three regions: with very few labels a model is
//! near chance (the small-data region), then its error falls as an inverse
//! power law of the data, then it levels off at an irreducible error. One
//! curve spans all three:
//!
//! `err(n) = c + (e0 - c) / (1 + (n / n50)^d)`
//!
//! where `e0` is the error of guessing (1 - 1/classes, known, not fitted),
//! `c` the floor, `n50` the labels per class halfway from chance to the
//! floor, and `d` the power-law exponent: for `n >> n50`,
//! `err ≈ c + (e0 - c) n50^d n^-d`. It is the Morgan-Mercer-Flodin model
//! that Gu et al. (2001, "Modelling classification performance for large
//! data sets") found among the best at predicting learning curves. A pure
//! power law `a n^-b + c` fitted over a sweep that starts near chance bends
//! to the small budgets and misses the large ones: measured on the default
//! suite, fitted up to 100 labels per class it put scratch's 95% at 2,100-7,600
//! labels where the sweep reaches it between 250 and 500; this curve, 437.
//!
//! The fit is weighted least squares: for a fixed `(n50, d)` the floor is
//! linear, solved in closed form; `(n50, d)` come from a log-spaced grid
//! refined by successive zooms. No starting guess, no divergence. With only
//! two budgets the floor cannot be told apart, so it is fixed at 0.

use serde::{Deserialize, Serialize};

/// Smallest exponent tried.
pub const D_MIN: f64 = 0.05;
/// Largest exponent tried: the error exponents Hestness et al. measured are
/// 0.07-0.5, MNIST-1D's here about 1; a steeper fit is an artefact of noise.
pub const D_MAX: f64 = 2.0;
/// Added (in quadrature) to each budget's standard error before weighting,
/// 0-1: a budget whose seeds happen to agree (or that has one seed) must
/// not get an unbounded weight.
pub const WEIGHT_FLOOR: f64 = 0.01;

/// Which curve was fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurveForm {
    /// With a fitted floor `c`: from three budgets or more.
    WithFloor,
    /// With `c = 0`: from two budgets, which cannot fix a floor.
    NoFloor,
}

/// A fitted learning curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurveFit {
    /// Which curve.
    pub form: CurveForm,
    /// Error of guessing, 1 - 1/classes (given, not fitted), 0-1.
    pub chance_error: f64,
    /// Labels per class halfway from chance to the floor.
    pub n50: f64,
    /// Power-law exponent of the error's fall.
    pub d: f64,
    /// The error the curve levels off at, 0-1.
    pub c: f64,
}

impl CurveFit {
    /// Predicted test error at `n` labels per class.
    pub fn error_at(&self, n: f64) -> f64 {
        self.c + (self.chance_error - self.c) * share(n, self.n50, self.d)
    }

    /// Predicted test accuracy at `n` labels per class.
    pub fn accuracy_at(&self, n: f64) -> f64 {
        1.0 - self.error_at(n)
    }

    /// Labels per class at which the curve reaches `accuracy`; `None` when it
    /// never does (the floor is at or above the error that accuracy allows).
    pub fn labels_for_accuracy(&self, accuracy: f64) -> Option<f64> {
        let e = 1.0 - accuracy;
        if e <= self.c {
            return None;
        }
        if e >= self.chance_error {
            return Some(0.0);
        }
        Some(self.n50 * ((self.chance_error - self.c) / (e - self.c) - 1.0).powf(1.0 / self.d))
    }
}

/// The share of the way from the floor to chance still left at `n`: `1 / (1 + (n/n50)^d)`.
fn share(n: f64, n50: f64, d: f64) -> f64 {
    1.0 / (1.0 + (n / n50).powf(d))
}

/// One budget's evidence: its labels per class, mean test error over seeds
/// and the weight it gets (inverse variance of that mean).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorPoint {
    /// Labels per class.
    pub n: f64,
    /// Mean test error, 0-1.
    pub error: f64,
    /// Least-squares weight.
    pub weight: f64,
}

impl ErrorPoint {
    /// The point for a budget's per-seed test accuracies, weighted by the
    /// inverse of its mean's variance (plus [`WEIGHT_FLOOR`]).
    pub fn from_accuracies(n: f64, accuracies: &[f64]) -> Option<ErrorPoint> {
        if accuracies.is_empty() {
            return None;
        }
        let k = accuracies.len() as f64;
        let mean = accuracies.iter().sum::<f64>() / k;
        let var_of_mean = if accuracies.len() > 1 {
            accuracies.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (k - 1.0) / k
        } else {
            0.0
        };
        Some(ErrorPoint {
            n,
            error: 1.0 - mean,
            weight: 1.0 / (var_of_mean + WEIGHT_FLOOR * WEIGHT_FLOOR),
        })
    }
}

/// The best curve through `points` for a task whose guessing error is
/// `chance_error`: with a floor from three distinct budgets or more, without
/// from two; `None` from fewer.
pub fn fit_curve(points: &[ErrorPoint], chance_error: f64) -> Option<CurveFit> {
    let mut budgets: Vec<f64> = points.iter().map(|p| p.n).collect();
    budgets.sort_by(f64::total_cmp);
    budgets.dedup();
    let valid = |p: &ErrorPoint| p.n > 0.0 && p.error.is_finite() && p.weight > 0.0;
    if budgets.len() < 2 || !points.iter().all(valid) || !(chance_error > 0.0 && chance_error < 1.0) {
        return None;
    }
    let form = if budgets.len() >= 3 {
        CurveForm::WithFloor
    } else {
        CurveForm::NoFloor
    };
    let (lowest, highest) = (budgets[0], budgets[budgets.len() - 1]);
    // ln(n50) from far below the sweep to far beyond it; ln(d) over its bounds.
    let (mut lo, mut hi) = ([(lowest / 1e3).ln(), D_MIN.ln()], [(highest * 1e5).ln(), D_MAX.ln()]);
    let sse = |x: [f64; 2]| solve_floor(points, chance_error, x[0].exp(), x[1].exp(), form).1;
    let mut best = [lo[0], lo[1]];
    let mut steps = [48usize, 32usize];
    for _ in 0..14 {
        let at = |axis: usize, i: usize| lo[axis] + (hi[axis] - lo[axis]) * i as f64 / steps[axis] as f64;
        let mut best_sse = f64::INFINITY;
        for i in 0..=steps[0] {
            for j in 0..=steps[1] {
                let x = [at(0, i), at(1, j)];
                let e = sse(x);
                if e < best_sse {
                    (best, best_sse) = (x, e);
                }
            }
        }
        // Zoom in on two grid cells either side of the best point, within the bounds.
        for axis in 0..2 {
            let cell = (hi[axis] - lo[axis]) / steps[axis] as f64;
            let (min, max) = if axis == 0 {
                ((lowest / 1e3).ln(), (highest * 1e5).ln())
            } else {
                (D_MIN.ln(), D_MAX.ln())
            };
            lo[axis] = (best[axis] - 2.0 * cell).max(min);
            hi[axis] = (best[axis] + 2.0 * cell).min(max);
        }
        steps = [8, 8];
    }
    let (n50, d) = (best[0].exp(), best[1].exp());
    let (c, _) = solve_floor(points, chance_error, n50, d, form);
    Some(CurveFit {
        form,
        chance_error,
        n50,
        d,
        c,
    })
}

/// For a fixed `(n50, d)`: the weighted least-squares floor within
/// `[0, chance_error]` (0 without one), and the weighted sum of squared residuals.
fn solve_floor(points: &[ErrorPoint], e0: f64, n50: f64, d: f64, form: CurveForm) -> (f64, f64) {
    // err - e0 s = c (1 - s): linear in c, with r = err - e0 s and q = 1 - s.
    let (mut wqr, mut wqq, mut wrr) = (0.0, 0.0, 0.0);
    for p in points {
        let s = share(p.n, n50, d);
        let (r, q) = (p.error - e0 * s, 1.0 - s);
        wqr += p.weight * q * r;
        wqq += p.weight * q * q;
        wrr += p.weight * r * r;
    }
    let c = match form {
        CurveForm::NoFloor => 0.0,
        CurveForm::WithFloor if wqq > 0.0 => (wqr / wqq).clamp(0.0, e0),
        CurveForm::WithFloor => 0.0,
    };
    // Sum of w (r - c q)^2, expanded.
    (c, (wrr - 2.0 * c * wqr + c * c * wqq).max(0.0))
}

/// Least-squares line `y = intercept + slope * x` with `slope >= 0` (a run's
/// time does not fall as its training set grows); `None` without two
/// distinct x values.
pub fn fit_line(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if points.len() < 2 || sxx <= 0.0 {
        return None;
    }
    let slope = (points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx).max(0.0);
    Some((my - slope * mx, slope))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth(n50: f64, d: f64, c: f64) -> CurveFit {
        CurveFit {
            form: CurveForm::WithFloor,
            chance_error: 0.8,
            n50,
            d,
            c,
        }
    }

    fn exact(fit: CurveFit, budgets: &[f64]) -> Vec<ErrorPoint> {
        budgets
            .iter()
            .map(|&n| ErrorPoint {
                n,
                error: fit.error_at(n),
                weight: 1.0,
            })
            .collect()
    }

    #[test]
    fn recovers_known_parameters_from_exact_points() {
        let t = truth(30.0, 1.1, 0.04);
        let fit = fit_curve(&exact(t, &[5.0, 10.0, 25.0, 50.0, 100.0, 300.0, 1000.0]), 0.8).unwrap();
        assert_eq!(fit.form, CurveForm::WithFloor);
        assert!((fit.n50 / t.n50 - 1.0).abs() < 1e-3, "{fit:?}");
        assert!((fit.d - t.d).abs() < 1e-3, "{fit:?}");
        assert!((fit.c - t.c).abs() < 1e-4, "{fit:?}");
        let need = fit.labels_for_accuracy(0.9).unwrap();
        assert!((fit.accuracy_at(need) - 0.9).abs() < 1e-9, "the inverse is exact");
        assert!((t.accuracy_at(need) - 0.9).abs() < 1e-4);
    }

    #[test]
    fn recovers_parameters_through_seed_noise() {
        // Five seeds per budget, deterministic noise of +-1.5 points.
        let t = truth(40.0, 0.8, 0.1);
        let points: Vec<ErrorPoint> = [4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0]
            .iter()
            .map(|&n| {
                let accs: Vec<f64> = [-0.015, 0.01, 0.0, -0.01, 0.015]
                    .iter()
                    .map(|d| t.accuracy_at(n) + d)
                    .collect();
                ErrorPoint::from_accuracies(n, &accs).unwrap()
            })
            .collect();
        let fit = fit_curve(&points, 0.8).unwrap();
        for n in [10.0, 100.0, 1000.0, 3000.0] {
            assert!((fit.error_at(n) - t.error_at(n)).abs() < 0.01, "at {n}: {fit:?}");
        }
    }

    #[test]
    fn the_tail_is_the_inverse_power_law() {
        let t = truth(20.0, 0.5, 0.05);
        // err - c ≈ (e0 - c) n50^d n^-d far beyond n50.
        let n: f64 = 1e6;
        let power = (t.chance_error - t.c) * t.n50.powf(t.d) * n.powf(-t.d);
        assert!(((t.error_at(n) - t.c) / power - 1.0).abs() < 0.01);
        assert!((t.error_at(0.0) - t.chance_error).abs() < 1e-12, "no labels: chance");
    }

    #[test]
    fn two_budgets_give_a_floorless_curve_through_both() {
        let mut t = truth(25.0, 0.7, 0.0);
        t.form = CurveForm::NoFloor;
        let fit = fit_curve(&exact(t, &[8.0, 32.0]), 0.8).unwrap();
        assert_eq!((fit.form, fit.c), (CurveForm::NoFloor, 0.0));
        for n in [8.0, 32.0] {
            assert!((fit.error_at(n) - t.error_at(n)).abs() < 1e-6, "{fit:?}");
        }
    }

    #[test]
    fn a_floor_above_the_target_error_is_never_reached() {
        let t = truth(10.0, 1.0, 0.3);
        assert_eq!(t.labels_for_accuracy(0.75), None);
        assert!(t.labels_for_accuracy(0.65).is_some());
        assert_eq!(t.labels_for_accuracy(0.1), Some(0.0), "guessing already does");
    }

    #[test]
    fn one_budget_a_bad_point_or_no_chance_level_fits_nothing() {
        let p = |n, error| ErrorPoint { n, error, weight: 1.0 };
        assert!(fit_curve(&[p(10.0, 0.3), p(10.0, 0.31)], 0.8).is_none());
        assert!(fit_curve(&[p(10.0, 0.3), p(20.0, f64::NAN)], 0.8).is_none());
        assert!(fit_curve(&[p(10.0, 0.3), p(20.0, 0.2)], 0.0).is_none());
    }

    #[test]
    fn a_curve_stuck_at_chance_stays_there_over_the_sweep() {
        let points: Vec<ErrorPoint> = [8.0, 32.0, 128.0]
            .iter()
            .map(|&n| ErrorPoint::from_accuracies(n, &[0.5, 0.501]).unwrap())
            .collect();
        let fit = fit_curve(&points, 0.5).unwrap();
        assert!(fit.accuracy_at(1280.0) < 0.52, "{fit:?}");
    }

    #[test]
    fn line_slopes_are_never_negative() {
        let (i, s) = fit_line(&[(1.0, 3.0), (2.0, 5.0), (3.0, 7.0)]).unwrap();
        assert!((i - 1.0).abs() < 1e-12 && (s - 2.0).abs() < 1e-12);
        let (i, s) = fit_line(&[(1.0, 3.0), (2.0, 2.0)]).unwrap();
        assert_eq!((i, s), (2.5, 0.0));
        assert!(fit_line(&[(1.0, 3.0)]).is_none());
    }
}
