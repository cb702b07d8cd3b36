//! LayerNorm over the last dimension: `y = (x - mean) / sqrt(var + eps) * gamma + beta`.
//!
//! Backward, per row, with `xhat = (x - mean) * rstd` and `g = dy * gamma`:
//! `dx = rstd * (g - mean(g) - xhat * mean(g * xhat))`, `dgamma = sum over rows of dy * xhat`,
//! `dbeta = sum over rows of dy`. One kernel computes all three; the mean and
//! `rstd` are recomputed from `x` (cheaper than keeping them).

use super::simd::{self, multiversion};
use super::{last_dim, unpack, values, written, ROWS_PER_BLOCK};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Normalises the last dimension of `x` and applies the affine `gamma`, `beta`.
pub fn layer_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f32) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() {
        return candle_nn::ops::layer_norm_slow(x, gamma, beta, eps);
    }
    x.contiguous()?
        .apply_op3(&gamma.contiguous()?, &beta.contiguous()?, LayerNorm { eps })
}

/// Mean and reciprocal standard deviation of one row (inlined into the
/// vectorised kernels, so it is compiled for the same vector units).
#[inline(always)]
fn moments(row: &[f32], eps: f32) -> (f32, f32) {
    let d = row.len() as f32;
    let mean = simd::sum(row) / d;
    let var = simd::sum_by(row, |v| (v - mean) * (v - mean)) / d;
    (mean, 1.0 / (var + eps).sqrt())
}

multiversion! {
    /// LayerNorm of each row (width `gamma.len()`), written over every value of `y`.
    pub(super) fn forward_rows(y: &mut [MaybeUninit<f32>], x: &[f32], gamma: &[f32], beta: &[f32], eps: f32) {
        let d = gamma.len();
        for (y, x) in y.chunks_mut(d).zip(x.chunks(d)) {
            let (mean, rstd) = moments(x, eps);
            for i in 0..d {
                y[i].write((x[i] - mean) * rstd * gamma[i] + beta[i]);
            }
        }
    }
}

multiversion! {
    /// `dx` of each row; adds each row's `dy * xhat` and `dy` into `sums`
    /// (dgamma, then dbeta).
    pub(super) fn backward_rows(dx: &mut [f32], x: &[f32], dy: &[f32], gamma: &[f32], sums: &mut [f32], eps: f32) {
        let d = gamma.len();
        let mut xhat = vec![0f32; d];
        let mut g = vec![0f32; d];
        for ((dx, x), dy) in dx.chunks_mut(d).zip(x.chunks(d)).zip(dy.chunks(d)) {
            let (mean, rstd) = moments(x, eps);
            for i in 0..d {
                xhat[i] = (x[i] - mean) * rstd;
                g[i] = dy[i] * gamma[i];
                sums[i] += dy[i] * xhat[i];
                sums[d + i] += dy[i];
            }
            let mean_g = simd::sum(&g) / d as f32;
            let mean_gx = simd::dot(&g, &xhat) / d as f32;
            for i in 0..d {
                dx[i] = rstd * (g[i] - mean_g - xhat[i] * mean_gx);
            }
        }
    }
}

struct LayerNorm {
    eps: f32,
}

