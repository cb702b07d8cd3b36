//! Depthwise 2-D convolution (one filter per channel, MobileNet's spatial
//! layer) as shifted multiply-adds, with its analytic backward pass.
//!
//! Why: candle 0.11 runs a grouped convolution as one small convolution per
//! group, and its 1-D convolution's weight gradient was found wrong here for
//! batch and out_channels both above 1; a depthwise layer is a few
//! multiply-adds per output, so it is written out directly. For each kernel
//! tap `(ky, kx)` every output row adds `w[c, ky, kx]` times a shifted input
//! row: with stride 1 the inner loop runs over contiguous memory.
//!
//! Layouts are PyTorch's: input `[N, C, H, W]`, weight `[C, 1, K, K]` (as
//! torchvision's checkpoints store it), output `[N, C, Ho, Wo]` with
//! `Ho = (H + 2p - K) / s + 1`. Each `(n, c)` plane is one unit of parallel
//! work; the weight gradient sums over the batch in a fixed order, so results
//! never depend on the thread count.

use super::{unpack, values};
use candle_core::{bail, CpuStorage, CustomOp2, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;

/// The geometry of one depthwise layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depthwise {
    /// Kernel size K (square).
    pub kernel: usize,
    /// Stride s (both directions).
    pub stride: usize,
    /// Zero padding p (all four sides).
    pub padding: usize,
}

/// Sizes of one call, checked.
#[derive(Debug, Clone, Copy)]
struct Dims {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    ho: usize,
    wo: usize,
}

impl Depthwise {
    /// `x` `[N, C, H, W]` convolved channel by channel with `weight` `[C, 1, K, K]`.
    pub fn forward(&self, x: &Tensor, weight: &Tensor) -> candle_core::Result<Tensor> {
        if !x.device().is_cpu() {
            let c = x.dim(1)?;
            return x.conv2d(weight, self.padding, self.stride, 1, c);
        }
        x.contiguous()?.apply_op2(&weight.contiguous()?, *self)
    }

    fn dims(&self, x: &[usize], w: &[usize]) -> candle_core::Result<Dims> {
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let [n, c, h, wd] = x else {
            bail!("depthwise: input must be [N, C, H, W], got {x:?}")
        };
        if w != [*c, 1, k, k] {
            bail!("depthwise: weight must be [{c}, 1, {k}, {k}], got {w:?}")
        }
        if k == 0 || s == 0 || h + 2 * p < k || wd + 2 * p < k {
            bail!("depthwise: kernel {k}, stride {s}, padding {p} do not fit a {h}x{wd} input")
        }
        Ok(Dims {
            n: *n,
            c: *c,
            h: *h,
            w: *wd,
            ho: (h + 2 * p - k) / s + 1,
            wo: (wd + 2 * p - k) / s + 1,
        })
    }

    /// The output columns `ox` whose input column `ox * s - p + kx` lies in
    /// `0..w`, as a range.
    fn columns(&self, kx: usize, w: usize, wo: usize) -> std::ops::Range<usize> {
        let (s, p) = (self.stride, self.padding);
        // ox * s + kx >= p  and  ox * s + kx < w + p
        let first = p.saturating_sub(kx).div_ceil(s);
        let end = if w + p > kx {
            (w + p - kx).div_ceil(s).min(wo)
        } else {
            0
        };
        first..end.max(first)
    }

    /// The input row of output row `oy` at tap `ky`, if inside the image.
    fn row(&self, oy: usize, ky: usize, h: usize) -> Option<usize> {
        (oy * self.stride + ky).checked_sub(self.padding).filter(|&iy| iy < h)
    }

    /// Calls `f(tap, kx, oy, iy, columns)` for every kernel tap `(ky, kx)`
    /// (`tap = ky * K + kx`) and output row `oy` whose input row `iy` lies
    /// inside the image, with the output columns whose input column does.
    fn each_row(&self, d: &Dims, mut f: impl FnMut(usize, usize, usize, usize, std::ops::Range<usize>)) {
        let k = self.kernel;
        for ky in 0..k {
            for kx in 0..k {
                let cols = self.columns(kx, d.w, d.wo);
                for oy in 0..d.ho {
                    if let Some(iy) = self.row(oy, ky, d.h) {
                        f(ky * k + kx, kx, oy, iy, cols.clone());
                    }
                }
            }
        }
    }

