//! Multi-head self-attention as one operation: for each text and head,
//! `softmax(q k^T * scale + mask) * dropout` applied to `v`, read from and
//! written to `[batch, tokens, hidden]` tensors with the heads side by side.
//!
//! Why: composed from candle operations a layer's attention is about
//! fifteen nodes of the backward pass (head split, transposes, copies,
//! scaling, masking, softmax, dropout, two batched products), each with its
//! own zeroed gradient buffer, and each batched product a loop of hundreds
//! of tiny matrix products. Here one kernel per text does the products of
//! every head with `gemm` straight from the strided inputs, and the backward
//! pass recomputes the probabilities (cheap at these lengths) instead of
//! keeping them.
//!
//! Backward, per text and head, with `P` the probabilities and `D` the
//! dropout multipliers: `dV = (P D)^T dO`, `dP = (dO V^T) D`,
//! `dS = P (dP - rowsum(dP P))`, `dQ = scale dS K`, `dK = scale dS^T Q`.

mod backward;

use super::fast_math::exp;
use super::matmul::{product, Matrix, Start};
use super::simd::{self, multiversion};
use super::{unpack, values, written};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Tensor};
use gemm::Parallelism;
use rayon::prelude::*;
use std::mem::MaybeUninit;
use std::sync::Arc;

/// What fixes one attention call besides `q`, `k` and `v`.
pub struct AttentionSpec {
    /// Heads the hidden dimension is split into.
    pub heads: usize,
    /// Added to every score of a key position, `[batch, tokens]` (a large
    /// negative number hides padding).
    pub key_bias: Arc<[f32]>,
    /// Dropout multipliers of the probabilities, `[batch, heads, tokens, tokens]`.
    pub dropout: Option<Vec<f32>>,
}

/// Attention of `q`, `k`, `v` (each `[batch, tokens, hidden]`); the result has the same shape.
pub fn attention(q: &Tensor, k: &Tensor, v: &Tensor, spec: AttentionSpec) -> candle_core::Result<Tensor> {
    let (b, t, h) = q.dims3()?;
    if k.dims() != q.dims() || v.dims() != q.dims() || spec.heads == 0 || h % spec.heads != 0 {
        bail!(
            "attention: q {:?}, k {:?}, v {:?} with {} heads do not fit",
            q.dims(),
            k.dims(),
            v.dims(),
            spec.heads
        )
    }
    if spec.key_bias.len() != b * t || spec.dropout.as_ref().is_some_and(|d| d.len() != b * spec.heads * t * t) {
        bail!("attention: mask or dropout of the wrong size for {b} texts of {t} tokens")
    }
    let shape = Sizes {
        b,
        t,
        h,
        heads: spec.heads,
    };
    let op = Attention {
        shape,
        scale: 1.0 / ((h / spec.heads) as f32).sqrt(),
        key_bias: spec.key_bias,
        dropout: spec.dropout.map(Arc::new),
    };
    if !q.device().is_cpu() {
        return op.composed(q, k, v);
    }
    q.contiguous()?.apply_op3(&k.contiguous()?, &v.contiguous()?, op)
}

/// Sizes: texts, tokens, hidden width, heads.
#[derive(Clone, Copy)]
struct Sizes {
    b: usize,
    t: usize,
    h: usize,
    heads: usize,
}

impl Sizes {
    fn head_dim(&self) -> usize {
        self.h / self.heads
    }
}

struct Attention {
    shape: Sizes,
    scale: f32,
    key_bias: Arc<[f32]>,
    dropout: Option<Arc<Vec<f32>>>,
}

multiversion! {
    /// Row-wise softmax of `scores` (rows of `t`) after adding `bias` to every row, in place.
    fn softmax_rows(scores: &mut [f32], bias: &[f32]) {
        let t = bias.len();
        for row in scores.chunks_mut(t) {
            for (s, b) in row.iter_mut().zip(bias) {
                *s += b;
            }
            let max = simd::max(row);
            let inv = 1.0 / simd::map_sum(row, |s| exp(s - max));
            row.iter_mut().for_each(|s| *s *= inv);
        }
    }
}

multiversion! {
    /// `a[i] *= b[i]`.
    fn multiply(a: &mut [f32], b: &[f32]) {
        for (a, b) in a.iter_mut().zip(b) {
            *a *= b;
        }
    }
}

impl Attention {
    /// The same function from candle operations (devices other than the CPU).
    fn composed(&self, q: &Tensor, k: &Tensor, v: &Tensor) -> candle_core::Result<Tensor> {
        let Sizes { b, t, h, heads } = self.shape;
        let dev = q.device();
        let split = |x: &Tensor| x.reshape((b, t, heads, h / heads))?.transpose(1, 2)?.contiguous();
        let bias = Tensor::from_slice(&self.key_bias, (b, 1, 1, t), dev)?;
        let scores = (split(q)?.matmul(&split(k)?.t()?)? * self.scale as f64)?.broadcast_add(&bias)?;
        let mut probs = candle_nn::ops::softmax(&scores, candle_core::D::Minus1)?;
        if let Some(d) = &self.dropout {
            probs = (probs * Tensor::from_slice(d, (b, heads, t, t), dev)?)?;
        }
        probs.matmul(&split(v)?)?.transpose(1, 2)?.reshape((b, t, h))
    }

