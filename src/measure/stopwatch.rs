//! Wall-clock phases of one run.

use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A monotonic clock started before the run touches any data (MLPerf's rule),
/// so every phase and time-to-target counts from the same origin.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    start: Instant,
}

impl Stopwatch {
    /// Starts the clock now.
    pub fn start() -> Self {
        Stopwatch { start: Instant::now() }
    }

    /// Seconds since the start.
    pub fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Runs `f` and returns its value with the seconds it took.
    pub fn time<T>(f: impl FnOnce() -> T) -> (T, f64) {
        let t = Instant::now();
        let v = f();
        (v, t.elapsed().as_secs_f64())
    }
}

/// Seconds spent in each phase of a run. Their sum is close to, never above,
/// the run's wall time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Phases {
    /// Generating or loading the data and building the splits and batches' tensors.
    pub data_s: f64,
    /// Building the network: seeded initialisation, plus loading the checkpoint for reuse strategies.
    pub init_s: f64,
    /// The training loop, including the per-epoch validation that drives early stopping.
    pub train_s: f64,
    /// The one evaluation of the selected weights on the test split.
    pub test_s: f64,
}
