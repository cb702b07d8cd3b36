//! Training: one loop ([`fit`]) for every strategy; strategies differ only in
//! where the initial weights come from and which weights train ([`strategy`]).
//! The suite's `[train]` and `[pretrain]` sections are owned here ([`spec`]),
//! as is the run matrix they span ([`matrix`]). [`session`] runs the phases
//! every run shares (build, train, test once); [`probe_cache`] lets a probe on
//! a large frozen backbone train its head on features computed once;
//! [`adamw`] is the optimiser, one in-place pass per parameter;
//! [`eval_batches`] splits evaluation into forward passes; [`padding`] finds
//! the trailing padding that neither evaluation nor training computes.

pub mod adamw;
pub mod eval_batches;
pub mod fit;
pub mod matrix;
pub mod padding;
pub mod probe_cache;
pub mod session;
pub mod spec;
pub mod strategy;

pub use adamw::FusedAdamW;
pub use fit::{accuracy, batch_loss, fit, optimizer, CurvePoint, FitConfig, FitOutcome, StopReason};
pub use matrix::{run_matrix, RunSpec, Shard};
pub use spec::{LearningRates, PretrainSpec, TrainSpec};
pub use strategy::{prepare, ModelPlan, PreparedModel, Start, Strategy};
