//! An embedding bag: what a team would build for text from scratch. Each
//! token id gets a learned embedding; the example is their mean over the
//! non-padding tokens (id 0), followed by one ReLU layer.

use super::Backbone;
use candle_core::{DType, Module, Tensor};
use candle_nn::{Embedding, Linear, VarBuilder};

/// Mean of token embeddings, then a hidden layer.
pub struct Bag {
    embedding: Embedding,
    hidden: Linear,
    width: usize,
}

impl Bag {
    /// Parameters `embedding.weight` `[vocab, dim]` and `fc.{weight,bias}` under `vb`.
    pub fn new(vocab_size: usize, embedding_dim: usize, hidden: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Bag {
            embedding: candle_nn::embedding(vocab_size, embedding_dim, vb.pp("embedding"))?,
            hidden: candle_nn::linear(embedding_dim, hidden, vb.pp("fc"))?,
            width: hidden,
        })
    }
}

impl Backbone for Bag {
    fn features(&self, x: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
        // x: token ids as f32 [batch, tokens] -> [batch, tokens, dim] -> masked mean [batch, dim] -> [batch, hidden]
        let ids = x.to_dtype(DType::U32)?;
        let mask = ids.ne(0u32)?.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = self.embedding.forward(&ids)?.broadcast_mul(&mask)?.sum(1)?;
        let mean = summed.broadcast_div(&mask.sum(1)?.clamp(1.0, f64::MAX)?)?;
        self.hidden.forward(&mean)?.relu()
    }

    fn feature_dim(&self) -> usize {
        self.width
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_nn::VarMap;

    #[test]
    fn padding_is_ignored_and_tokens_matter() {
        let vm = VarMap::new();
        let bag = Bag::new(10, 4, 3, VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu)).unwrap();
        crate::model::init::seeded_init(&vm, 1).unwrap();
        let f = |ids: &[f32]| {
            let x = Tensor::from_slice(ids, (1, ids.len()), &Device::Cpu).unwrap();
            bag.features(&x, false)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        let a = f(&[3.0, 5.0, 0.0, 0.0]);
        let b = f(&[5.0, 3.0]);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-6, "order and padding do not matter");
        }
        assert_ne!(a, f(&[3.0, 6.0, 0.0, 0.0]));
    }
}
