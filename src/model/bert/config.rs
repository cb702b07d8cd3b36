//! The fields of a Hugging Face BERT `config.json` this encoder reads, and
//! their checks: the same file a given model ships describes the suite's `[model]`.

use crate::{fsio, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The fields of a Hugging Face `config.json` that define a BERT encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    /// Tokens in the vocabulary.
    pub vocab_size: usize,
    /// Width of every hidden state.
    pub hidden_size: usize,
    /// Transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Longest input, tokens.
    pub max_position_embeddings: usize,
    /// Segment (token type) embeddings.
    pub type_vocab_size: usize,
    /// LayerNorm epsilon.
    pub layer_norm_eps: f64,
    /// Dropout after embeddings, attention output and feed-forward output.
    pub hidden_dropout_prob: f64,
    /// Dropout on attention probabilities.
    pub attention_probs_dropout_prob: f64,
    /// The padding token's id.
    #[serde(default)]
    pub pad_token_id: u32,
}

impl BertConfig {
    /// Reads a Hugging Face `config.json`, checking it describes a BERT encoder this module can build.
    pub fn load(path: &Path) -> Result<Self> {
        let text = fsio::read_to_string(path)?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| model_error(path, format!("not valid JSON ({e})")))?;
        if let Some(act) = value.get("hidden_act").and_then(|v| v.as_str()) {
            if act != "gelu" {
                return Err(model_error(
                    path,
                    format!("hidden_act \"{act}\" is not supported; this BERT uses \"gelu\""),
                ));
            }
        }
        let config: BertConfig =
            serde_json::from_value(value).map_err(|e| model_error(path, format!("not a BERT config ({e})")))?;
        config.validate().map_err(|message| model_error(path, message))?;
        Ok(config)
    }

    /// Checks that an encoder can be built from these numbers: every size at
    /// least 1, the heads dividing the hidden width, a positive LayerNorm
    /// epsilon and dropout rates in [0, 1). The message starts with the field's name.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let sizes = [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ];
        if let Some((key, _)) = sizes.iter().find(|(_, v)| *v == 0) {
            return Err(format!("{key} must be at least 1"));
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if !(self.layer_norm_eps.is_finite() && self.layer_norm_eps > 0.0) {
            return Err(format!(
                "layer_norm_eps = {} must be a small positive number, e.g. 1e-12",
                self.layer_norm_eps
            ));
        }
        for (key, p) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            ("attention_probs_dropout_prob", self.attention_probs_dropout_prob),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(format!("{key} = {p} must be in [0, 1)"));
            }
        }
        Ok(())
    }
}

/// An error in the model description at `path`.
fn model_error(path: &Path, message: String) -> Error {
    Error::Model {
        origin: path.display().to_string(),
        message,
    }
}
