//! Worker-process plumbing: what a worker is asked ([`job`]), how the parent
//! starts, samples and reads one ([`spawn`]), what the worker does inside
//! ([`worker`]), and the pretrained backbone obtained through one
//! ([`pretrain`]). Running each job in a fresh process is what makes its peak
//! memory its own. The sweep that uses all of this sits in the layer above
//! (`sweep/`), which this module never names.

pub mod job;
pub mod pretrain;
pub mod spawn;
pub mod worker;

pub use job::{Job, JobOutput};
pub use spawn::{allowed_cpus, WorkerCommand};
