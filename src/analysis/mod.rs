//! From runs to a decision: per-cell aggregates with confidence intervals,
//! data efficiency, and the verdict with its reasons.

pub mod aggregate;
pub mod analyse;
pub mod compare;
pub mod efficiency;
pub mod stats;
pub mod verdict;

pub use aggregate::{aggregate, Aggregate};
pub use analyse::{analyse, Analysis};
pub use efficiency::{BreakEven, Crossing, LabelsToTarget};
pub use stats::Summary;
pub use verdict::Verdict;
