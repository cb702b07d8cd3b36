//! A small plain 2-D CNN, the model a team would build for small images
//! (e.g. 28 x 28) instead of reusing an ImageNet network: three strided 3x3
//! convolutions with ReLU (each halves the side, the channels double after
//! the first), then the flattened maps. It reads the task's pixels as they
//! are, grey or RGB (shape read off the example's length).

use super::conv2d::{Conv2d, ConvShape};
use super::mobilenet::input::square_image;
use super::Backbone;
use candle_core::Tensor;
use candle_nn::VarBuilder;

/// The three convolutions and the shape of their input.
pub struct Cnn2d {
    convs: Vec<Conv2d>,
    channels_in: usize,
    side: usize,
    feature_dim: usize,
}

impl Cnn2d {
    /// Parameters named `conv1` .. `conv3` under `vb`; `channels` in the first layer.
    pub fn new(input_len: usize, channels: usize, vb: VarBuilder) -> candle_core::Result<Cnn2d> {
        let Some((channels_in, side)) = square_image(input_len) else {
            candle_core::bail!(
                "cnn2d needs square images, flattened: {input_len} values per example is neither s*s nor 3*s*s"
            )
        };
        let widths = [channels, 2 * channels, 2 * channels];
        let (mut c_in, mut size) = (channels_in, side);
        let mut convs = Vec::with_capacity(3);
        for (i, &c_out) in widths.iter().enumerate() {
            let shape = ConvShape {
                c_in,
                c_out,
                kernel: 3,
                stride: 2,
                padding: 1,
            };
            convs.push(Conv2d::load(shape, true, vb.pp(format!("conv{}", i + 1)))?);
            size = shape.out_size(size);
            c_in = c_out;
        }
        Ok(Cnn2d {
            convs,
            channels_in,
            side,
            feature_dim: c_in * size * size,
        })
    }
}

impl Backbone for Cnn2d {
    fn features(&self, x: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
        let n = x.dim(0)?;
        let h = x.reshape((n, self.channels_in, self.side, self.side))?;
        let h = self.convs.iter().try_fold(h, |h, conv| conv.forward(&h)?.relu())?;
        h.flatten_from(1)
    }

    fn feature_dim(&self) -> usize {
        self.feature_dim
    }
}
