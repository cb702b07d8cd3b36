//! GELU with the exact (erf) form BERT uses: `y = x * Phi(x)`, with
//! `Phi(x) = (1 + erf(x / sqrt 2)) / 2`. Backward: `dy * (Phi(x) + x * phi(x))`,
//! `phi` the standard normal density.

use super::fast_math::{erf, exp};
use super::simd::multiversion;
use super::{values, written};
use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Values per unit of parallel work.
const BLOCK: usize = 1 << 13;

/// GELU of every value of `x`.
pub fn gelu_erf(x: &Tensor) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() {
        return x.gelu_erf();
    }
    x.contiguous()?.apply_op1(Gelu)
}

/// The standard normal distribution function.
#[inline(always)]
fn cdf(x: f32) -> f32 {
    erf(x * std::f32::consts::FRAC_1_SQRT_2).mul_add(0.5, 0.5)
}

multiversion! {
    /// `y = x * Phi(x)` over one block.
    fn forward_block(y: &mut [MaybeUninit<f32>], x: &[f32]) {
        for (y, &x) in y.iter_mut().zip(x) {
            y.write(x * cdf(x));
        }
    }
}

multiversion! {
    /// `dx = dy * (Phi(x) + x * phi(x))` over one block.
    fn backward_block(dx: &mut [MaybeUninit<f32>], x: &[f32], dy: &[f32]) {
        // 1 / sqrt(2 pi)
        const INV_SQRT_TAU: f32 = 0.398_942_3;
        for ((dx, &x), &g) in dx.iter_mut().zip(x).zip(dy) {
            dx.write(g * (x * INV_SQRT_TAU).mul_add(exp(-0.5 * x * x), cdf(x)));
        }
    }
}

multiversion! {
    /// `v = v * Phi(v)` in place over one block.
    fn in_place_block(v: &mut [f32]) {
        for v in v.iter_mut() {
            *v *= cdf(*v);
        }
    }
}

multiversion! {
    /// `z += bias` in every row of `z` (rows of `bias.len()`).
    fn add_to_rows(z: &mut [f32], bias: &[f32]) {
        for row in z.chunks_mut(bias.len()) {
            for (z, b) in row.iter_mut().zip(bias) {
                *z += b;
            }
        }
    }
}

/// Values per block of whole rows of `width` (at least one row).
fn row_block(width: usize) -> usize {
    (BLOCK / width).max(1) * width
}

/// GELU of every value of `x`, into a new buffer.
pub(super) fn forward_values(x: &[f32]) -> Vec<f32> {
    let fill = |y: &mut [MaybeUninit<f32>]| {
        y.par_chunks_mut(BLOCK)
            .zip(x.par_chunks(BLOCK))
            .for_each(|(y, x)| forward_block(y, x))
    };
    // SAFETY: the blocks cover y, each value written once.
    unsafe { written(x.len(), fill) }
}

/// `z += bias` in every row, then the GELU of `z` into a new buffer (`z`,
/// the pre-activation, is kept for the backward pass).
///
/// Why the bias here and not as the product's start
/// ([`super::matmul::Start::Bias`], which costs nothing either): added to
/// the finished sum, each pre-activation is `sum + b`, the bits this layer
/// has given since before the product could start from a bias (a start
/// gives `(b + first depth block) + ...`, which rounds differently once the
/// sum has several depth blocks); and the GELU finds the block in cache.
pub(super) fn bias_forward_values(z: &mut [f32], bias: &[f32]) -> Vec<f32> {
    let (block, n) = (row_block(bias.len()), z.len());
    let fill = |y: &mut [MaybeUninit<f32>]| {
        y.par_chunks_mut(block).zip(z.par_chunks_mut(block)).for_each(|(y, z)| {
            add_to_rows(z, bias);
            forward_block(y, z)
        })
    };
    // SAFETY: the blocks cover y, each value written once.
    unsafe { written(n, fill) }
}

/// `z += bias` in every row and the GELU, in place (evaluation: nothing
/// keeps the pre-activation for a backward pass).
pub(super) fn bias_forward_in_place(z: &mut [f32], bias: &[f32]) {
    z.par_chunks_mut(row_block(bias.len())).for_each(|z| {
        add_to_rows(z, bias);
        in_place_block(z)
    });
}

/// The input's gradient from the input `x` and the output's gradient `dy` (of `x`'s length).
pub(super) fn backward_values(x: &[f32], dy: &[f32]) -> Vec<f32> {
    let fill = |dx: &mut [MaybeUninit<f32>]| {
        dx.par_chunks_mut(BLOCK)
            .zip(x.par_chunks(BLOCK).zip(dy.par_chunks(BLOCK)))
            .for_each(|(dx, (x, dy))| backward_block(dx, x, dy))
    };
    // SAFETY: the blocks cover dx (dy has x's length: the callers check).
    unsafe { written(x.len(), fill) }
}

struct Gelu;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "gelu-erf"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = values(storage, layout, self.name())?;
        Ok((CpuStorage::F32(forward_values(x)), layout.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _y: &Tensor, dy: &Tensor) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(x.apply_op2_no_bwd(&dy.contiguous()?, &GeluBackward)?))
    }
}

struct GeluBackward;

impl CustomOp2 for GeluBackward {
    fn name(&self) -> &'static str {
        "gelu-erf-backward"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        dys: &CpuStorage,
        dyl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, dy) = (values(xs, xl, self.name())?, values(dys, dyl, self.name())?);
        if x.len() != dy.len() {
            bail!(
                "gelu-erf-backward: gradient of {} values for {} inputs",
                dy.len(),
                x.len()
            )
        }
        Ok((CpuStorage::F32(backward_values(x, dy)), xl.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::gradcheck::{self, values};
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_candles_exact_gelu() {
        let x = Tensor::from_vec(values(20_000, 1), 20_000, &Device::Cpu).unwrap();
        let x = (x * 3.0).unwrap();
        assert!(gradcheck::max_diff(&gelu_erf(&x).unwrap(), &x.gelu_erf().unwrap()) < 1e-6);
    }

    #[test]
    fn gradients_match_finite_differences() {
        gradcheck::check(&[values(300, 3)], &[&[300]], |t| gelu_erf(&t[0]).unwrap(), 2e-2);
    }
}