/// The inputs of both passes, checked: `x` rows of width `d` = `gamma.len()`.
fn check<'a>(
    x: (&'a CpuStorage, &Layout),
    gamma: (&'a CpuStorage, &Layout),
    op: &str,
) -> candle_core::Result<(&'a [f32], &'a [f32], usize)> {
    let d = last_dim(x.1, op)?;
    let (xv, gv) = (values(x.0, x.1, op)?, values(gamma.0, gamma.1, op)?);
    if gv.len() != d {
        bail!("{op}: {} scale values for rows of {d}", gv.len())
    }
    Ok((xv, gv, d))
}

impl CustomOp3 for LayerNorm {
    fn name(&self) -> &'static str {
        "layer-norm"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, gamma, d) = check((xs, xl), (gs, gl), self.name())?;
        let beta = values(bs, bl, self.name())?;
        if beta.len() != d {
            bail!("layer-norm: {} shift values for rows of {d}", beta.len())
        }
        let fill = |y: &mut [MaybeUninit<f32>]| {
            y.par_chunks_mut(d * ROWS_PER_BLOCK)
                .zip(x.par_chunks(d * ROWS_PER_BLOCK))
                .for_each(|(y, x)| forward_rows(y, x, gamma, beta, self.eps))
        };
        // SAFETY: the blocks cover y, and forward_rows writes every value of each.
        let y = unsafe { written(x.len(), fill) };
        Ok((CpuStorage::F32(y), xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // One buffer: dx, then dgamma, then dbeta.
        let packed = x.apply_op3_no_bwd(gamma, &dy.contiguous()?, &LayerNormBackward { eps: self.eps })?;
        let [dx, dgamma, dbeta] = unpack(&packed, [x.shape(), gamma.shape(), gamma.shape()])?;
        Ok((Some(dx), Some(dgamma), Some(dbeta)))
    }
}

struct LayerNormBackward {
    eps: f32,
}

impl CustomOp3 for LayerNormBackward {
    fn name(&self) -> &'static str {
        "layer-norm-backward"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
        dys: &CpuStorage,
        dyl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, gamma, d) = check((xs, xl), (gs, gl), self.name())?;
        let dy = values(dys, dyl, self.name())?;
        if dy.len() != x.len() {
            bail!(
                "layer-norm-backward: gradient of {} values for {} inputs",
                dy.len(),
                x.len()
            )
        }
        let n = x.len();
        let mut out = vec![0f32; n + 2 * d];
        let (dx, params) = out.split_at_mut(n);
        let partials: Vec<Vec<f32>> = dx
            .par_chunks_mut(d * ROWS_PER_BLOCK)
            .zip(x.par_chunks(d * ROWS_PER_BLOCK))
            .zip(dy.par_chunks(d * ROWS_PER_BLOCK))
            .map(|((dx, x), dy)| {
                // dgamma then dbeta of this block's rows
                let mut sums = vec![0f32; 2 * d];
                backward_rows(dx, x, dy, gamma, &mut sums, self.eps);
                sums
            })
            .collect();
        for block in &partials {
            for (p, s) in params.iter_mut().zip(block) {
                *p += s;
            }
        }
        Ok((CpuStorage::F32(out), Shape::from(n + 2 * d)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::gradcheck::{self, values};
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_the_composed_layer_norm() {
        let dev = Device::Cpu;
        let x = Tensor::from_vec(values(5 * 7 * 24, 1), (5, 7, 24), &dev).unwrap();
        let g = Tensor::from_vec(values(24, 2), 24, &dev).unwrap();
        let b = Tensor::from_vec(values(24, 3), 24, &dev).unwrap();
        let fused = layer_norm(&x, &g, &b, 1e-5).unwrap();
        let composed = candle_nn::ops::layer_norm_slow(&x, &g, &b, 1e-5).unwrap();
        assert!(gradcheck::max_diff(&fused, &composed) < 1e-5);
    }

    #[test]
    fn gradients_match_finite_differences() {
        // 37 rows: more than two blocks, the last one partial.
        let (rows, d) = (37, 6);
        gradcheck::check(
            &[values(rows * d, 4), values(d, 5), values(d, 6)],
            &[&[rows, d], &[d], &[d]],
            |t| layer_norm(&t[0], &t[1], &t[2], 1e-5).unwrap(),
            2e-2,
        );
    }

    #[test]
    fn gradients_match_the_composed_version() {
        let dev = Device::Cpu;
        let (rows, d) = (40, 32);
        let make =
            |v: Vec<f32>, s: &[usize]| candle_core::Var::from_tensor(&Tensor::from_vec(v, s, &dev).unwrap()).unwrap();
        let (x, g, b) = (
            make(values(rows * d, 7), &[rows, d]),
            make(values(d, 8), &[d]),
            make(values(d, 9), &[d]),
        );
        let w = Tensor::from_vec(values(rows * d, 10), (rows, d), &dev).unwrap();
        let grads = |y: Tensor| (y * &w).unwrap().sum_all().unwrap().backward().unwrap();
        let fused = grads(layer_norm(&x, &g, &b, 1e-5).unwrap());
        let composed = grads(candle_nn::ops::layer_norm_slow(&x, &g, &b, 1e-5).unwrap());
        for var in [&x, &g, &b] {
            let diff = gradcheck::max_diff(fused.get(var).unwrap(), composed.get(var).unwrap());
            assert!(diff < 1e-4, "difference {diff}");
        }
    }
}
