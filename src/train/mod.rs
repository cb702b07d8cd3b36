//! Training: one loop ([`fit`]) for every strategy; strategies differ only in
//! where the initial weights come from and which weights train ([`strategy`]).

pub mod fit;
pub mod strategy;

pub use fit::{accuracy, fit, CurvePoint, FitConfig, FitOutcome, StopReason};
pub use strategy::{prepare, PreparedModel, Strategy};
