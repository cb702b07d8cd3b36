//! A 1-D convolutional backbone, the shape of the MNIST-1D paper's CNN.

use super::conv1d::Conv1d;
use super::Backbone;
use candle_core::{Module, Tensor};
use candle_nn::VarBuilder;

/// Kernel, stride and padding of the three convolutions.
const LAYERS: [(usize, usize, usize); 3] = [(5, 2, 1), (3, 2, 1), (3, 2, 1)];

/// Three strided convolutions with ReLU; the output is flattened.
pub struct Cnn {
    convs: Vec<Conv1d>,
    feature_dim: usize,
}

impl Cnn {
    /// Parameters are named `conv1`, `conv2`, `conv3` under `vb`.
    pub fn new(input_len: usize, channels: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        let mut convs = Vec::with_capacity(LAYERS.len());
        let mut len = input_len;
        for (i, &(kernel, stride, padding)) in LAYERS.iter().enumerate() {
            let in_channels = if i == 0 { 1 } else { channels };
            let conv = Conv1d::new(
                len,
                in_channels,
                channels,
                kernel,
                stride,
                padding,
                vb.pp(format!("conv{}", i + 1)),
            )?;
            len = conv.out_len();
            convs.push(conv);
        }
        Ok(Cnn {
            convs,
            feature_dim: channels * len,
        })
    }
}

impl Backbone for Cnn {
    fn features(&self, x: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
        // [batch, len] -> [batch, len, 1] -> ... -> [batch, len', channels] -> [batch, len' * channels]
        let h = x.unsqueeze(2)?;
        let h = self.convs.iter().try_fold(h, |h, conv| conv.forward(&h)?.relu())?;
        h.flatten_from(1)
    }

    fn feature_dim(&self) -> usize {
        self.feature_dim
    }
}
