//! Running the sweep: the run matrix, one worker process per run, the
//! pretrained checkpoint cache, and the results written as runs finish.

pub mod job;
pub mod matrix;
pub mod pretrain;
pub mod probe_cache;
pub mod record;
pub mod spawn;
pub mod sweep;
pub mod worker;

pub use job::{Job, JobOutput};
pub use matrix::{run_matrix, RunSpec};
pub use record::{RunMetrics, RunRecord, RunStatus};
pub use spawn::WorkerCommand;
pub use sweep::{run_sweep, SweepOptions};
