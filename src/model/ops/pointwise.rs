//! A 1x1 convolution over `[N, C_in, H, W]` maps with weight
//! `[C_out, C_in, 1, 1]`: per image, one matrix product `W x_n`, where
//! `x_n` is the image's `[C_in, H*W]` block; backward `dx_n = W^T dy_n` and
//! `dW = sum_n dy_n x_n^T`, accumulated image by image into one buffer.
//!
//! Why: as candle operations this is a batched `matmul` against the weight
//! broadcast over the batch, whose backward pass materialises a
//! `[N, C_out, C_in]` gradient and sums it over the batch with candle's
//! strided reduction: with BatchNorm's, those reductions were a third of a
//! MobileNetV2 training step (measured with `perf`).

use super::matmul::{all_threads, product, Matrix, Start};
use super::{unpack, values};
use candle_core::{bail, CpuStorage, CustomOp2, CustomOp3, Layout, Shape, Tensor};

/// `x` `[N, C_in, H, W]` convolved with the 1x1 kernels `weight` `[C_out, C_in, 1, 1]`.
pub fn pointwise_conv(x: &Tensor, weight: &Tensor) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() {
        return x.conv2d(weight, 0, 1, 1, 1);
    }
    x.contiguous()?.apply_op2(&weight.contiguous()?, Pointwise)
}

/// Batch, input channels, output channels and pixels per map, checked.
fn dims(x: &[usize], w: &[usize], op: &str) -> candle_core::Result<(usize, usize, usize, usize)> {
    let ([n, ci, h, wd], [co, wci, 1, 1]) = (x, w) else {
        bail!("{op}: input [N, C, H, W] and weight [C_out, C_in, 1, 1] expected, got {x:?} and {w:?}")
    };
    if ci != wci {
        bail!("{op}: input has {ci} channels, weight expects {wci}")
    }
    Ok((*n, *ci, *co, h * wd))
}

struct Pointwise;

impl CustomOp2 for Pointwise {
    fn name(&self) -> &'static str {
        "pointwise-conv2d"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (n, ci, co, hw) = dims(xl.dims(), wl.dims(), self.name())?;
        let (x, w) = (values(xs, xl, self.name())?, values(ws, wl, self.name())?);
        let mut y = vec![0f32; n * co * hw];
        for i in 0..n {
            // SAFETY: y's block is co x hw, w is co x ci and x's block ci x hw, all in bounds.
            unsafe {
                product(
                    y[i * co * hw..].as_mut_ptr(),
                    hw,
                    Start::Zero,
                    (co, hw, ci),
                    Matrix::rows(w, ci),
                    Matrix::rows(&x[i * ci * hw..], hw),
                    1.0,
                    all_threads(),
                );
            }
        }
        let [_, _, h, wd] = xl.dims() else {
            unreachable!("checked")
        };
        Ok((CpuStorage::F32(y), Shape::from((n, co, *h, *wd))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let packed = x.apply_op3_no_bwd(w, &dy.contiguous()?, &PointwiseBackward)?;
        let [dx, dw] = unpack(&packed, [x.shape(), w.shape()])?;
        Ok((Some(dx), Some(dw)))
    }
}

/// Both gradients, packed `[dx..., dw...]`.
struct PointwiseBackward;

impl CustomOp3 for PointwiseBackward {
    fn name(&self) -> &'static str {
        "pointwise-conv2d-backward"
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
        let (n, ci, co, hw) = dims(xl.dims(), wl.dims(), self.name())?;
        let (x, w, dy) = (
            values(xs, xl, self.name())?,
            values(ws, wl, self.name())?,
            values(dys, dyl, self.name())?,
        );
        if dy.len() != n * co * hw {
            bail!(
                "pointwise-conv2d-backward: gradient of {} values, output has {}",
                dy.len(),
                n * co * hw
            )
        }
        let dx_len = n * ci * hw;
        let mut out = vec![0f32; dx_len + co * ci];
        let (dx, dw) = out.split_at_mut(dx_len);
        for i in 0..n {
            let (x_i, dy_i) = (&x[i * ci * hw..], &dy[i * co * hw..]);
            // SAFETY: every block is in bounds: dx_i ci x hw, W^T ci x co, dy_i co x hw,
            // dW co x ci, x_i^T hw x ci.
            unsafe {
                product(
                    dx[i * ci * hw..].as_mut_ptr(),
                    hw,
                    Start::Zero,
                    (ci, hw, co),
                    Matrix::rows(w, ci).transposed(),
                    Matrix::rows(dy_i, hw),
                    1.0,
                    all_threads(),
                );
                product(
                    dw.as_mut_ptr(),
                    ci,
                    if i > 0 { Start::Existing } else { Start::Zero },
                    (co, ci, hw),
                    Matrix::rows(dy_i, hw),
                    Matrix::rows(x_i, hw).transposed(),
                    1.0,
                    all_threads(),
                );
            }
        }
        Ok((CpuStorage::F32(out), Shape::from(dx_len + co * ci)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::gradcheck::{self, values};
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_candles_convolution() {
        let dev = Device::Cpu;
        let x = Tensor::from_vec(values(3 * 5 * 4 * 4, 1), (3, 5, 4, 4), &dev).unwrap();
        let w = Tensor::from_vec(values(7 * 5, 2), (7, 5, 1, 1), &dev).unwrap();
        let ours = pointwise_conv(&x, &w).unwrap();
        let theirs = x.conv2d(&w, 0, 1, 1, 1).unwrap();
        assert!(gradcheck::max_diff(&ours, &theirs) < 1e-5);
    }

    #[test]
    fn gradients_match_finite_differences() {
        gradcheck::check(
            &[values(3 * 4 * 3 * 3, 3), values(5 * 4, 4)],
            &[&[3, 4, 3, 3], &[5, 4, 1, 1]],
            |t| pointwise_conv(&t[0], &t[1]).unwrap(),
            2e-2,
        );
    }
}
