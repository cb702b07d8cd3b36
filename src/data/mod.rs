//! Datasets and the splits of the transfer protocol.
//!
//! A [`Dataset`] is a dense matrix of features plus integer labels. A
//! [`TaskSpec`] (the suite's `[task]`, owned here with its checks) names the
//! dataset; [`task`] builds its source task (for pretraining) and target task
//! (train pool, validation, test), and [`splits`] draws the label budgets
//! every strategy shares. Readers of files ([`idx`], [`csv_table`], [`images`]) and the
//! generated or embedded sets ([`mnist1d`], [`digits`], [`text`]) sit below.

pub mod csv_table;
pub mod digits;
pub mod idx;
pub mod images;
pub mod mnist1d;
pub mod shared;
pub mod splits;
pub mod task;
pub mod text;

pub use task::{TaskKind, TaskSpec};

use candle_core::{Device, Tensor};

/// Examples as a row-major `[len, feature_len]` matrix and their class labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major features, `len() * feature_len` values.
    pub features: Vec<f32>,
    /// Class of each row, `0..num_classes`.
    pub labels: Vec<u32>,
    /// Values per example.
    pub feature_len: usize,
}

impl Dataset {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the dataset has no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The features of example `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.feature_len..(i + 1) * self.feature_len]
    }

    /// The examples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        let mut features = Vec::with_capacity(indices.len() * self.feature_len);
        for &i in indices {
            features.extend_from_slice(self.row(i));
        }
        Dataset {
            features,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            feature_len: self.feature_len,
        }
    }

    /// Number of examples per class, indexed by label.
    pub fn class_counts(&self) -> Vec<usize> {
        let classes = self.labels.iter().max().map_or(0, |&m| m as usize + 1);
        let mut counts = vec![0; classes];
        for &y in &self.labels {
            counts[y as usize] += 1;
        }
        counts
    }

    /// A short SHA-256 digest of the examples (features and labels, in order),
    /// recorded with every run so that anyone can check that the strategies
    /// compared at a budget and seed trained on exactly the same examples.
    pub fn digest(&self) -> String {
        use sha2::Digest;
        crate::digest::short_hex(8, |h| {
            for v in &self.features {
                h.update(v.to_le_bytes());
            }
            for y in &self.labels {
                h.update(y.to_le_bytes());
            }
        })
    }

    /// The features as an `f32` tensor `[len, feature_len]` and the labels as a
    /// `u32` tensor `[len]`, on `device`.
    pub fn to_tensors(&self, device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
        let x = Tensor::from_slice(&self.features, (self.len(), self.feature_len), device)?;
        let y = Tensor::from_slice(&self.labels, self.len(), device)?;
        Ok((x, y))
    }
}
