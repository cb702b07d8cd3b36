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
mod layer;

pub use config::BertConfig;

use super::dropout::Dropout;
use super::ops;
use super::Backbone;
use candle_core::{DType, Tensor};
use candle_nn::{Embedding, VarBuilder};
use layer::{Layer, LayerNorm};
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
    ops::embedding(&param(table.embeddings(), train), &ids.flatten_all()?)?.reshape(dims)
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
            word: table(c.vocab_size, h, emb.pp("word_embeddings"))?,
            position: table(c.max_position_embeddings, h, emb.pp("position_embeddings"))?,
            token_type: table(c.type_vocab_size, h, emb.pp("token_type_embeddings"))?,
            norm: LayerNorm::new(h, c.layer_norm_eps, emb.pp("LayerNorm"))?,
            dropout: Dropout::new(c.hidden_dropout_prob as f32, seed, 0),
            layers,
            hidden: h,
            pad_token_id: c.pad_token_id,
        })
    }
}

/// An embedding table of `rows` x `hidden` named `weight` under `vb`.
///
/// Why not `candle_nn::embedding`: it asks for normal random values, which
/// candle draws one by one from its unseeded generator (a quarter of a second
/// for MiniLM's word table, every run), only for the seeded initialisation or
/// the checkpoint to overwrite them.
fn table(rows: usize, hidden: usize, vb: VarBuilder) -> candle_core::Result<Embedding> {
    Ok(Embedding::new(vb.get((rows, hidden), "weight")?, hidden))
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

/// A tiny BERT and a padded batch, for the tests here and in `train::padding`.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::BertConfig;
    use candle_core::{Device, Tensor};

    /// A 2-layer, 2-head BERT small enough to train in a test.
    pub(crate) fn tiny() -> BertConfig {
        BertConfig {
            vocab_size: 40,
            hidden_size: 16,
            num_hidden_layers: 2,
            num_attention_heads: 2,
            intermediate_size: 32,
            max_position_embeddings: 64,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            pad_token_id: 0,
        }
    }

    /// Token ids as f32, the last two positions of every row padding.
    pub(crate) fn batch() -> (Tensor, Tensor) {
        let ids: Vec<f32> = (0..8 * 40)
            .map(|i| if i % 40 >= 38 { 0.0 } else { (1 + (i * 7) % 39) as f32 })
            .collect();
        let x = Tensor::from_vec(ids, (8, 40), &Device::Cpu).unwrap();
        let y = Tensor::from_slice(&[0u32, 1, 2, 0, 1, 2, 0, 1], 8, &Device::Cpu).unwrap();
        (x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::{batch, tiny};
    use super::*;
    use crate::model::weights::tests_support::save_for_test;
    use crate::model::{Freeze, Mode, ModelSpec};
    use crate::train::{prepare, Strategy};
    use candle_core::Device;

    /// The property candle-transformers' BERT lacks: fine-tuning reaches every
    /// tensor (LayerNorm included) with a non-zero gradient; probing reaches
    /// none of the encoder's.
    #[test]
    fn finetune_reaches_every_tensor_probe_none_of_the_encoder() {
        let dir = tempfile::tempdir().unwrap();
        let spec = ModelSpec::Bert(tiny());
        let weights = save_for_test(dir.path(), &spec);
        let (x, y) = batch();
        for strategy in [Strategy::Finetune, Strategy::Probe] {
            let plan = strategy.plan(&spec, 40, 3, 0, Some(&weights)).unwrap();
            let m = prepare(&plan, &Device::Cpu).unwrap();
            let logits = m.network.forward(&x, m.freeze, Mode::Train).unwrap();
            let grads = candle_nn::loss::cross_entropy(&logits, &y).unwrap().backward().unwrap();
            let vars = m.varmap.data().lock().unwrap();
            assert_eq!(vars.len(), 5 + 16 * 2 + 2, "embeddings 5, 16 per layer, head 2");
            for (name, var) in vars.iter() {
                let g = grads.get(var.as_tensor());
                if strategy == Strategy::Probe && !name.starts_with("head.") {
                    assert!(g.is_none(), "probe: {name} got a gradient");
                    continue;
                }
                let g = g.unwrap_or_else(|| panic!("{strategy}: {name} got no gradient"));
                let norm = g.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
                assert!(norm > 0.0, "{strategy}: {name} has a zero gradient");
            }
            // The training step, whose kernels write most gradients into the
            // optimiser's sink, moves exactly the same tensors.
            let before: Vec<(String, Tensor)> = vars
                .iter()
                .map(|(n, v)| (n.clone(), v.as_tensor().copy().unwrap()))
                .collect();
            let mut opt = crate::train::FusedAdamW::new(m.trainable.clone(), Default::default()).unwrap();
            let logits = m.network.forward(&x, m.freeze, Mode::Train).unwrap();
            opt.backward_step(&candle_nn::loss::cross_entropy(&logits, &y).unwrap())
                .unwrap();
            for (name, old) in before {
                let moved = vars[&name].as_tensor().ne(&old).unwrap().to_dtype(DType::F32).unwrap();
                let moved = moved.sum_all().unwrap().to_scalar::<f32>().unwrap() > 0.0;
                let frozen = strategy == Strategy::Probe && !name.starts_with("head.");
                assert_eq!(moved, !frozen, "{strategy}: {name} moved: {moved}");
            }
        }
    }

    #[test]
    fn dropout_is_real_in_training_and_off_in_evaluation() {
        let spec = ModelSpec::Bert(tiny());
        let plan = Strategy::Scratch.plan(&spec, 40, 3, 0, None).unwrap();
        let m = prepare(&plan, &Device::Cpu).unwrap();
        let (x, _) = batch();
        let run = |mode| {
            m.network
                .forward(&x, Freeze::Nothing, mode)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        assert_eq!(run(Mode::Eval), run(Mode::Eval));
        assert_ne!(
            run(Mode::Train),
            run(Mode::Train),
            "two training passes draw different masks"
        );
        assert_ne!(run(Mode::Train), run(Mode::Eval));
    }

    /// Evaluation records no graph (so its intermediates are freed as it
    /// goes); training records one that reaches the weights.
    #[test]
    fn evaluation_is_gradient_free() {
        let spec = ModelSpec::Bert(tiny());
        let m = prepare(&Strategy::Scratch.plan(&spec, 40, 3, 0, None).unwrap(), &Device::Cpu).unwrap();
        let (x, _) = batch();
        let bert = Bert::new(
            &tiny(),
            40,
            0,
            VarBuilder::from_varmap(&m.varmap, DType::F32, &Device::Cpu),
        )
        .unwrap();
        assert!(
            !bert.features(&x, false).unwrap().track_op(),
            "evaluation recorded a graph"
        );
        assert!(bert.features(&x, true).unwrap().track_op());
    }

    #[test]
    fn padding_does_not_change_the_pooled_features() {
        let spec = ModelSpec::Bert(tiny());
        let m = prepare(&Strategy::Scratch.plan(&spec, 6, 3, 0, None).unwrap(), &Device::Cpu).unwrap();
        let padded = Tensor::from_slice(&[5f32, 9.0, 3.0, 0.0, 0.0, 0.0], (1, 6), &Device::Cpu).unwrap();
        let unpadded = Tensor::from_slice(&[5f32, 9.0, 3.0], (1, 3), &Device::Cpu).unwrap();
        let scores = |x: &Tensor| -> Vec<f32> {
            let out = m.network.forward(x, Freeze::Nothing, Mode::Eval).unwrap();
            out.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        };
        let (a, b) = (scores(&padded), scores(&unpadded));
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5, "padding changed the result: {x} vs {y}");
        }
        let longer = Tensor::from_slice(&[5f32, 9.0, 3.0, 7.0, 0.0, 0.0], (1, 6), &Device::Cpu).unwrap();
        let c = scores(&longer);
        assert_ne!(a, c, "a real token changes the result");
    }

    #[test]
    fn a_few_training_steps_lower_the_loss() {
        use crate::measure::stopwatch::Stopwatch;
        use crate::train::{fit, FitConfig};
        // Class = whether token 7 occurs: learnable from the tokens alone.
        let rows: Vec<Vec<f32>> = (0..48)
            .map(|i| {
                (0..10)
                    .map(|j| {
                        if j == i % 10 && i % 2 == 0 {
                            7.0
                        } else {
                            (8 + (i * 3 + j * 5) % 30) as f32
                        }
                    })
                    .collect()
            })
            .collect();
        let labels: Vec<u32> = (0..48).map(|i| (i % 2 == 0) as u32).collect();
        let x = Tensor::from_vec(rows.concat(), (48, 10), &Device::Cpu).unwrap();
        let y = Tensor::from_vec(labels, 48, &Device::Cpu).unwrap();
        let spec = ModelSpec::Bert(tiny());
        let m = prepare(&Strategy::Scratch.plan(&spec, 10, 2, 0, None).unwrap(), &Device::Cpu).unwrap();
        let cfg = FitConfig {
            learning_rate: 3e-3,
            weight_decay: 0.0,
            batch_size: 16,
            max_epochs: 8,
            min_steps_per_epoch: 3,
            patience: 8,
            target_accuracy: 1.0,
            seed: 0,
        };
        let out = fit(&m, (&x, &y), (&x, &y), &cfg, &Stopwatch::start()).unwrap();
        let (first, last) = (out.curve[0].train_loss, out.curve.last().unwrap().train_loss);
        assert!(last < first * 0.7, "loss {first} -> {last}");
    }

    #[test]
    fn config_json_loads_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let mut json = serde_json::to_value(tiny()).unwrap();
        json["hidden_act"] = "gelu".into();
        json["architectures"] = serde_json::json!(["BertModel"]);
        std::fs::write(&path, json.to_string()).unwrap();
        assert_eq!(BertConfig::load(&path).unwrap(), tiny());
        json["hidden_act"] = "relu".into();
        std::fs::write(&path, json.to_string()).unwrap();
        assert!(BertConfig::load(&path).unwrap_err().to_string().contains("hidden_act"));
        json["hidden_act"] = "gelu".into();
        json["num_attention_heads"] = 5.into();
        std::fs::write(&path, json.to_string()).unwrap();
        assert!(BertConfig::load(&path).unwrap_err().to_string().contains("multiple"));
    }
}
