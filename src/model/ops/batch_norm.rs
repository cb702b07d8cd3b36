//! BatchNorm over the channels of `[N, C, H, W]` maps, optionally followed
//! by ReLU6, as one kernel each way.
//!
//! Why: composed from candle's operations, the per-channel statistics and
//! the broadcast scale and shift make candle's backward pass sum gradients
//! over the batch and both spatial dimensions with its strided reduction,
//! which took a third of a MobileNetV2 training step here (measured with
//! `perf` on `bench --workload mobilenet-step`), and every intermediate is a
//! full-size tensor.
//!
//! With `xhat = (x - mean) * rstd` per channel and `g` the upstream gradient
//! (zero where ReLU6 clipped): `dbeta = sum g`, `dgamma = sum g * xhat`, and
//! `dx = gamma * rstd * (g - dbeta / M - xhat * dgamma / M)` with the batch's
//! statistics (`M = N*H*W` values per channel), or `dx = gamma * rstd * g`
//! with fixed (running) statistics.

use super::{unpack, values};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;

/// The statistics a pass normalises with, per channel, and what follows.
#[derive(Debug, Clone)]
pub struct BatchNormPass {
    /// Mean per channel.
    pub mean: Vec<f32>,
    /// `1 / sqrt(var + eps)` per channel.
    pub rstd: Vec<f32>,
    /// Whether the statistics are the batch's own (training), so that the
    /// gradient flows through them too.
    pub batch_stats: bool,
    /// Whether ReLU6 follows.
    pub relu6: bool,
}

/// Mean and biased variance of each channel of `x` `[N, C, H, W]` (a CPU
/// tensor), read in place: copying the activation out first cost a buffer
/// the size of each layer's output.
pub fn channel_moments(x: &Tensor) -> candle_core::Result<(Vec<f32>, Vec<f32>)> {
    let x = x.contiguous()?;
    let (n, c, h, w) = x.dims4()?;
    let plane = h * w;
    let (storage, layout) = x.storage_and_layout();
    let candle_core::Storage::Cpu(cpu) = &*storage else {
        bail!("batch-norm: channel statistics are computed on the CPU")
    };
    let v = values(cpu, layout, "batch-norm")?;
    let count = (n * plane) as f64;
    Ok((0..c)
        .into_par_iter()
        .map(|ch| {
            let planes = || (0..n).map(|i| &v[(i * c + ch) * plane..(i * c + ch + 1) * plane]);
            let mean = planes().map(|p| p.iter().map(|&x| x as f64).sum::<f64>()).sum::<f64>() / count;
            let var = planes()
                .map(|p| p.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>())
                .sum::<f64>()
                / count;
            (mean as f32, var as f32)
        })
        .unzip())
}

impl BatchNormPass {
    /// `gamma * xhat + beta`, then ReLU6 if asked, for contiguous `x` `[N, C, H, W]`.
    pub fn apply(self, x: &Tensor, gamma: &Tensor, beta: &Tensor) -> candle_core::Result<Tensor> {
        x.contiguous()?
            .apply_op3(&gamma.contiguous()?, &beta.contiguous()?, self)
    }

    fn check(&self, dims: &[usize], op: &str) -> candle_core::Result<(usize, usize)> {
        let [_, c, h, w] = dims else {
            bail!("{op}: input must be [N, C, H, W], got {dims:?}")
        };
        if self.mean.len() != *c || self.rstd.len() != *c {
            bail!("{op}: statistics for {} channels, input has {c}", self.mean.len())
        }
        Ok((*c, h * w))
    }
}

impl CustomOp3 for BatchNormPass {
    fn name(&self) -> &'static str {
        "batch-norm"
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
        let (c, plane) = self.check(xl.dims(), self.name())?;
        let x = values(xs, xl, self.name())?;
        let (gamma, beta) = (values(gs, gl, self.name())?, values(bs, bl, self.name())?);
        let mut y = vec![0f32; x.len()];
        y.par_chunks_mut(plane)
            .zip(x.par_chunks(plane))
            .enumerate()
            .for_each(|(i, (y, x))| {
                let ch = i % c;
                let scale = self.rstd[ch] * gamma[ch];
                let shift = beta[ch] - self.mean[ch] * scale;
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = x * scale + shift;
                }
                if self.relu6 {
                    y.iter_mut().for_each(|v| *v = v.clamp(0.0, 6.0));
                }
            });
        Ok((CpuStorage::F32(y), xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        y: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let backward = BatchNormBackward {
            pass: self.clone(),
            gamma: gamma.to_vec1::<f32>()?,
        };
        let packed = x.apply_op3_no_bwd(y, &dy.contiguous()?, &backward)?;
        let [dx, dgamma, dbeta] = unpack(&packed, [x.shape(), gamma.shape(), gamma.shape()])?;
        Ok((Some(dx), Some(dgamma), Some(dbeta)))
    }
}