    /// One `(n, c)` plane: `y += sum over taps of w * shifted x`.
    fn forward_plane(&self, d: &Dims, y: &mut [f32], x: &[f32], w: &[f32]) {
        let (s, p) = (self.stride, self.padding);
        self.each_row(d, |tap, kx, oy, iy, cols| {
            let (yr, xr) = (&mut y[oy * d.wo..(oy + 1) * d.wo], &x[iy * d.w..(iy + 1) * d.w]);
            for ox in cols {
                yr[ox] += w[tap] * xr[ox * s + kx - p];
            }
        });
    }

    /// One `(n, c)` plane's input gradient: each output's gradient flows back
    /// through every tap that read an input.
    fn backward_plane(&self, d: &Dims, dx: &mut [f32], dy: &[f32], w: &[f32]) {
        let (s, p) = (self.stride, self.padding);
        self.each_row(d, |tap, kx, oy, iy, cols| {
            let (dxr, dyr) = (&mut dx[iy * d.w..(iy + 1) * d.w], &dy[oy * d.wo..(oy + 1) * d.wo]);
            for ox in cols {
                dxr[ox * s + kx - p] += w[tap] * dyr[ox];
            }
        });
    }

    /// One `(n, c)` plane's contribution to its channel's weight gradient.
    fn weight_plane(&self, d: &Dims, dw: &mut [f32], dy: &[f32], x: &[f32]) {
        let (s, p) = (self.stride, self.padding);
        self.each_row(d, |tap, kx, oy, iy, cols| {
            let (dyr, xr) = (&dy[oy * d.wo..(oy + 1) * d.wo], &x[iy * d.w..(iy + 1) * d.w]);
            dw[tap] += cols.map(|ox| dyr[ox] * xr[ox * s + kx - p]).sum::<f32>();
        });
    }
}

