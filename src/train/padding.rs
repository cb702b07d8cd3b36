//! Trailing padding of token inputs, which no pass needs to compute.
//!
//! Texts are padded to the suite's `max_tokens`, but most are much shorter
//! (Rotten Tomatoes with MiniLM's tokenizer: 27 of 48 tokens on average).
//! Padding gets no attention and is left out of the mean pooling, and
//! positions are unchanged when only trailing columns go, so a pass may drop
//! the columns that are padding in all of its rows without changing what the
//! model computes for the rest (beyond rounding); in training, dropout draws
//! its masks per value, so a trimmed batch draws other masks than its
//! full-width form would (the same distribution, another draw). Evaluation sorts rows by
//! length first ([`super::eval_batches`]); training keeps its batch order and
//! trims each batch to its longest row ([`super::fit`]): the longest of 16
//! random Rotten Tomatoes texts is 45.6 tokens on average, of 8 42.7.

use crate::Result;
use candle_core::Tensor;

/// Each row's length: the position after its last token that is not `pad`
/// (0 for a row of padding). `x` is `[rows, columns]` token ids.
pub fn token_lengths(x: &Tensor, pad: u32) -> Result<Vec<usize>> {
    // Token ids are stored as f32, exactly (ids are far below 2^24).
    let pad = pad as f32;
    Ok(x.to_vec2::<f32>()?
        .iter()
        .map(|r| r.iter().rposition(|&id| id != pad).map_or(0, |last| last + 1))
        .collect())
}

/// The columns a pass over `rows` needs: their longest length, at least 1
/// (a pass over rows of padding still runs on one column).
pub fn columns_needed(rows: &[u32], lengths: &[usize]) -> usize {
    rows.iter().map(|&i| lengths[i as usize]).max().unwrap_or(0).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bert::tests_support::{batch, tiny};
    use crate::model::bert::BertConfig;
    use crate::model::{Freeze, Mode, ModelSpec};
    use crate::train::eval_batches::{eval_batches, inverse_order};
    use crate::train::{prepare, Strategy};
    use candle_core::Device;

    #[test]
    fn lengths_end_at_the_last_token_and_columns_cover_the_longest_row() {
        // 0 is padding; an inner 0 does not end a row.
        let flat: [f32; 16] = [5., 0., 7., 0., 9., 0., 0., 0., 0., 0., 0., 0., 1., 2., 3., 4.];
        let x = Tensor::from_slice(&flat, (4, 4), &Device::Cpu).unwrap();
        let lengths = token_lengths(&x, 0).unwrap();
        assert_eq!(lengths, vec![3, 1, 0, 4]);
        assert_eq!(columns_needed(&[0, 1], &lengths), 3);
        assert_eq!(columns_needed(&[2], &lengths), 1);
        assert_eq!(columns_needed(&[1, 3], &lengths), 4);
    }

    /// Training drops the trailing columns that are padding in every row of a
    /// batch; without dropout (whose masks follow the shape) the loss and
    /// every gradient are those of the full-width batch.
    #[test]
    fn trimmed_training_batches_give_the_full_width_gradients() {
        let config = BertConfig {
            hidden_dropout_prob: 0.0,
            attention_probs_dropout_prob: 0.0,
            ..tiny()
        };
        let spec = ModelSpec::Bert(config);
        let m = prepare(&Strategy::Scratch.plan(&spec, 40, 3, 0, None).unwrap(), &Device::Cpu).unwrap();
        let (x, y) = batch();
        let lengths = token_lengths(&x, 0).unwrap();
        let columns = columns_needed(&(0..8).collect::<Vec<u32>>(), &lengths);
        assert_eq!(columns, 38);
        let pass = |x: &Tensor| {
            let logits = m.network.forward(x, Freeze::Nothing, Mode::Train).unwrap();
            let loss = candle_nn::loss::cross_entropy(&logits, &y).unwrap();
            (loss.to_scalar::<f32>().unwrap(), loss.backward().unwrap())
        };
        let (full_loss, full) = pass(&x);
        let (trimmed_loss, trimmed) = pass(&x.narrow(1, 0, columns).unwrap());
        assert!((full_loss - trimmed_loss).abs() < 1e-5, "{full_loss} vs {trimmed_loss}");
        for (name, var) in m.varmap.data().lock().unwrap().iter() {
            let (a, b) = (
                full.get(var.as_tensor()).unwrap(),
                trimmed.get(var.as_tensor()).unwrap(),
            );
            let diff = crate::model::ops::gradcheck::max_diff(a, b);
            assert!(diff < 1e-5, "{name}: trimming changed the gradient by {diff}");
        }
    }

    /// Evaluation sorts texts by length and drops trailing padding columns;
    /// the class scores, put back in row order, are those of full-width passes.
    #[test]
    fn trimmed_evaluation_batches_give_the_full_width_scores() {
        let spec = ModelSpec::Bert(tiny());
        let m = prepare(&Strategy::Scratch.plan(&spec, 12, 3, 0, None).unwrap(), &Device::Cpu).unwrap();
        // Ten texts of 1 to 12 tokens, padded to 12.
        let ids: Vec<f32> = (0..10 * 12)
            .map(|i| {
                if i % 12 < 1 + (i / 12 * 7) % 12 {
                    (1 + (i * 5) % 39) as f32
                } else {
                    0.0
                }
            })
            .collect();
        let x = Tensor::from_vec(ids, (10, 12), &Device::Cpu).unwrap();
        let full = m.network.forward(&x, Freeze::Backbone, Mode::Eval).unwrap();
        let batches = eval_batches(&x, 3, m.network.padding_id()).unwrap();
        assert!(batches.iter().any(|b| b.inputs(&x).unwrap().dim(1).unwrap() < 12));
        let parts: Vec<Tensor> = batches
            .iter()
            .map(|b| {
                m.network
                    .forward(&b.inputs(&x).unwrap(), Freeze::Backbone, Mode::Eval)
                    .unwrap()
            })
            .collect();
        let trimmed = Tensor::cat(&parts, 0)
            .unwrap()
            .index_select(&inverse_order(&batches).unwrap().unwrap(), 0)
            .unwrap();
        let diff = crate::model::ops::gradcheck::max_diff(&full, &trimmed);
        assert!(diff < 1e-5, "trimming changed the scores by {diff}");
    }
}