/// All three gradients of a pass, packed `[dx..., dgamma..., dbeta...]`.
struct BatchNormBackward {
    pass: BatchNormPass,
    gamma: Vec<f32>,
}

impl BatchNormBackward {
    /// The upstream gradient where ReLU6 let the value through (an output
    /// strictly between its bounds), else zero.
    fn passed(&self, dy: f32, y: f32) -> f32 {
        if !self.pass.relu6 || (y > 0.0 && y < 6.0) {
            dy
        } else {
            0.0
        }
    }
}

impl CustomOp3 for BatchNormBackward {
    fn name(&self) -> &'static str {
        "batch-norm-backward"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ys: &CpuStorage,
        yl: &Layout,
        dys: &CpuStorage,
        dyl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (c, plane) = self.pass.check(xl.dims(), self.name())?;
        let x = values(xs, xl, self.name())?;
        let (y, dy) = (values(ys, yl, self.name())?, values(dys, dyl, self.name())?);
        if y.len() != x.len() || dy.len() != x.len() {
            bail!(
                "batch-norm-backward: output or gradient does not match the input's {} values",
                x.len()
            )
        }
        let n = x.len() / (c * plane);
        let (mean, rstd) = (&self.pass.mean, &self.pass.rstd);
        // Per channel: sum of g, and of g * xhat, over its N planes (in order).
        let sums: Vec<(f32, f32)> = (0..c)
            .into_par_iter()
            .map(|ch| {
                let (mut sg, mut sgx) = (0f64, 0f64);
                for i in 0..n {
                    let at = (i * c + ch) * plane;
                    let (mut pg, mut pgx) = (0f32, 0f32);
                    for k in at..at + plane {
                        let g = self.passed(dy[k], y[k]);
                        pg += g;
                        pgx += g * (x[k] - mean[ch]) * rstd[ch];
                    }
                    sg += pg as f64;
                    sgx += pgx as f64;
                }
                (sg as f32, sgx as f32)
            })
            .collect();
        let total = x.len();
        let mut out = vec![0f32; total + 2 * c];
        let (dx, params) = out.split_at_mut(total);
        let count = (n * plane) as f32;
        dx.par_chunks_mut(plane).enumerate().for_each(|(i, dx)| {
            let ch = i % c;
            let at = i * plane;
            let scale = self.gamma[ch] * rstd[ch];
            let (sg, sgx) = sums[ch];
            let (mg, mgx) = if self.pass.batch_stats {
                (sg / count, sgx / count)
            } else {
                (0.0, 0.0)
            };
            for (k, d) in dx.iter_mut().enumerate() {
                let g = self.passed(dy[at + k], y[at + k]);
                let xhat = (x[at + k] - mean[ch]) * rstd[ch];
                *d = scale * (g - mg - xhat * mgx);
            }
        });
        for (ch, &(sg, sgx)) in sums.iter().enumerate() {
            params[ch] = sgx;
            params[c + ch] = sg;
        }
        Ok((CpuStorage::F32(out), Shape::from(total + 2 * c)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::gradcheck::{self, values};
    use super::*;

    fn pass(x: &Tensor, batch_stats: bool, relu6: bool) -> BatchNormPass {
        let (mean, var) = channel_moments(x).unwrap();
        BatchNormPass {
            mean,
            rstd: var.iter().map(|v| 1.0 / (v + 1e-5).sqrt()).collect(),
            batch_stats,
            relu6,
        }
    }

    /// With the batch's statistics recomputed from the input inside the
    /// function, finite differences see the whole dependence on `x`.
    #[test]
    fn gradients_match_finite_differences() {
        let (n, c, h, w) = (3, 2, 3, 2);
        for (batch_stats, relu6) in [(true, false), (true, true), (false, false), (false, true)] {
            let fixed = pass(
                &Tensor::from_vec(values(n * c * h * w, 21), (n, c, h, w), &candle_core::Device::Cpu).unwrap(),
                false,
                relu6,
            );
            gradcheck::check(
                &[values(n * c * h * w, 7), values(c, 8), values(c, 9)],
                &[&[n, c, h, w], &[c], &[c]],
                |t| {
                    let p = if batch_stats {
                        pass(&t[0], true, relu6)
                    } else {
                        fixed.clone()
                    };
                    // Scaled so that ReLU6 clips some values at both ends.
                    p.apply(
                        &(&t[0] * 1.0).unwrap(),
                        &(&t[1] * 3.0).unwrap(),
                        &(&t[2] * 2.0).unwrap(),
                    )
                    .unwrap()
                },
                2e-2,
            );
        }
    }
}
