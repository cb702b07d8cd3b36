//! Softmax over the last dimension. Backward, per row: `dx = y * (dy - sum(dy * y))`,
//! from the output alone.

use super::fast_math::exp;
use super::simd::{self, multiversion};
use super::{last_dim, values, ROWS_PER_BLOCK};
use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor, D};
use rayon::prelude::*;

/// Softmax over the last dimension of `x`.
pub fn softmax_last_dim(x: &Tensor) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() {
        return candle_nn::ops::softmax(x, D::Minus1);
    }
    x.contiguous()?.apply_op1(Softmax)
}

multiversion! {
    /// Softmax of each row of width `d`.
    fn forward_rows(y: &mut [f32], x: &[f32], d: usize) {
        for (y, x) in y.chunks_mut(d).zip(x.chunks(d)) {
            let max = simd::max(x);
            for (y, x) in y.iter_mut().zip(x) {
                *y = exp(x - max);
            }
            let inv = 1.0 / simd::sum(y);
            y.iter_mut().for_each(|y| *y *= inv);
        }
    }
}

multiversion! {
    /// `dx = y * (dy - sum(dy * y))` for each row of width `d`.
    fn backward_rows(dx: &mut [f32], y: &[f32], dy: &[f32], d: usize) {
        for (dx, (y, dy)) in dx.chunks_mut(d).zip(y.chunks(d).zip(dy.chunks(d))) {
            let dot = simd::dot(y, dy);
            for i in 0..d {
                dx[i] = y[i] * (dy[i] - dot);
            }
        }
    }
}

struct Softmax;

impl CustomOp1 for Softmax {
    fn name(&self) -> &'static str {
        "softmax"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let d = last_dim(layout, self.name())?;
        let x = values(storage, layout, self.name())?;
        let mut y = vec![0f32; x.len()];
        y.par_chunks_mut(d * ROWS_PER_BLOCK)
            .zip(x.par_chunks(d * ROWS_PER_BLOCK))
            .for_each(|(y, x)| forward_rows(y, x, d));
        Ok((CpuStorage::F32(y), layout.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, y: &Tensor, dy: &Tensor) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(y.apply_op2_no_bwd(&dy.contiguous()?, &SoftmaxBackward)?))
    }
}

struct SoftmaxBackward;

impl CustomOp2 for SoftmaxBackward {
    fn name(&self) -> &'static str {
        "softmax-backward"
    }

    fn cpu_fwd(
        &self,
        ys: &CpuStorage,
        yl: &Layout,
        dys: &CpuStorage,
        dyl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let d = last_dim(yl, self.name())?;
        let (y, dy) = (values(ys, yl, self.name())?, values(dys, dyl, self.name())?);
        if y.len() != dy.len() {
            bail!(
                "softmax-backward: gradient of {} values for {} outputs",
                dy.len(),
                y.len()
            )
        }
        let mut dx = vec![0f32; y.len()];
        dx.par_chunks_mut(d * ROWS_PER_BLOCK)
            .zip(y.par_chunks(d * ROWS_PER_BLOCK).zip(dy.par_chunks(d * ROWS_PER_BLOCK)))
            .for_each(|(dx, (y, dy))| backward_rows(dx, y, dy, d));
        Ok((CpuStorage::F32(dx), yl.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::gradcheck::{self, values};
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_the_composed_softmax_and_sums_to_one() {
        let x = Tensor::from_vec(values(3 * 5 * 9, 1), (3, 5, 9), &Device::Cpu).unwrap();
        let fused = softmax_last_dim(&x).unwrap();
        let composed = candle_nn::ops::softmax(&x, D::Minus1).unwrap();
        assert!(gradcheck::max_diff(&fused, &composed) < 1e-6);
        let sums = fused
            .sum(D::Minus1)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-6));
        // A large negative bias (padding) gets no weight; large values do not overflow.
        let masked = Tensor::from_slice(&[1f32, 2.0, -10_000.0, 80.0], (1, 4), &Device::Cpu).unwrap();
        let p = softmax_last_dim(&masked)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(p[2] == 0.0 && (p[3] - 1.0).abs() < 1e-6, "{p:?}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let (rows, d) = (35, 7);
        gradcheck::check(
            &[values(rows * d, 2)],
            &[&[rows, d]],
            |t| softmax_last_dim(&t[0]).unwrap(),
            2e-2,
        );
    }
}
