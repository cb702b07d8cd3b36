//! MNIST-1D (Greydanus 2020, "Scaling Down Deep Learning"), generated from the
//! published procedure so that the built-in task needs no files.
//!
//! Each example starts from one of ten 12-point templates (one per digit) and
//! goes through the reference transform, in its order: pad with 36-60 zeros,
//! stretch to 72 points, random scale, circular shift, correlated noise where the
//! signal is zero, iid noise everywhere, shear, and resampling to 40 points. The
//! whole set is then shuffled and standardised to mean 0, sd 1. The parameters
//! are the reference defaults (`mnist1d.data.get_dataset_args`). The random
//! numbers come from our own ChaCha stream, so samples match the reference in
//! distribution, not value by value; `tests/data/mnist1d_reference_stats.json`
//! holds the reference statistics the tests compare against.

use super::Dataset;
use crate::rng::{self, Purpose};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::StandardNormal;

/// Points per template.
const TEMPLATE_LEN: usize = 12;

/// The ten digit templates of the reference implementation, before whitening.
const RAW_TEMPLATES: [[f64; TEMPLATE_LEN]; 10] = [
    [5., 6., 6.5, 6.75, 7., 7., 7., 7., 6.75, 6.5, 6., 5.],
    [5., 3., 3., 3.4, 3.8, 4.2, 4.6, 5., 5.4, 5.8, 5., 5.],
    [5., 6., 6.5, 6.5, 6., 5.25, 4.75, 4., 3.5, 3.5, 4., 5.],
    [5., 6., 6.5, 6.5, 6., 5., 5., 6., 6.5, 6.5, 6., 5.],
    [5., 4.4, 3.8, 3.2, 2.6, 2.6, 5., 5., 5., 5., 5., 5.],
    [5., 3., 3., 3., 3., 5., 6., 6.5, 6.5, 6., 4.5, 5.],
    [5., 4., 3.5, 3.25, 3., 3., 3., 3., 3.25, 3.5, 4., 5.],
    [5., 7., 7., 6.6, 6.2, 5.8, 5.4, 5., 4.6, 4.2, 5., 5.],
    [5., 4., 3.5, 3.5, 4., 5., 5., 4., 3.5, 3.5, 4., 5.],
    [5., 4., 3.5, 3.5, 4., 5., 5., 5., 5., 4.7, 4.3, 5.],
];

/// Number of classes (digits) MNIST-1D has.
pub const NUM_CLASSES: usize = 10;

/// The generator's parameters; [`Default`] gives the reference defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Fewest and most zeros appended to the template before stretching.
    pub padding: (usize, usize),
    /// The signal is scaled by `1 + scale_coeff * U(-0.5, 0.5)`.
    pub scale_coeff: f64,
    /// The circular shift is uniform in `0..max_translation`.
    pub max_translation: usize,
    /// Standard deviation of the noise that is smoothed (Gaussian, sigma 2) into the background.
    pub corr_noise_scale: f64,
    /// Standard deviation of the iid noise added everywhere.
    pub iid_noise_scale: f64,
    /// The shear slope is `shear_scale * U(-0.5, 0.5)`.
    pub shear_scale: f64,
    /// Points per generated example.
    pub final_seq_length: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            padding: (36, 60),
            scale_coeff: 0.4,
            max_translation: 48,
            corr_noise_scale: 0.25,
            iid_noise_scale: 2e-2,
            shear_scale: 0.75,
            final_seq_length: 40,
        }
    }
}

