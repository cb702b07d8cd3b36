//! A multilayer perceptron backbone.

use super::Backbone;
use candle_core::{Module, Tensor};
use candle_nn::{Linear, VarBuilder};

/// `depth` fully connected layers of `hidden` units, each followed by ReLU.
pub struct Mlp {
    layers: Vec<Linear>,
    hidden: usize,
}

impl Mlp {
    /// Parameters are named `fc1`, `fc2`, ... under `vb`.
    pub fn new(input_len: usize, hidden: usize, depth: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        let layers = (0..depth)
            .map(|i| {
                let fan_in = if i == 0 { input_len } else { hidden };
                candle_nn::linear(fan_in, hidden, vb.pp(format!("fc{}", i + 1)))
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Mlp { layers, hidden })
    }
}

impl Backbone for Mlp {
    fn features(&self, x: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
        // [batch, input_len] -> [batch, hidden]
        self.layers
            .iter()
            .try_fold(x.clone(), |h, layer| layer.forward(&h)?.relu())
    }

    fn feature_dim(&self) -> usize {
        self.hidden
    }
}
