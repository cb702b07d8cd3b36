//! Trailing padding of token inputs, which no pass needs to compute.
//!
//! Texts are padded to the suite's `max_tokens`, but most are much shorter
//! (Rotten Tomatoes with MiniLM's tokenizer: 27 of 48 tokens on average).
//! Padding gets no attention and is left out of the mean pooling, and
//! positions are unchanged when only trailing columns go, so a pass may drop
//! the columns that are padding in all of its rows without changing what the
//! model computes for the rest (beyond rounding). Evaluation sorts rows by
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
}
