//! Measurements read from the OS: time, CPU, memory, and the machine itself.
//!
//! Each run executes in its own worker process, so the worker's own figures
//! ([`process::usage`]) are that run's alone; the parent adds the process's
//! wall time and a resource timeline sampled from outside ([`sampler`]).

pub mod machine;
pub mod process;
pub mod rapl;
pub mod sampler;
pub mod stopwatch;
