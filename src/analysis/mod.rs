//! From runs to figures: per (strategy, budget) aggregates over seeds.

pub mod aggregate;
pub mod stats;

pub use aggregate::{aggregate, Aggregate};
pub use stats::Summary;