/// The templates whitened per row, shifted to start at 0 and divided by 6, as the reference does.
fn templates() -> [[f64; TEMPLATE_LEN]; 10] {
    let mut out = RAW_TEMPLATES;
    for row in out.iter_mut() {
        let n = TEMPLATE_LEN as f64;
        let mean = row.iter().sum::<f64>() / n;
        let sd = (row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        for v in row.iter_mut() {
            *v = (*v - mean) / sd;
        }
        let first = row[0];
        for v in row.iter_mut() {
            *v = (*v - first) / 6.0;
        }
    }
    out
}

/// Generates `samples_per_class` examples of each of the ten digits from `seed`,
/// shuffled and standardised. Labels are the digits, 0-9.
pub fn generate(samples_per_class: usize, seed: u64, params: &Params) -> Dataset {
    let (raw, labels) = generate_raw(samples_per_class, seed, params);
    let count = raw.len() as f64;
    let mean = raw.iter().sum::<f64>() / count;
    let sd = (raw.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count).sqrt();
    Dataset {
        features: raw.iter().map(|v| ((v - mean) / sd) as f32).collect(),
        labels,
        feature_len: params.final_seq_length,
    }
}

/// The shuffled examples before standardisation, row-major, with their labels.
fn generate_raw(samples_per_class: usize, seed: u64, params: &Params) -> (Vec<f64>, Vec<u32>) {
    let templates = templates();
    let mut rng = rng::stream(seed, Purpose::Dataset);
    let n = samples_per_class * NUM_CLASSES;
    let len = params.final_seq_length;
    let mut raw = Vec::with_capacity(n * len);
    for template in &templates {
        for _ in 0..samples_per_class {
            raw.extend(transform(template, params, &mut rng));
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let mut shuffled = Vec::with_capacity(n * len);
    for &i in &order {
        shuffled.extend_from_slice(&raw[i * len..(i + 1) * len]);
    }
    let labels = order.iter().map(|&i| (i / samples_per_class) as u32).collect();
    (shuffled, labels)
}

/// One example from a template, in the reference's order of operations.
fn transform(template: &[f64], params: &Params, rng: &mut impl Rng) -> Vec<f64> {
    const EPS: f64 = 1e-8;
    let (low, high) = params.padding;
    let pad = low + (rng.random::<f64>() * (high - low + 1) as f64) as usize;
    let mut x: Vec<f64> = template.iter().map(|v| v + EPS).collect();
    x.resize(template.len() + pad, 0.0);
    let mut x = interpolate(&x, TEMPLATE_LEN + high);

    let scale = 1.0 + params.scale_coeff * (rng.random::<f64>() - 0.5);
    x.iter_mut().for_each(|v| *v *= scale);

    let shift = rng.random_range(0..params.max_translation);
    x.rotate_right(shift);

    let noise: Vec<f64> = (0..x.len())
        .map(|_| params.corr_noise_scale * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let smooth = gaussian_filter(&noise, 2.0);
    for (v, s) in x.iter_mut().zip(smooth) {
        if *v == 0.0 {
            *v = s;
        }
    }
    for v in x.iter_mut() {
        *v += params.iid_noise_scale * rng.sample::<f64, _>(StandardNormal);
    }

    let coeff = params.shear_scale * (rng.random::<f64>() - 0.5);
    let last = (x.len() - 1) as f64;
    for (i, v) in x.iter_mut().enumerate() {
        *v -= coeff * (i as f64 / last - 0.5);
    }
    interpolate(&x, params.final_seq_length)
}

/// Linear resampling of `x` to `n` evenly spaced points spanning the same range.
fn interpolate(x: &[f64], n: usize) -> Vec<f64> {
    let last = (x.len() - 1) as f64;
    (0..n)
        .map(|j| {
            let t = j as f64 / (n - 1) as f64 * last;
            let i = (t.floor() as usize).min(x.len() - 2);
            let frac = t - i as f64;
            x[i] + (x[i + 1] - x[i]) * frac
        })
        .collect()
}

/// A 1-D Gaussian filter with scipy's defaults: kernel radius `4 sigma`
/// (rounded), mirror-with-edge ("reflect") boundaries.
fn gaussian_filter(x: &[f64], sigma: f64) -> Vec<f64> {
    let radius = (4.0 * sigma + 0.5) as isize;
    let weights: Vec<f64> = (-radius..=radius)
        .map(|k| (-0.5 * (k as f64 / sigma).powi(2)).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let n = x.len() as isize;
    let reflect = |i: isize| -> usize {
        let mut i = i;
        loop {
            if i < 0 {
                i = -i - 1;
            } else if i >= n {
                i = 2 * n - i - 1;
            } else {
                return i as usize;
            }
        }
    };
    (0..n)
        .map(|i| {
            (-radius..=radius)
                .zip(&weights)
                .map(|(k, w)| w * x[reflect(i + k)])
                .sum::<f64>()
                / total
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_start_at_zero() {
        for t in templates() {
            assert_eq!(t[0], 0.0);
            assert!(t.iter().any(|v| v.abs() > 0.1));
        }
    }

    #[test]
    fn interpolate_keeps_endpoints_and_midpoints() {
        // [0, 2, 4] resampled to 5 points is [0, 1, 2, 3, 4] by hand.
        assert_eq!(interpolate(&[0.0, 2.0, 4.0], 5), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn gaussian_filter_preserves_constants_and_sums() {
        let flat = gaussian_filter(&[3.0; 20], 2.0);
        assert!(flat.iter().all(|v| (v - 3.0).abs() < 1e-12));
        // A spike in the middle spreads out but keeps its mass (no boundary reached).
        let mut spike = vec![0.0; 41];
        spike[20] = 1.0;
        let out = gaussian_filter(&spike, 2.0);
        assert!((out.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(out[20] > out[21] && out[21] > out[22]);
        assert_eq!(out[20 - 9], 0.0, "radius is 8 for sigma 2");
    }

    #[test]
    fn shape_balance_and_standardisation() {
        let ds = generate(50, 3, &Params::default());
        assert_eq!(ds.len(), 500);
        assert_eq!(ds.feature_len, 40);
        assert_eq!(ds.features.len(), 500 * 40);
        assert_eq!(ds.class_counts(), vec![50; 10]);
        let n = ds.features.len() as f64;
        let mean = ds.features.iter().map(|&v| v as f64).sum::<f64>() / n;
        let sd = (ds.features.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(mean.abs() < 1e-5, "mean {mean}");
        assert!((sd - 1.0).abs() < 1e-5, "sd {sd}");
        // Shuffled: the first 50 rows are not all one class.
        assert!(ds.labels[..50].iter().any(|&y| y != ds.labels[0]));
    }

    /// Compares our samples with statistics of the reference implementation
    /// (mnist1d 0.0.2.post1, 2,000 examples per class, produced by
    /// `tests/data/mnist1d_reference_stats.py`). The two use different random
    /// generators, so only distributions can agree: per-position class means
    /// have a standard error near 0.025, which sets the tolerances.
    #[test]
    fn matches_reference_statistics() {
        #[derive(serde::Deserialize)]
        struct Reference {
            samples_per_class: usize,
            raw_mean: f64,
            raw_std: f64,
            class_mean: Vec<Vec<f64>>,
            class_std: Vec<f64>,
        }
        let reference: Reference =
            serde_json::from_str(include_str!("../../tests/data/mnist1d_reference_stats.json")).unwrap();
        let params = Params::default();
        let spc = reference.samples_per_class;
        let (raw, _) = generate_raw(spc, 42, &params);
        let n = raw.len() as f64;
        let raw_mean = raw.iter().sum::<f64>() / n;
        let raw_std = (raw.iter().map(|v| (v - raw_mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(
            (raw_mean - reference.raw_mean).abs() < 0.01,
            "raw mean {raw_mean} vs {}",
            reference.raw_mean
        );
        assert!(
            (raw_std / reference.raw_std - 1.0).abs() < 0.03,
            "raw sd {raw_std} vs {}",
            reference.raw_std
        );

        let ds = generate(spc, 42, &params);
        let len = ds.feature_len;
        let mut worst: f64 = 0.0;
        let mut total = 0.0;
        for class in 0..NUM_CLASSES {
            let rows: Vec<&[f32]> = (0..ds.len())
                .filter(|&i| ds.labels[i] == class as u32)
                .map(|i| ds.row(i))
                .collect();
            let mut sd_sum = 0.0;
            for pos in 0..len {
                let vals: Vec<f64> = rows.iter().map(|r| r[pos] as f64).collect();
                let m = vals.iter().sum::<f64>() / vals.len() as f64;
                let sd = (vals.iter().map(|v| (v - m).powi(2)).sum::<f64>() / vals.len() as f64).sqrt();
                sd_sum += sd;
                let diff = (m - reference.class_mean[class][pos]).abs();
                worst = worst.max(diff);
                total += diff;
            }
            let sd_mean = sd_sum / len as f64;
            assert!(
                (sd_mean - reference.class_std[class]).abs() < 0.05,
                "class {class} sd {sd_mean} vs {}",
                reference.class_std[class]
            );
        }
        let mean_diff = total / (NUM_CLASSES * len) as f64;
        assert!(worst < 0.15, "largest class-mean difference {worst}");
        assert!(mean_diff < 0.04, "average class-mean difference {mean_diff}");
    }

    #[test]
    fn deterministic_from_seed() {
        let a = generate(20, 11, &Params::default());
        let b = generate(20, 11, &Params::default());
        let c = generate(20, 12, &Params::default());
        assert_eq!(a, b);
        assert_ne!(a.features, c.features);
    }
}
