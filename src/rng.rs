//! The project's own seeded random streams.
//!
//! candle 0.11 cannot seed its CPU generator and its initialisers are unseeded,
//! so every random choice (data generation, splits, label subsets, weight
//! initialisation, batch order) draws from a ChaCha8 stream derived here from a
//! seed and a purpose. ChaCha8 output is specified by the algorithm, so the same
//! seed gives the same numbers on every machine and crate version.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for. Each purpose gets its own ChaCha stream,
/// so that, for example, changing the batch order never changes the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Generating the synthetic dataset.
    Dataset = 1,
    /// Choosing which pool examples form a label budget.
    Subset = 2,
    /// Initialising weights.
    Init = 3,
    /// Shuffling mini-batches.
    Batches = 4,
    /// Dropout masks (each layer derives its own stream from this one).
    Dropout = 5,
    /// Resampling seeds to put intervals on learning-curve projections.
    Bootstrap = 6,
}

/// A generator for `seed` and `purpose`: same inputs, same sequence.
pub fn stream(seed: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose as u64);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_seed_same_numbers_and_purposes_differ() {
        let a: Vec<u32> = (0..4)
            .map(|_| 0)
            .scan(stream(7, Purpose::Init), |r, _| Some(r.random()))
            .collect();
        let b: Vec<u32> = (0..4)
            .map(|_| 0)
            .scan(stream(7, Purpose::Init), |r, _| Some(r.random()))
            .collect();
        let c: Vec<u32> = (0..4)
            .map(|_| 0)
            .scan(stream(7, Purpose::Batches), |r, _| Some(r.random()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
