//! Descriptive statistics over seeds, with Student-t confidence intervals.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Confidence level of every interval in the reports.
pub const CONFIDENCE: f64 = 0.95;

/// Mean and spread of one figure over the runs of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Values summarised.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1); absent for a single value.
    pub sd: Option<f64>,
    /// 95% confidence interval of the mean, `mean ± t(0.975, n-1) sd / sqrt(n)`;
    /// absent for a single value.
    pub ci95: Option<(f64, f64)>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Summary {
    /// Summarises `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = (n > 1).then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt());
        let ci95 = sd.map(|sd| {
            let half = t_quantile(n - 1) * sd / (n as f64).sqrt();
            (mean - half, mean + half)
        });
        Some(Summary {
            n,
            mean,
            sd,
            ci95,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }

    /// The same summary with its interval clipped to `[lo, hi]`: a t interval
    /// over few seeds can reach past what the quantity can be (an accuracy
    /// above 100%, a negative cost).
    pub fn clipped(mut self, lo: f64, hi: f64) -> Summary {
        self.ci95 = self.ci95.map(|(a, b)| (a.max(lo), b.min(hi)));
        self
    }

    /// The interval, or the single value as a degenerate interval.
    pub fn interval(&self) -> (f64, f64) {
        self.ci95.unwrap_or((self.mean, self.mean))
    }

    /// Whether the 95% intervals of two summaries overlap (a single value is its own interval).
    pub fn overlaps(&self, other: &Summary) -> bool {
        let (a_lo, a_hi) = self.interval();
        let (b_lo, b_hi) = other.interval();
        a_lo <= b_hi && b_lo <= a_hi
    }
}

/// The two-sided 95% quantile of Student's t with `df` degrees of freedom.
fn t_quantile(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("df >= 1 is a valid Student t")
        .inverse_cdf(0.5 + CONFIDENCE / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum 32, sample sd sqrt(32/7).
        let s = Summary::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        let sd = (32.0f64 / 7.0).sqrt();
        assert!((s.sd.unwrap() - sd).abs() < 1e-12);
        assert_eq!((s.min, s.max), (2.0, 9.0));
        // t(0.975, 7) = 2.364624 (printed tables): half width 2.364624 * sd / sqrt(8).
        let (lo, hi) = s.ci95.unwrap();
        let half = 2.364624 * sd / 8f64.sqrt();
        assert!(
            (lo - (5.0 - half)).abs() < 1e-5 && (hi - (5.0 + half)).abs() < 1e-5,
            "{lo} {hi}"
        );
        assert_eq!(Summary::of(&[3.0]).unwrap().sd, None);
        assert_eq!(Summary::of(&[3.0]).unwrap().ci95, None);
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95% critical values from printed t tables.
        for (df, t) in [(1, 12.7062), (2, 4.3027), (4, 2.7764), (30, 2.0423)] {
            assert!((t_quantile(df) - t).abs() < 1e-3, "df {df}: {}", t_quantile(df));
        }
    }

    #[test]
    fn clipping_keeps_the_mean() {
        let s = Summary::of(&[0.95, 0.99]).unwrap().clipped(0.0, 1.0);
        assert_eq!(s.ci95.unwrap().1, 1.0);
        assert!((s.mean - 0.97).abs() < 1e-12 && s.ci95.unwrap().0 < 0.95);
    }

    #[test]
    fn overlap() {
        let a = Summary::of(&[1.0, 2.0, 3.0]).unwrap();
        let b = Summary::of(&[10.0, 11.0, 12.0]).unwrap();
        let c = Summary::of(&[2.5, 3.5, 4.5]).unwrap();
        assert!(!a.overlaps(&b) && a.overlaps(&c) && c.overlaps(&a));
        let single = Summary::of(&[2.0]).unwrap();
        assert!(single.overlaps(&a) && !single.overlaps(&b));
    }
}