impl CustomOp2 for Depthwise {
    fn name(&self) -> &'static str {
        "depthwise-conv2d"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let d = self.dims(xl.dims(), wl.dims())?;
        let (x, w) = (values(xs, xl, self.name())?, values(ws, wl, self.name())?);
        let (plane_in, plane_out, taps) = (d.h * d.w, d.ho * d.wo, self.kernel * self.kernel);
        let mut y = vec![0f32; d.n * d.c * plane_out];
        y.par_chunks_mut(plane_out).enumerate().for_each(|(i, y)| {
            let c = i % d.c;
            self.forward_plane(
                &d,
                y,
                &x[i * plane_in..(i + 1) * plane_in],
                &w[c * taps..(c + 1) * taps],
            );
        });
        Ok((CpuStorage::F32(y), Shape::from((d.n, d.c, d.ho, d.wo))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let packed = x.apply_op3_no_bwd(w, &dy.contiguous()?, &DepthwiseBackward(*self))?;
        let [dx, dw] = unpack(&packed, [x.shape(), w.shape()])?;
        Ok((Some(dx), Some(dw)))
    }
}

/// Both gradients of a depthwise layer, packed `[dx..., dw...]`.
struct DepthwiseBackward(Depthwise);

impl CustomOp3 for DepthwiseBackward {
    fn name(&self) -> &'static str {
        "depthwise-conv2d-backward"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        dys: &CpuStorage,
        dyl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let op = self.0;
        let d = op.dims(xl.dims(), wl.dims())?;
        if dyl.dims() != [d.n, d.c, d.ho, d.wo] {
            bail!(
                "depthwise backward: gradient of shape {:?}, output {:?}",
                dyl.dims(),
                [d.n, d.c, d.ho, d.wo]
            )
        }
        let name = self.name();
        let (x, w, dy) = (values(xs, xl, name)?, values(ws, wl, name)?, values(dys, dyl, name)?);
        let (plane_in, plane_out, taps) = (d.h * d.w, d.ho * d.wo, op.kernel * op.kernel);
        let mut packed = vec![0f32; x.len() + w.len()];
        let (dx, dw) = packed.split_at_mut(x.len());
        dx.par_chunks_mut(plane_in).enumerate().for_each(|(i, dx)| {
            let c = i % d.c;
            op.backward_plane(
                &d,
                dx,
                &dy[i * plane_out..(i + 1) * plane_out],
                &w[c * taps..(c + 1) * taps],
            );
        });
        dw.par_chunks_mut(taps).enumerate().for_each(|(c, dw)| {
            for n in 0..d.n {
                let i = n * d.c + c;
                op.weight_plane(
                    &d,
                    dw,
                    &dy[i * plane_out..(i + 1) * plane_out],
                    &x[i * plane_in..(i + 1) * plane_in],
                );
            }
        });
        Ok((CpuStorage::F32(packed), Shape::from(x.len() + w.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::super::gradcheck::{self, values};
    use super::*;
    use candle_core::Device;

    fn tensor(n: usize, seed: u32, shape: &[usize]) -> Tensor {
        Tensor::from_vec(values(n, seed), shape, &Device::Cpu).unwrap()
    }

    /// The definition, one output at a time, for comparison.
    fn naive(x: &Tensor, w: &Tensor, op: Depthwise) -> Tensor {
        let (n, c, h, wd) = x.dims4().unwrap();
        let (k, s, p) = (op.kernel, op.stride, op.padding);
        let (ho, wo) = ((h + 2 * p - k) / s + 1, (wd + 2 * p - k) / s + 1);
        let xv = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let wv = w.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let mut y = vec![0f32; n * c * ho * wo];
        for b in 0..n {
            for ch in 0..c {
                for oy in 0..ho {
                    for ox in 0..wo {
                        let mut sum = 0f32;
                        for ky in 0..k {
                            for kx in 0..k {
                                let (iy, ix) = ((oy * s + ky) as i64 - p as i64, (ox * s + kx) as i64 - p as i64);
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < wd {
                                    sum += wv[ch * k * k + ky * k + kx]
                                        * xv[((b * c + ch) * h + iy as usize) * wd + ix as usize];
                                }
                            }
                        }
                        y[((b * c + ch) * ho + oy) * wo + ox] = sum;
                    }
                }
            }
        }
        Tensor::from_vec(y, (n, c, ho, wo), &Device::Cpu).unwrap()
    }

    #[test]
    fn matches_the_definition_and_candles_grouped_convolution() {
        for (k, s, p, h, w) in [
            (3, 1, 1, 7, 6),
            (3, 2, 1, 7, 8),
            (3, 2, 0, 9, 9),
            (1, 1, 0, 4, 5),
            (5, 2, 2, 6, 11),
        ] {
            let op = Depthwise {
                kernel: k,
                stride: s,
                padding: p,
            };
            let x = tensor(2 * 3 * h * w, 1, &[2, 3, h, w]);
            let wt = tensor(3 * k * k, 2, &[3, 1, k, k]);
            let y = op.forward(&x, &wt).unwrap();
            assert!(gradcheck::max_diff(&y, &naive(&x, &wt, op)) < 1e-5, "k{k} s{s} p{p}");
            let candle = x.conv2d(&wt, p, s, 1, 3).unwrap();
            assert!(gradcheck::max_diff(&y, &candle) < 1e-4, "k{k} s{s} p{p} vs candle");
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        for (s, p, h, w) in [(1, 1, 5, 4), (2, 1, 5, 6)] {
            let op = Depthwise {
                kernel: 3,
                stride: s,
                padding: p,
            };
            let shapes: [&[usize]; 2] = [&[2, 3, h, w], &[3, 1, 3, 3]];
            gradcheck::check(
                &[values(2 * 3 * h * w, 5), values(27, 6)],
                &shapes,
                |t| op.forward(&t[0], &t[1]).unwrap(),
                1e-2,
            );
        }
    }

    #[test]
    fn bad_shapes_are_refused() {
        let op = Depthwise {
            kernel: 3,
            stride: 1,
            padding: 0,
        };
        let x = tensor(2 * 3 * 2 * 2, 1, &[2, 3, 2, 2]);
        assert!(
            op.forward(&x, &tensor(27, 2, &[3, 1, 3, 3])).is_err(),
            "kernel larger than the input"
        );
        let x = tensor(2 * 3 * 5 * 5, 1, &[2, 3, 5, 5]);
        assert!(
            op.forward(&x, &tensor(18, 2, &[2, 1, 3, 3])).is_err(),
            "one filter per channel"
        );
    }
}
