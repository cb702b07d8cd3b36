//! The end of every transformer sub-layer as one operation:
//! `LayerNorm(dropout(x) + residual)`.
//!
//! Why: as separate operations this is a dropout multiply, an addition and
//! a LayerNorm, three nodes of candle's backward pass over the widest
//! activations, each with its own zeroed gradient buffers; fused, the sum is
//! never stored (the backward pass recomputes it) and the two gradients come
//! out of one kernel: with `ds` the LayerNorm's input gradient,
//! `d residual = ds` and `dx = ds * mask`.

use super::layer_norm::{backward_rows, forward_rows};
use super::simd::multiversion;
use super::{last_dim, unpack, values, with_values, written, zeroed, ROWS_PER_BLOCK};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;
use std::mem::MaybeUninit;
use std::sync::Arc;

/// `LayerNorm(x * mask + residual)` over the last dimension, with scale
/// `gamma` and shift `beta`; `mask` holds dropout's multipliers (none in evaluation).
pub fn residual_layer_norm(
    x: &Tensor,
    residual: &Tensor,
    (gamma, beta): (&Tensor, &Tensor),
    eps: f32,
    mask: Option<Vec<f32>>,
) -> candle_core::Result<Tensor> {
    if mask.as_ref().is_some_and(|m| m.len() != x.elem_count()) || x.dims() != residual.dims() {
        bail!(
            "residual-layer-norm: input {:?}, residual {:?} and mask do not fit",
            x.dims(),
            residual.dims()
        )
    }
    if !x.device().is_cpu() {
        let dropped = match &mask {
            Some(m) => (x * Tensor::from_slice(m, x.shape(), x.device())?)?,
            None => x.clone(),
        };
        return candle_nn::ops::layer_norm_slow(&(dropped + residual)?, gamma, beta, eps);
    }
    let params = Tensor::cat(&[gamma, beta], 0)?;
    x.contiguous()?.apply_op3(
        &residual.contiguous()?,
        &params,
        ResidualNorm {
            eps,
            mask: mask.map(Arc::new),
        },
    )
}

multiversion! {
    /// `s = x * mask + residual` (`x + residual` without a mask).
    fn residual_sum(s: &mut [f32], x: &[f32], residual: &[f32], mask: Option<&[f32]>) {
        match mask {
            Some(m) => {
                for i in 0..s.len() {
                    s[i] = x[i] * m[i] + residual[i];
                }
            }
            None => {
                for i in 0..s.len() {
                    s[i] = x[i] + residual[i];
                }
            }
        }
    }
}

struct ResidualNorm {
    eps: f32,
    mask: Option<Arc<Vec<f32>>>,
}

impl ResidualNorm {
    /// `x * mask + residual` into `s`, for the values from position `at` on.
    fn sum_into(&self, s: &mut [f32], x: &[f32], residual: &[f32], at: usize) {
        let mask = self.mask.as_ref().map(|m| &m[at..at + s.len()]);
        residual_sum(s, x, residual, mask);
    }