    /// Probabilities of text `bi`, head `hi` into `p` (`t x t`), before dropout.
    fn probabilities(&self, p: &mut [f32], q: &[f32], k: &[f32], bi: usize, hi: usize) {
        let Sizes { t, h, .. } = self.shape;
        let dh = self.shape.head_dim();
        let at = |x: &[f32]| Matrix::rows(&x[hi * dh..], h);
        // SAFETY: q and k are this text's [t, h] blocks; the head's columns are dh wide.
        unsafe {
            product(
                p.as_mut_ptr(),
                t,
                Start::Zero,
                (t, t, dh),
                at(q),
                at(k).transposed(),
                self.scale,
                Parallelism::None,
            )
        };
        softmax_rows(p, &self.key_bias[bi * t..(bi + 1) * t]);
    }

    /// The dropout multipliers of text `bi`, head `hi`.
    fn dropout_of(&self, bi: usize, hi: usize) -> Option<&[f32]> {
        let Sizes { t, heads, .. } = self.shape;
        let at = (bi * heads + hi) * t * t;
        self.dropout.as_ref().map(|d| &d[at..at + t * t])
    }
}

impl CustomOp3 for Attention {
    fn name(&self) -> &'static str {
        "attention"
    }

    fn cpu_fwd(
        &self,
        qs: &CpuStorage,
        ql: &Layout,
        ks: &CpuStorage,
        kl: &Layout,
        vs: &CpuStorage,
        vl: &Layout,
    ) -> candle_core::Result<(CpuStorage, candle_core::Shape)> {
        let (q, k, v) = (
            values(qs, ql, "attention")?,
            values(ks, kl, "attention")?,
            values(vs, vl, "attention")?,
        );
        let Sizes { t, h, heads, .. } = self.shape;
        let dh = self.shape.head_dim();
        let fill = |out: &mut [MaybeUninit<f32>]| {
            out.par_chunks_mut(t * h).enumerate().for_each(|(bi, out)| {
                let block = bi * t * h..(bi + 1) * t * h;
                let (q, k, v) = (&q[block.clone()], &k[block.clone()], &v[block]);
                let mut p = vec![0f32; t * t];
                for hi in 0..heads {
                    self.probabilities(&mut p, q, k, bi, hi);
                    if let Some(d) = self.dropout_of(bi, hi) {
                        multiply(&mut p, d);
                    }
                    // SAFETY: out, v are this text's [t, h] blocks; p is t x t.
                    unsafe {
                        product(
                            out[hi * dh..].as_mut_ptr().cast::<f32>(),
                            h,
                            Start::Zero,
                            (t, dh, t),
                            Matrix::rows(&p, t),
                            Matrix::rows(&v[hi * dh..], h),
                            1.0,
                            Parallelism::None,
                        )
                    };
                }
            });
        };
        // SAFETY: each head's columns of every text's block are written by a
        // product that does not read them, and the heads cover every column.
        let out = unsafe { written(q.len(), fill) };
        Ok((CpuStorage::F32(out), ql.shape().clone()))
    }

    fn bwd(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        _out: &Tensor,
        d_out: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let packed = self.backward(q, k, v, &d_out.contiguous()?)?;
        let [dq, dk, dv] = unpack(&packed, [q.shape(), k.shape(), v.shape()])?;
        Ok((Some(dq), Some(dk), Some(dv)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::gradcheck::{self, values};
    use super::*;
    use candle_core::{Device, Var};

    fn spec(b: usize, t: usize, heads: usize, dropout: bool) -> AttentionSpec {
        // The last key of every text is padding.
        let key_bias = (0..b * t)
            .map(|i| if i % t == t - 1 { -10_000.0 } else { 0.0 })
            .collect();
        let dropout = dropout.then(|| {
            (0..b * heads * t * t)
                .map(|i| if (i * 7) % 5 == 0 { 0.0 } else { 1.25 })
                .collect()
        });
        AttentionSpec {
            heads,
            key_bias,
            dropout,
        }
    }

    #[test]
    fn matches_the_composed_attention_with_its_gradients() {
        let dev = Device::Cpu;
        let (b, t, h, heads) = (3, 5, 8, 2);
        let make =
            |seed| Var::from_tensor(&Tensor::from_vec(values(b * t * h, seed), (b, t, h), &dev).unwrap()).unwrap();
        let (q, k, v) = (make(1), make(2), make(3));
        let w = Tensor::from_vec(values(b * t * h, 4), (b, t, h), &dev).unwrap();
        for dropout in [false, true] {
            let fused = attention(&q, &k, &v, spec(b, t, heads, dropout)).unwrap();
            let s = spec(b, t, heads, dropout);
            let reference = Attention {
                shape: Sizes { b, t, h, heads },
                scale: 1.0 / 2.0,
                key_bias: s.key_bias,
                dropout: s.dropout.map(Arc::new),
            }
            .composed(&q, &k, &v)
            .unwrap();
            let close = |x: &Tensor, y: &Tensor| {
                let d = gradcheck::max_diff(x, y);
                assert!(d < 1e-5, "dropout {dropout}: difference {d}");
            };
            close(&fused, &reference);
            let ga = (fused * &w).unwrap().sum_all().unwrap().backward().unwrap();
            let gb = (reference * &w).unwrap().sum_all().unwrap().backward().unwrap();
            for x in [&q, &k, &v] {
                close(ga.get(x).unwrap(), gb.get(x).unwrap());
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let (b, t, h, heads) = (2, 4, 6, 3);
        let shape: &[usize] = &[b, t, h];
        gradcheck::check(
            &[values(b * t * h, 5), values(b * t * h, 6), values(b * t * h, 7)],
            &[shape, shape, shape],
            |x| attention(&x[0], &x[1], &x[2], spec(b, t, heads, true)).unwrap(),
            2e-2,
        );
    }
}
