//! A BERT encoder whose every layer trains, with mean pooling: the backbone
//! for Hugging Face BERT-family checkpoints such as all-MiniLM-L6-v2.
//!
//! Why not candle-transformers' BERT: its LayerNorm is candle's fused kernel,
//! which has no backward pass, so "fine-tuning" it silently trains only the
//! head, and its dropout is a no-op. Here LayerNorm, softmax and GELU are the
//! project's fused kernels with analytic backward passes ([`super::ops`]),
//! and dropout is real and seeded ([`super::dropout`]). Parameter names follow Hugging Face's
//! (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`,
//! ...), so a checkpoint's tensors load by name under the `backbone.` prefix.
//!
//! Inputs are token ids stored exactly as `f32` (ids below 2^24) in a
//! `[batch, tokens]` tensor, so the data pipeline and training loop are the
//! same as for numeric features; id 0 (padding) is masked out of attention
//! and of the mean.

mod config;
mod dense;

pub use config::BertConfig;

use super::dropout::Dropout;
use super::{ops, Backbone};
use candle_core::{DType, Tensor};
use candle_nn::{Embedding, VarBuilder};
use dense::Dense;
use std::sync::Arc;

/// A parameter as a forward pass should see it: itself when training, so
/// the pass records what the backward pass needs; detached otherwise, so an
/// evaluation records nothing and frees each intermediate as soon as the
/// next layer has read it (gradient-free evaluation; candle has no
/// `no_grad` switch, and a pass that records keeps every intermediate alive).
fn param(t: &Tensor, train: bool) -> Tensor {
    if train {
        t.clone()
    } else {
        t.detach()
    }
}

/// Rows of an embedding table for `ids` (any shape): `[..., hidden]`.
fn embed(table: &Embedding, ids: &Tensor, train: bool) -> candle_core::Result<Tensor> {
    let mut dims = ids.dims().to_vec();
    dims.push(table.hidden_size());
    param(table.embeddings(), train)
        .index_select(&ids.flatten_all()?, 0)?
        .reshape(dims)
}

/// LayerNorm over the hidden dimension.
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn new(size: usize, eps: f64, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(LayerNorm {
            weight: vb.get(size, "weight")?,
            bias: vb.get(size, "bias")?,
            eps: eps as f32,
        })
    }

    fn forward(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
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
struct Layer {
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
    fn new(c: &BertConfig, seed: u64, index: u64, vb: VarBuilder) -> candle_core::Result<Self> {
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
    fn forward(&self, h: &Tensor, key_bias: &Arc<[f32]>, train: bool) -> candle_core::Result<Tensor> {
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
        let inner = ops::gelu_erf(&self.intermediate.forward(&a, train)?)?;
        let out = self.output.forward(&inner, train)?;
        let mask = self.hidden_dropout.mask(out.elem_count(), train);
        self.output_norm.forward_residual(&out, &a, mask, train)
    }
}

/// A BERT encoder with mean pooling over the non-padding tokens.
pub struct Bert {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    norm: LayerNorm,
    dropout: Dropout,
    layers: Vec<Layer>,
    hidden: usize,
    pad_token_id: u32,
}

impl Bert {
    /// Builds the encoder for inputs of `input_len` tokens; `seed` fixes its dropout masks.
    pub fn new(c: &BertConfig, input_len: usize, seed: u64, vb: VarBuilder) -> candle_core::Result<Self> {
        if input_len > c.max_position_embeddings {
            candle_core::bail!(
                "inputs of {input_len} tokens exceed the model's {} positions",
                c.max_position_embeddings
            );
        }
        let h = c.hidden_size;
        let emb = vb.pp("embeddings");
        let layers = (0..c.num_hidden_layers)
            .map(|i| Layer::new(c, seed, i as u64, vb.pp("encoder").pp("layer").pp(i.to_string())))
            .collect::<candle_core::Result<_>>()?;
        Ok(Bert {
            word: candle_nn::embedding(c.vocab_size, h, emb.pp("word_embeddings"))?,
            position: candle_nn::embedding(c.max_position_embeddings, h, emb.pp("position_embeddings"))?,
            token_type: candle_nn::embedding(c.type_vocab_size, h, emb.pp("token_type_embeddings"))?,
            norm: LayerNorm::new(h, c.layer_norm_eps, emb.pp("LayerNorm"))?,
            dropout: Dropout::new(c.hidden_dropout_prob as f32, seed, 0),
            layers,
            hidden: h,
            pad_token_id: c.pad_token_id,
        })
    }
}

impl Backbone for Bert {
    fn features(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        // x: token ids as f32, [batch, tokens]
        let ids = x.to_dtype(DType::U32)?;
        let (b, t) = ids.dims2()?;
        let device = ids.device();
        let mask = ids.ne(self.pad_token_id)?.to_dtype(DType::F32)?; // [batch, tokens]
        let positions = Tensor::arange(0u32, t as u32, device)?;
        let types = Tensor::zeros((b, t), DType::U32, device)?;
        let embedded = embed(&self.word, &ids, train)?
            .broadcast_add(&embed(&self.position, &positions, train)?)?
            .add(&embed(&self.token_type, &types, train)?)?;
        let mut h = self.dropout.forward(&self.norm.forward(&embedded, train)?, train)?;
        // Padding gets a large negative score, so softmax gives it no attention.
        let key_bias: Arc<[f32]> = mask
            .flatten_all()?
            .to_vec1::<f32>()?
            .iter()
            .map(|&m| (1.0 - m) * -10_000.0)
            .collect();
        for layer in &self.layers {
            h = layer.forward(&h, &key_bias, train)?;
        }
        // Mean over non-padding tokens: [batch, tokens, hidden] -> [batch, hidden]
        let weights = mask.unsqueeze(2)?;
        let summed = h.broadcast_mul(&weights)?.sum(1)?;
        let counts = weights.sum(1)?.clamp(1.0, f64::MAX)?;
        summed.broadcast_div(&counts)
    }

    fn feature_dim(&self) -> usize {
        self.hidden
    }

    fn padding_id(&self) -> Option<u32> {
        Some(self.pad_token_id)
    }
}

#[cfg(test)]
mod tests;
