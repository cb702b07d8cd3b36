//! How evaluation splits a dataset into forward passes.
//!
//! Evaluation order does not matter, so for token inputs the rows are sorted
//! by length and each pass drops the trailing columns that are padding in all
//! of its rows ([`super::padding`]): on Rotten Tomatoes the encoder then runs
//! on about 28 columns instead of 48.

use super::padding::{columns_needed, token_lengths};
use crate::Result;
use candle_core::Tensor;

/// The rows and columns of one evaluation forward pass.
#[derive(Debug, Clone)]
pub enum EvalBatch {
    /// Rows `start..start + len` at full width.
    Range {
        /// First row.
        start: usize,
        /// Rows in the pass.
        len: usize,
    },
    /// The given rows (a `u32` index tensor), keeping only the first `columns`.
    Rows {
        /// Row indices into the dataset.
        indices: Tensor,
        /// Columns kept: the longest row's length in this pass (at least 1).
        columns: usize,
    },
}

impl EvalBatch {
    /// This pass's inputs, taken from `x` (`[rows, columns]`).
    pub fn inputs(&self, x: &Tensor) -> Result<Tensor> {
        Ok(match self {
            EvalBatch::Range { start, len } => x.narrow(0, *start, *len)?,
            EvalBatch::Rows { indices, columns } => x.index_select(indices, 0)?.narrow(1, 0, *columns)?,
        })
    }

    /// This pass's labels, taken from `y` (`[rows]`).
    pub fn labels(&self, y: &Tensor) -> Result<Tensor> {
        Ok(match self {
            EvalBatch::Range { start, len } => y.narrow(0, *start, *len)?,
            EvalBatch::Rows { indices, .. } => y.index_select(indices, 0)?,
        })
    }
}

/// The passes over the `n` rows of `x`, at most `chunk` rows each. With a
/// `pad_id` (token inputs), rows are sorted by length (the position after
/// their last non-padding token) and trimmed; without one, they are taken in
/// order at full width.
pub fn eval_batches(x: &Tensor, chunk: usize, pad_id: Option<u32>) -> Result<Vec<EvalBatch>> {
    let n = x.dim(0)?;
    let chunk = chunk.max(1);
    let Some(pad) = pad_id else {
        return Ok((0..n)
            .step_by(chunk)
            .map(|start| EvalBatch::Range {
                start,
                len: chunk.min(n - start),
            })
            .collect());
    };
    let lengths = token_lengths(x, pad)?;
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by_key(|&i| (lengths[i as usize], i));
    order
        .chunks(chunk)
        .map(|rows| {
            let columns = columns_needed(rows, &lengths);
            Ok(EvalBatch::Rows {
                indices: Tensor::from_slice(rows, rows.len(), x.device())?,
                columns,
            })
        })
        .collect()
}

/// The permutation that puts results computed batch after batch back in
/// row order: row `i`'s result is at position `inverse[i]` of the
/// concatenated outputs. `None` when the batches already are in row order.
pub fn inverse_order(batches: &[EvalBatch]) -> Result<Option<Tensor>> {
    let mut order: Vec<u32> = Vec::new();
    let mut device = None;
    for b in batches {
        match b {
            EvalBatch::Range { .. } => return Ok(None),
            EvalBatch::Rows { indices, .. } => {
                order.extend(indices.to_vec1::<u32>()?);
                device = Some(indices.device().clone());
            }
        }
    }
    let Some(device) = device else { return Ok(None) };
    let mut inverse = vec![0u32; order.len()];
    for (position, &row) in order.iter().enumerate() {
        inverse[row as usize] = position as u32;
    }
    Ok(Some(Tensor::from_slice(&inverse, inverse.len(), &device)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn ids(rows: &[&[f32]]) -> Tensor {
        let width = rows[0].len();
        let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
        Tensor::from_slice(&flat, (rows.len(), width), &Device::Cpu).unwrap()
    }

    #[test]
    fn without_padding_id_rows_stay_in_order_at_full_width() {
        let x = ids(&[&[1., 0.], &[2., 0.], &[3., 0.]]);
        let batches = eval_batches(&x, 2, None).unwrap();
        let got: Vec<Vec<Vec<f32>>> = batches
            .iter()
            .map(|b| b.inputs(&x).unwrap().to_vec2().unwrap())
            .collect();
        assert_eq!(got, vec![vec![vec![1., 0.], vec![2., 0.]], vec![vec![3., 0.]]]);
        assert!(inverse_order(&batches).unwrap().is_none());
    }

    #[test]
    fn token_rows_are_sorted_by_length_and_trimmed() {
        // Lengths 3, 1, 4, 2 (0 is padding; an inner 0 does not end a row).
        let x = ids(&[
            &[5., 0., 7., 0.],
            &[9., 0., 0., 0.],
            &[1., 2., 3., 4.],
            &[6., 8., 0., 0.],
        ]);
        let y = Tensor::from_slice(&[0u32, 1, 2, 3], 4, &Device::Cpu).unwrap();
        let batches = eval_batches(&x, 2, Some(0)).unwrap();
        // The first pass needs 2 columns, the second all 4 (its longest row).
        let inputs: Vec<Vec<Vec<f32>>> = batches
            .iter()
            .map(|b| b.inputs(&x).unwrap().to_vec2().unwrap())
            .collect();
        assert_eq!(
            inputs,
            vec![
                vec![vec![9., 0.], vec![6., 8.]],
                vec![vec![5., 0., 7., 0.], vec![1., 2., 3., 4.]],
            ]
        );
        let labels: Vec<u32> = batches
            .iter()
            .flat_map(|b| b.labels(&y).unwrap().to_vec1::<u32>().unwrap())
            .collect();
        assert_eq!(labels, vec![1, 3, 0, 2]);
        // Row i's output sits at inverse[i] of the concatenated outputs.
        let inverse = inverse_order(&batches).unwrap().unwrap().to_vec1::<u32>().unwrap();
        for (row, &at) in inverse.iter().enumerate() {
            assert_eq!(labels[at as usize], row as u32);
        }
    }

    #[test]
    fn an_all_padding_batch_keeps_one_column() {
        let x = ids(&[&[0., 0.], &[0., 0.]]);
        let batches = eval_batches(&x, 8, Some(0)).unwrap();
        assert_eq!(batches[0].inputs(&x).unwrap().dims(), &[2, 1]);
    }
}