    /// Checked values: x, residual, gamma, beta, width.
    #[allow(clippy::type_complexity)]
    fn operands<'a>(
        &self,
        x: (&'a CpuStorage, &Layout),
        r: (&'a CpuStorage, &Layout),
        p: (&'a CpuStorage, &Layout),
        op: &str,
    ) -> candle_core::Result<(&'a [f32], &'a [f32], &'a [f32], &'a [f32], usize)> {
        let d = last_dim(x.1, op)?;
        let (xv, rv, pv) = (values(x.0, x.1, op)?, values(r.0, r.1, op)?, values(p.0, p.1, op)?);
        if rv.len() != xv.len() || pv.len() != 2 * d {
            bail!(
                "{op}: {} residual and {} parameter values for rows of {d}",
                rv.len(),
                pv.len()
            )
        }
        let (gamma, beta) = pv.split_at(d);
        Ok((xv, rv, gamma, beta, d))
    }
}

impl CustomOp3 for ResidualNorm {
    fn name(&self) -> &'static str {
        "residual-layer-norm"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        rs: &CpuStorage,
        rl: &Layout,
        ps: &CpuStorage,
        pl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, r, gamma, beta, d) = self.operands((xs, xl), (rs, rl), (ps, pl), self.name())?;
        let block = d * ROWS_PER_BLOCK;
        let fill = |y: &mut [MaybeUninit<f32>]| {
            y.par_chunks_mut(block).enumerate().for_each(|(i, y)| {
                let at = i * block;
                let mut s = vec![0f32; y.len()];
                self.sum_into(&mut s, &x[at..at + y.len()], &r[at..at + y.len()], at);
                forward_rows(y, &s, gamma, beta, self.eps);
            })
        };
        // SAFETY: the blocks cover y, and forward_rows writes every value of each.
        let y = unsafe { written(x.len(), fill) };
        Ok((CpuStorage::F32(y), xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        residual: &Tensor,
        params: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // Out: dx | d residual | dgamma | dbeta.
        let packed = self.backward(x, residual, params, &dy.contiguous()?)?;
        let [dx, dr, dparams] = unpack(&packed, [x.shape(), x.shape(), params.shape()])?;
        Ok((Some(dx), Some(dr), Some(dparams)))
    }
}

impl ResidualNorm {
    /// `dx | d residual | dgamma | dbeta`, flat, from the op's inputs and the
    /// output's gradient `dy` (contiguous CPU tensors).
    fn backward(&self, x: &Tensor, residual: &Tensor, params: &Tensor, dy: &Tensor) -> candle_core::Result<Tensor> {
        let name = "residual-layer-norm-backward";
        let d = *dy.dims().last().unwrap_or(&0);
        let out = with_values([x, residual, params, dy], name, |[x, r, p, dy]| {
            let n = dy.len();
            if d == 0 || x.len() != n || r.len() != n || p.len() != 2 * d {
                bail!(
                    "{name}: inputs of {}, {} and {} values for a gradient of {n}",
                    x.len(),
                    r.len(),
                    p.len()
                )
            }
            let gamma = &p[..d];
            let block = d * ROWS_PER_BLOCK;
            let mut partials = Vec::new();
            let fill = |out: &mut [MaybeUninit<f32>]| {
                let (dx, rest) = out.split_at_mut(n);
                let (dr, params) = rest.split_at_mut(n);
                partials = dx
                    .par_chunks_mut(block)
                    .zip(dr.par_chunks_mut(block))
                    .enumerate()
                    .map(|(i, (dx, dr))| {
                        let at = i * block;
                        let len = dx.len();
                        let mut s = vec![0f32; len];
                        self.sum_into(&mut s, &x[at..at + len], &r[at..at + len], at);
                        let mut sums = vec![0f32; 2 * d];
                        let dr = zeroed(dr);
                        backward_rows(dr, &s, &dy[at..at + len], gamma, &mut sums, self.eps);
                        match &self.mask {
                            Some(m) => dx.iter_mut().zip(&*dr).zip(&m[at..at + len]).for_each(|((dx, g), m)| {
                                dx.write(g * m);
                            }),
                            None => {
                                dx.write_copy_of_slice(dr);
                            }
                        }
                        sums
                    })
                    .collect();
                // The parameters' gradients: the blocks' partial sums, added in block order.
                zeroed(params);
            };
            // SAFETY: dx and d residual are written block by block, the parameters' part by `zeroed`.
            let mut out = unsafe { written(2 * n + 2 * d, fill) };
            let params = &mut out[2 * n..];
            for block in &partials {
                for (p, s) in params.iter_mut().zip(block) {
                    *p += s;
                }
            }
            Ok(out)
        })?;
        let len = out.len();
        Tensor::from_vec(out, len, dy.device())
    }
}

#[cfg(test)]
mod tests {
    use super::super::gradcheck::{self, values};
    use super::super::layer_norm;
    use super::*;
    use candle_core::Device;

    fn mask(n: usize) -> Vec<f32> {
        (0..n).map(|i| if i % 7 == 3 { 0.0 } else { 1.25 }).collect()
    }

    #[test]
    fn equals_dropout_add_then_layer_norm() {
        let dev = Device::Cpu;
        let (rows, d) = (37, 24);
        let x = Tensor::from_vec(values(rows * d, 1), (rows, d), &dev).unwrap();
        let r = Tensor::from_vec(values(rows * d, 2), (rows, d), &dev).unwrap();
        let g = Tensor::from_vec(values(d, 3), d, &dev).unwrap();
        let b = Tensor::from_vec(values(d, 4), d, &dev).unwrap();
        let m = mask(rows * d);
        let fused = residual_layer_norm(&x, &r, (&g, &b), 1e-5, Some(m.clone())).unwrap();
        let sum = ((&x * Tensor::from_vec(m, (rows, d), &dev).unwrap()).unwrap() + &r).unwrap();
        let separate = layer_norm(&sum, &g, &b, 1e-5).unwrap();
        assert_eq!(
            gradcheck::max_diff(&fused, &separate),
            0.0,
            "the same arithmetic in the same order"
        );
    }

    #[test]
    fn gradients_match_finite_differences() {
        let (rows, d) = (35, 6);
        for dropout in [false, true] {
            gradcheck::check(
                &[values(rows * d, 5), values(rows * d, 6), values(d, 7), values(d, 8)],
                &[&[rows, d], &[rows, d], &[d], &[d]],
                |t| residual_layer_norm(&t[0], &t[1], (&t[2], &t[3]), 1e-5, dropout.then(|| mask(rows * d))).unwrap(),
                2e-2,
            );
        }
    }
}
