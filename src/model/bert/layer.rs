//! One encoder layer of the BERT: self-attention and the feed-forward block,
//! each closed by dropout, a skip connection and LayerNorm, all on the
//! project's fused kernels.

use super::dense::Dense;
use super::{param, BertConfig};
use crate::model::dropout::Dropout;
use crate::model::ops;
use candle_core::Tensor;
use candle_nn::VarBuilder;
use std::sync::Arc;

/// LayerNorm over the hidden dimension.
pub(super) struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    pub(super) fn new(size: usize, eps: f64, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(LayerNorm {
            weight: vb.get(size, "weight")?,
            bias: vb.get(size, "bias")?,
            eps: eps as f32,
        })
    }

    pub(super) fn forward(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        ops::layer_norm(x, &param(&self.weight, train), &param(&self.bias, train), self.eps)
    }

    /// `LayerNorm(x * mask + residual)`: a sub-layer's dropout, skip connection and norm.
    fn forward_residual(
        &self,
        x: &Tensor,
        residual: &Tensor,
        mask: Option<Vec<f32>>,
        train: bool,
    ) -> candle_core::Result<Tensor> {
        let (weight, bias) = (param(&self.weight, train), param(&self.bias, train));
        ops::residual_layer_norm(x, residual, (&weight, &bias), self.eps, mask)
    }
}

/// One transformer layer.
pub(super) struct Layer {
    query: Dense,
    key: Dense,
    value: Dense,
    attention_out: Dense,
    attention_norm: LayerNorm,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNorm,
    attention_dropout: Dropout,
    hidden_dropout: Dropout,
    heads: usize,
}

impl Layer {
    pub(super) fn new(c: &BertConfig, seed: u64, index: u64, vb: VarBuilder) -> candle_core::Result<Self> {
        let h = c.hidden_size;
        let attn = vb.pp("attention");
        Ok(Layer {
            query: Dense::new(h, h, attn.pp("self").pp("query"))?,
            key: Dense::new(h, h, attn.pp("self").pp("key"))?,
            value: Dense::new(h, h, attn.pp("self").pp("value"))?,
            attention_out: Dense::new(h, h, attn.pp("output").pp("dense"))?,
            attention_norm: LayerNorm::new(h, c.layer_norm_eps, attn.pp("output").pp("LayerNorm"))?,
            intermediate: Dense::new(h, c.intermediate_size, vb.pp("intermediate").pp("dense"))?,
            output: Dense::new(c.intermediate_size, h, vb.pp("output").pp("dense"))?,
            output_norm: LayerNorm::new(h, c.layer_norm_eps, vb.pp("output").pp("LayerNorm"))?,
            attention_dropout: Dropout::new(c.attention_probs_dropout_prob as f32, seed, 2 * index + 1),
            hidden_dropout: Dropout::new(c.hidden_dropout_prob as f32, seed, 2 * index + 2),
            heads: c.num_attention_heads,
        })
    }

    /// `[batch, tokens, hidden]` -> the same shape; `key_bias` is `[batch * tokens]`
    /// (0 for a token, a large negative number for padding).
    pub(super) fn forward(&self, h: &Tensor, key_bias: &Arc<[f32]>, train: bool) -> candle_core::Result<Tensor> {
        let (b, t, _) = h.dims3()?;
        let spec = ops::AttentionSpec {
            heads: self.heads,
            key_bias: Arc::clone(key_bias),
            dropout: self.attention_dropout.mask(b * self.heads * t * t, train),
        };
        let context = ops::attention(
            &self.query.forward(h, train)?,
            &self.key.forward(h, train)?,
            &self.value.forward(h, train)?,
            spec,
        )?;
        let attended = self.attention_out.forward(&context, train)?;
        let mask = self.hidden_dropout.mask(attended.elem_count(), train);
        let a = self.attention_norm.forward_residual(&attended, h, mask, train)?;
        let inner = self.intermediate.forward_gelu(&a, train)?;
        let out = self.output.forward(&inner, train)?;
        let mask = self.hidden_dropout.mask(out.elem_count(), train);
        self.output_norm.forward_residual(&out, &a, mask, train)
    }
}
