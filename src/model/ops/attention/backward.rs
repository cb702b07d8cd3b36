//! The backward kernel of [`super::attention`], per text and head.

use super::super::matmul::{product, Matrix, Start};
use super::super::simd::{self, multiversion};
use super::super::{with_values, written};
use super::{multiply, Attention, Sizes};
use candle_core::{bail, Tensor};
use gemm::Parallelism;
use rayon::prelude::*;
use std::mem::MaybeUninit;

multiversion! {
    /// Softmax backward in place: `dp` becomes `p * (dp - rowsum(dp * p))`.
    fn softmax_grad_rows(dp: &mut [f32], p: &[f32], t: usize) {
        for (dp, p) in dp.chunks_mut(t).zip(p.chunks(t)) {
            let dot = simd::dot(dp, p);
            for (g, &p) in dp.iter_mut().zip(p) {
                *g = p * (*g - dot);
            }
        }
    }
}

impl Attention {
    /// `dq | dk | dv`, flat, from the op's inputs and the output's gradient
    /// (all contiguous CPU tensors of one shape).
    pub(super) fn backward(&self, q: &Tensor, k: &Tensor, v: &Tensor, d_out: &Tensor) -> candle_core::Result<Tensor> {
        let name = "attention-backward";
        let n = q.elem_count();
        let Sizes { t, h, .. } = self.shape;
        let grads = with_values([q, k, v, d_out], name, |[q, k, v, d_out]| {
            if [k.len(), v.len(), d_out.len()] != [n; 3] || !n.is_multiple_of(t * h) {
                bail!(
                    "{name}: q, k, v and dO of {n}, {}, {} and {} values do not fit",
                    k.len(),
                    v.len(),
                    d_out.len()
                )
            }
            // SAFETY: every text's block of dq, dk and dv is written in full
            // (each head's columns by a product that does not read them).
            Ok(unsafe {
                written(3 * n, |grads| {
                    let (dq, rest) = grads.split_at_mut(n);
                    let (dk, dv) = rest.split_at_mut(n);
                    dq.par_chunks_mut(t * h)
                        .zip(dk.par_chunks_mut(t * h).zip(dv.par_chunks_mut(t * h)))
                        .enumerate()
                        .for_each(|(bi, (dq, (dk, dv)))| {
                            let block = bi * t * h..(bi + 1) * t * h;
                            let inputs = [&q[block.clone()], &k[block.clone()], &v[block.clone()], &d_out[block]];
                            self.backward_text(bi, inputs, [dq, dk, dv]);
                        });
                })
            })
        })?;
        Tensor::from_vec(grads, 3 * n, q.device())
    }

    /// Gradients of one text: `inputs` are its q, k, v, dO blocks, `grads` its dq, dk, dv.
    fn backward_text(&self, bi: usize, inputs: [&[f32]; 4], grads: [&mut [MaybeUninit<f32>]; 3]) {
        let [q, k, v, d_out] = inputs;
        let [dq, dk, dv] = grads;
        let Sizes { t, h, heads, .. } = self.shape;
        let dh = self.shape.head_dim();
        let (mut p, mut pd, mut dp) = (vec![0f32; t * t], vec![0f32; t * t], vec![0f32; t * t]);
        let col = |x: &[f32], hi: usize| Matrix::rows(&x[hi * dh..], h);
        for hi in 0..heads {
            self.probabilities(&mut p, q, k, bi, hi);
            pd.copy_from_slice(&p);
            let drop = self.dropout_of(bi, hi);
            if let Some(d) = drop {
                multiply(&mut pd, d);
            }
            // SAFETY: every matrix is this text's block or a t x t scratch buffer, with the
            // head's dh columns addressed through row stride h.
            unsafe {
                // dV = (P D)^T dO
                product(
                    dv[hi * dh..].as_mut_ptr().cast::<f32>(),
                    h,
                    Start::Zero,
                    (t, dh, t),
                    Matrix::rows(&pd, t).transposed(),
                    col(d_out, hi),
                    1.0,
                    Parallelism::None,
                );
                // dP = (dO V^T) D
                product(
                    dp.as_mut_ptr(),
                    t,
                    Start::Zero,
                    (t, t, dh),
                    col(d_out, hi),
                    col(v, hi).transposed(),
                    1.0,
                    Parallelism::None,
                );
            }
            if let Some(d) = drop {
                multiply(&mut dp, d);
            }
            softmax_grad_rows(&mut dp, &p, t);
            // SAFETY: as above.
            unsafe {
                // dQ = scale dS K, dK = scale dS^T Q
                product(
                    dq[hi * dh..].as_mut_ptr().cast::<f32>(),
                    h,
                    Start::Zero,
                    (t, dh, t),
                    Matrix::rows(&dp, t),
                    col(k, hi),
                    self.scale,
                    Parallelism::None,
                );
                product(
                    dk[hi * dh..].as_mut_ptr().cast::<f32>(),
                    h,
                    Start::Zero,
                    (t, dh, t),
                    Matrix::rows(&dp, t).transposed(),
                    col(q, hi),
                    self.scale,
                    Parallelism::None,
                );
            }
        }
    }
}
