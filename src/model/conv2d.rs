//! A 2-D convolution over `[N, C, H, W]` maps, with PyTorch's weight layout
//! `[C_out, C_in, K, K]` so that zoo checkpoints load as they are.
//!
//! A 1x1 convolution (MobileNet's expansion and projection layers, most of
//! its arithmetic) is one matrix product per image, `W [C_out, C_in]` times
//! the image's `[C_in, H*W]` ([`super::ops::pointwise_conv`]); any other kernel goes through candle's
//! `conv2d`, whose gradients `tests::gradients_match_finite_differences`
//! checks for batch and output channels both above one (the case candle's
//! 1-D convolution gets wrong, see [`super::conv1d`]).
//!
//! Square maps only: candle 0.11's `conv2d` backward sizes the input
//! gradient's output padding from the height alone, so a strided
//! convolution over a non-square map whose width needs other padding fails
//! (measured: a 5 x 4 input, stride 2). Both image models here read square
//! images.

use candle_core::Tensor;
use candle_nn::VarBuilder;

/// One convolution layer; bias is optional (a BatchNorm after it makes one
/// redundant, so MobileNet's convolutions have none).
#[derive(Debug, Clone)]
pub struct Conv2d {
    weight: Tensor,
    bias: Option<Tensor>,
    stride: usize,
    padding: usize,
}

/// The shape of a layer: channels in and out, square kernel, stride, zero padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel size K.
    pub kernel: usize,
    /// Stride in both directions.
    pub stride: usize,
    /// Zero padding on each side.
    pub padding: usize,
}

impl ConvShape {
    /// A 1x1 convolution from `c_in` to `c_out` channels.
    pub fn pointwise(c_in: usize, c_out: usize) -> ConvShape {
        ConvShape {
            c_in,
            c_out,
            kernel: 1,
            stride: 1,
            padding: 0,
        }
    }

    /// Output side for an input side of `size`.
    pub fn out_size(&self, size: usize) -> usize {
        (size + 2 * self.padding).saturating_sub(self.kernel) / self.stride + 1
    }
}

impl Conv2d {
    /// The layer's `weight` (and `bias`, when `bias`) from `vb`.
    pub fn load(shape: ConvShape, bias: bool, vb: VarBuilder) -> candle_core::Result<Conv2d> {
        let ConvShape {
            c_in,
            c_out,
            kernel,
            stride,
            padding,
        } = shape;
        let weight = vb.get((c_out, c_in, kernel, kernel), "weight")?;
        let bias = if bias { Some(vb.get(c_out, "bias")?) } else { None };
        Ok(Conv2d::new(weight, bias, stride, padding))
    }

    /// A layer over given tensors.
    pub fn new(weight: Tensor, bias: Option<Tensor>, stride: usize, padding: usize) -> Conv2d {
        Conv2d {
            weight,
            bias,
            stride,
            padding,
        }
    }

    /// `x` `[N, C_in, H, W]` to `[N, C_out, H', W']`.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (c_out, _, kh, kw) = self.weight.dims4()?;
        let y = if kh == 1 && kw == 1 && self.stride == 1 && self.padding == 0 {
            super::ops::pointwise_conv(x, &self.weight)?
        } else {
            x.conv2d(&self.weight, self.padding, self.stride, 1, 1)?
        };
        match &self.bias {
            Some(b) => y.broadcast_add(&b.reshape((1, c_out, 1, 1))?),
            None => Ok(y),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ops::gradcheck::{self, values};
    use candle_core::Device;

    /// The sum over taps, written out, for one output value.
    fn direct(x: &[f32], w: &[f32], dims: (usize, usize, usize, usize), shape: ConvShape) -> Vec<f32> {
        let (n, c, h, wd) = dims;
        let (ho, wo) = (shape.out_size(h), shape.out_size(wd));
        let k = shape.kernel;
        let mut out = vec![0.0; n * shape.c_out * ho * wo];
        for b in 0..n {
            for o in 0..shape.c_out {
                for oy in 0..ho {
                    for ox in 0..wo {
                        let mut s = 0.0;
                        for i in 0..c {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let iy = (oy * shape.stride + ky) as isize - shape.padding as isize;
                                    let ix = (ox * shape.stride + kx) as isize - shape.padding as isize;
                                    if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                        continue;
                                    }
                                    s += x[((b * c + i) * h + iy as usize) * wd + ix as usize]
                                        * w[((o * c + i) * k + ky) * k + kx];
                                }
                            }
                        }
                        out[((b * shape.c_out + o) * ho + oy) * wo + ox] = s;
                    }
                }
            }
        }
        out
    }

    fn shapes() -> [ConvShape; 2] {
        [
            ConvShape {
                c_in: 2,
                c_out: 4,
                kernel: 3,
                stride: 2,
                padding: 1,
            },
            ConvShape::pointwise(3, 4),
        ]
    }

    #[test]
    fn forward_is_the_sum_over_taps() {
        let dev = Device::Cpu;
        for shape in shapes() {
            let dims = (3, shape.c_in, 5, 6);
            let x = values(dims.0 * dims.1 * dims.2 * dims.3, 1);
            let w = values(shape.c_out * shape.c_in * shape.kernel * shape.kernel, 2);
            let conv = Conv2d::new(
                Tensor::from_vec(w.clone(), (shape.c_out, shape.c_in, shape.kernel, shape.kernel), &dev).unwrap(),
                None,
                shape.stride,
                shape.padding,
            );
            let y = conv.forward(&Tensor::from_vec(x.clone(), dims, &dev).unwrap()).unwrap();
            let got = y.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let want = direct(&x, &w, dims, shape);
            let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst < 1e-4, "{shape:?}: {worst}");
        }
    }

    /// Batch 3 and 4 output channels: candle's 1-D convolution's weight
    /// gradient is wrong there, so its 2-D one is checked in the same case.
    #[test]
    fn gradients_match_finite_differences() {
        for (shape, side) in shapes().into_iter().flat_map(|s| [(s, 4), (s, 5)]) {
            let k = shape.kernel;
            let x_shape = [3, shape.c_in, side, side];
            let w_shape = [shape.c_out, shape.c_in, k, k];
            gradcheck::check(
                &[
                    values(x_shape.iter().product(), 3),
                    values(w_shape.iter().product(), 4),
                    values(shape.c_out, 5),
                ],
                &[&x_shape, &w_shape, &[shape.c_out]],
                |t| {
                    Conv2d::new(t[1].clone(), Some(t[2].clone()), shape.stride, shape.padding)
                        .forward(&t[0])
                        .unwrap()
                },
                2e-2,
            );
        }
    }
}
