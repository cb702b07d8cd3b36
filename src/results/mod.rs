//! Results: what a sweep measured, and the one store that writes and reads
//! it. A [`RunRecord`] per run (appended to `runs.jsonl` as it finishes), the
//! pretrained model's [`card`], the checkpoint cache, and the report folder
//! ([`ReportDir`]) with its file names ([`files`]). Everything derived from
//! runs (prices, aggregates, the verdict) lives in the stages above and wraps
//! these records without changing them.

pub mod card;
pub mod checkpoints;
pub mod files;
pub mod manifest;
pub mod record;
pub mod store;

pub use card::{GivenInfo, ModelCard, PretrainRecipe, Pretrained};
pub use manifest::SweepManifest;
pub use record::{RunMetrics, RunRecord, RunStatus};
pub use store::{ReportDir, SCHEMA_VERSION};
