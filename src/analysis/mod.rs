//! From runs to a decision: runs priced ([`crate::cost`]), per-cell
//! aggregates with confidence intervals, data efficiency, learning-curve
//! projections beyond the sweep, the verdict's sensitivity to each cost
//! assumption, and the verdict
//! with its reasons as data. [`Results`] is the whole document a sweep
//! leaves in `results.json`: what was measured plus what was derived.

pub mod aggregate;
pub mod analyse;
pub mod compare;
pub mod efficiency;
pub mod learning_curve;
pub mod payoff;
pub mod projection;
pub mod reasons;
pub mod results;
pub mod sensitivity;
pub mod stats;
pub mod verdict;

pub use aggregate::{aggregate, Aggregate};
pub use analyse::{analyse, Analysis};
pub use efficiency::{BreakEven, Crossing, LabelsToTarget};
pub use projection::{Interval, Projection, Projections, Refusal};
pub use reasons::{BestCell, Change, Reason};
pub use results::{ChangedSetting, Partial, PartialReason, Provenance, Repricing, Results};
pub use sensitivity::{Assumption, Sensitivity};
pub use stats::Summary;
pub use verdict::Verdict;
