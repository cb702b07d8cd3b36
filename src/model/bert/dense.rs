//! A fully connected layer over the last dimension of a `[batch, tokens, in]`
//! tensor, as one operation ([`crate::model::ops::linear`]).
//!
//! Why not `candle_nn::Linear`: for a 3-D input it broadcasts the weight to
//! one copy per batch row, so its backward pass builds a `[batch, out, in]`
//! weight gradient (37 MB per feed-forward matrix of MiniLM at batch 16) only
//! to sum it over the batch; and it is four nodes of the backward pass where
//! one will do.

use super::param;
use crate::model::ops;
use candle_core::Tensor;
use candle_nn::VarBuilder;

/// `y = x W^T + b`, parameters named `weight` (`[out, in]`) and `bias` as in Hugging Face files.
pub struct Dense {
    weight: Tensor,
    bias: Tensor,
}

impl Dense {
    /// A layer from `in_dim` to `out_dim` features under `vb`.
    pub fn new(in_dim: usize, out_dim: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Dense {
            weight: vb.get((out_dim, in_dim), "weight")?,
            bias: vb.get(out_dim, "bias")?,
        })
    }
}

impl Dense {
    /// `x W^T + b`; the parameters are recorded for a backward pass only when `train`.
    pub fn forward(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        ops::linear(x, &param(&self.weight, train), &param(&self.bias, train))
    }

    /// `gelu(x W^T + b)` as one operation (the feed-forward block's first layer).
    pub fn forward_gelu(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        ops::linear_gelu(x, &param(&self.weight, train), &param(&self.bias, train))
    }
}
