//! The synthetic inputs of the speed workloads, spelled exactly as
//! `benches/pytorch/bench.py` spells them, so both sides time the same shapes
//! and the same padding.

use super::Workload;
use crate::rng::{self, Purpose};
use crate::Result;
use candle_core::{Device, Tensor};
use rand_distr::{Distribution, StandardNormal};

/// Tokens per text in the BERT workloads (the sentiment suite's `max_tokens`).
pub const TOKENS: usize = 48;
/// Texts per fine-tuning step (the sentiment suite's batch).
pub const BERT_STEP_ROWS: usize = 16;
/// Texts per evaluation forward pass (the BERT evaluation chunk).
pub const BERT_FORWARD_ROWS: usize = 32;
/// Values per MNIST-1D example.
pub const FEATURES: usize = 40;
/// Classes of the MNIST-1D target task.
pub const CLASSES: usize = 5;
/// Training examples per epoch (250 labels for each of 5 classes).
pub const EPOCH_TRAIN: usize = 1250;
/// Validation examples (100 for each of 5 classes).
pub const EPOCH_VAL: usize = 500;
/// Mini-batch of the epoch workloads.
pub const EPOCH_BATCH: usize = 32;

/// Side of the vision workload's grey images (Animal-MNIST's).
pub const IMAGE_SIDE: usize = 28;
/// Classes of the vision workload (Animal-MNIST's).
pub const IMAGE_CLASSES: usize = 10;
/// Side MobileNetV2 resizes them to (the vision suite's).
pub const IMAGE_SIZE: usize = 64;

/// Examples one iteration of `workload` processes.
pub fn samples_per_iter(workload: Workload) -> usize {
    match workload {
        Workload::BertStep => BERT_STEP_ROWS,
        Workload::BertForward => BERT_FORWARD_ROWS,
        Workload::CnnEpoch | Workload::MlpEpoch => EPOCH_TRAIN,
        Workload::MobilenetStep => EPOCH_BATCH,
    }
}

/// Token id at (`row`, `pos`): row `i` holds `48 - (5i mod 24)` real tokens,
/// then padding (id 0).
pub fn token_id(row: usize, pos: usize) -> u32 {
    let len = TOKENS - (row * 5 % 24);
    if pos < len {
        1000 + ((row * TOKENS + pos) * 7919 % 29000) as u32
    } else {
        0
    }
}

/// `rows` texts as token ids (stored as f32, as the data pipeline does) and
/// labels alternating 0, 1.
pub fn token_batch(rows: usize, device: &Device) -> Result<(Tensor, Tensor)> {
    let ids: Vec<f32> = (0..rows)
        .flat_map(|i| (0..TOKENS).map(move |j| token_id(i, j) as f32))
        .collect();
    let labels: Vec<u32> = (0..rows as u32).map(|i| i % 2).collect();
    Ok((
        Tensor::from_vec(ids, (rows, TOKENS), device)?,
        Tensor::from_vec(labels, rows, device)?,
    ))
}

/// Normal features and cycling labels, training then validation.
#[allow(clippy::type_complexity)]
pub fn epoch_data(device: &Device) -> Result<((Tensor, Tensor), (Tensor, Tensor))> {
    let mut rng = rng::stream(0, Purpose::Dataset);
    let mut part = |n: usize| -> Result<(Tensor, Tensor)> {
        let x: Vec<f32> = (0..n * FEATURES).map(|_| StandardNormal.sample(&mut rng)).collect();
        let y: Vec<u32> = (0..n as u32).map(|i| i % CLASSES as u32).collect();
        Ok((
            Tensor::from_vec(x, (n, FEATURES), device)?,
            Tensor::from_vec(y, n, device)?,
        ))
    };
    Ok((part(EPOCH_TRAIN)?, part(EPOCH_VAL)?))
}

/// `rows` grey images with pixel `(i, j)` of image `r` at
/// `0.5 + 0.5 sin(0.37 i + 0.23 j + r)`, and labels `r mod 10`.
pub fn image_batch(rows: usize, device: &Device) -> Result<(Tensor, Tensor)> {
    let side = IMAGE_SIDE;
    let pixels: Vec<f32> = (0..rows * side * side)
        .map(|k| {
            let (r, i, j) = (k / (side * side), k / side % side, k % side);
            0.5 + 0.5 * (0.37 * i as f32 + 0.23 * j as f32 + r as f32).sin()
        })
        .collect();
    let labels: Vec<u32> = (0..rows as u32).map(|r| r % IMAGE_CLASSES as u32).collect();
    Ok((
        Tensor::from_vec(pixels, (rows, side * side), device)?,
        Tensor::from_vec(labels, rows, device)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values the PyTorch script's formula gives, checked by hand.
    #[test]
    fn token_ids_follow_the_shared_formula() {
        assert_eq!(token_id(0, 0), 1000);
        assert_eq!(token_id(0, 47), 1000 + (47 * 7919 % 29000) as u32);
        assert_eq!(token_id(1, 42), 1000 + ((48 + 42) * 7919 % 29000) as u32);
        assert_eq!(token_id(1, 43), 0, "row 1 has 43 real tokens");
        let (x, y) = token_batch(16, &Device::Cpu).unwrap();
        assert_eq!(x.dims(), &[16, TOKENS]);
        assert_eq!(y.to_vec1::<u32>().unwrap()[..3], [0, 1, 0]);
    }
}
