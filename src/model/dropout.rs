//! Dropout whose masks come from the project's seeded generator.
//!
//! `candle_nn::ops::dropout` draws from candle's CPU generator, which cannot
//! be seeded, so two runs with the same seed would train differently. Here
//! each module owns a ChaCha stream, fixed by the run's seed.

use crate::rng::{self, Purpose};
use candle_core::Tensor;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::sync::Mutex;

/// Zeroes each value with probability `p` in training (scaling the rest by
/// `1 / (1 - p)`); the identity in evaluation.
pub struct Dropout {
    p: f32,
    rng: Mutex<ChaCha8Rng>,
}

impl Dropout {
    /// A dropout layer with rate `p`, its masks drawn from `seed` and `stream`
    /// (one stream per layer, so layers draw different masks).
    pub fn new(p: f32, seed: u64, stream: u64) -> Self {
        let mut rng = rng::stream(seed, Purpose::Dropout);
        rng.set_stream(Purpose::Dropout as u64 + 1000 * (stream + 1));
        Dropout {
            p,
            rng: Mutex::new(rng),
        }
    }

    /// Applies dropout when `train` is set.
    pub fn forward(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        match self.mask(x.elem_count(), train) {
            None => Ok(x.clone()),
            Some(mask) => x * Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?,
        }
    }

    /// The next `n` multipliers (0 for a dropped value, `1 / (1 - p)` for a
    /// kept one), or None when nothing is dropped (evaluation, or `p = 0`).
    /// For kernels that apply dropout inside a fused operation.
    pub fn mask(&self, n: usize, train: bool) -> Option<Vec<f32>> {
        if !train || self.p <= 0.0 {
            return None;
        }
        let keep = 1.0 - self.p;
        let scale = 1.0 / keep;
        // `rng.random::<f32>() < keep` without the float: rand draws a u32 and
        // takes its top 24 bits as a multiple of 2^-24, so the test is exactly
        // `bits < ceil(keep * 2^24)` (a test below checks both give one mask).
        let threshold = (keep * (1u32 << 24) as f32).ceil() as u32;
        // The draws come in one block fill (the same u32s, in the same order,
        // as one `random::<u32>()` each, which a test checks) and become
        // multipliers in place: the per-draw calls took ~3% of a MiniLM step.
        let mut draws = vec![0u32; n];
        self.rng
            .lock()
            .expect("dropout generator lock poisoned")
            .fill(&mut draws[..]);
        Some(
            draws
                .into_iter()
                .map(|bits| if bits >> 8 < threshold { scale } else { 0.0 })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Dropout of a 100x100 tensor of ones, flattened.
    fn apply(seed: u64, stream: u64, train: bool) -> Vec<f32> {
        let x = Tensor::ones((100, 100), candle_core::DType::F32, &Device::Cpu).unwrap();
        let y = Dropout::new(0.25, seed, stream).forward(&x, train).unwrap();
        y.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    }

    /// The block-filled integer test draws the same masks as rand's float in
    /// [0, 1), one draw at a time, across consecutive masks of odd lengths.
    #[test]
    fn masks_equal_the_float_comparison() {
        for p in [0.1f32, 0.25, 0.5, 0.9] {
            let d = Dropout::new(p, 7, 3);
            let masks: Vec<f32> = [10_001, 777, 1]
                .into_iter()
                .flat_map(|n| d.mask(n, true).unwrap())
                .collect();
            let mut rng = rng::stream(7, Purpose::Dropout);
            rng.set_stream(Purpose::Dropout as u64 + 1000 * 4);
            let keep = 1.0 - p;
            let expected: Vec<f32> = (0..masks.len())
                .map(|_| if rng.random::<f32>() < keep { 1.0 / keep } else { 0.0 })
                .collect();
            assert_eq!(masks, expected, "p = {p}");
        }
    }

    #[test]
    fn seeded_masks_keep_the_expected_fraction() {
        let a = apply(3, 0, true);
        assert_eq!(a, apply(3, 0, true), "same seed, same mask");
        let kept = a.iter().filter(|&&v| v > 0.0).count() as f64 / a.len() as f64;
        assert!((kept - 0.75).abs() < 0.03, "kept {kept}");
        assert!(a.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
        assert_ne!(a, apply(3, 1, true), "layers draw different masks");
        assert_ne!(a, apply(4, 0, true), "seeds draw different masks");
        assert!(
            apply(3, 0, false).iter().all(|&v| v == 1.0),
            "the identity in evaluation"
        );
    }
}
