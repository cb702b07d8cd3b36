//! The library's errors. Each variant says where the fault lies (a file, a
//! suite key or flag, a dataset, a model, a worker) and its message names the
//! value at fault and, where there is one, the fix.

use std::path::PathBuf;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file operation failed; the path is part of the message.
    #[error("{action} {path}: {cause}")]
    Io {
        /// What was being done ("reading", "writing", ...).
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The OS error: part of this error's message, and therefore not
        /// its `source` (a chain printed with `{:#}` would say it twice).
        cause: std::io::Error,
    },

    /// A suite file or built-in suite is malformed or inconsistent.
    #[error("suite {origin}: {message}")]
    Suite {
        /// The file path or built-in name.
        origin: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A setting (a suite key or a command-line flag) has a value that cannot be used.
    #[error("{key}: {message}")]
    Setting {
        /// The key or flag with its value, e.g. `--device tpu` or `cost.pricing = "spot"`.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A dataset (a file, or data built in memory) is missing, malformed or too small.
    #[error("{origin}: {message}")]
    Data {
        /// The file, or what the data is (e.g. `embedded digits.csv.gz`).
        origin: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A model description (a `config.json`, a hub reference) cannot be used.
    #[error("{origin}: {message}")]
    Model {
        /// The file or reference.
        origin: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A checkpoint is missing, corrupt, or does not fit the model.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A results folder cannot be used or read.
    #[error("results {path}: {message}")]
    Results {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// Two result sets that `compare` will not set side by side as they stand
    /// (e.g. they ran different tasks, so their cells name different experiments).
    #[error("cannot compare {a} with {b}: {message}")]
    Compare {
        /// The first report folder.
        a: PathBuf,
        /// The second report folder.
        b: PathBuf,
        /// What differs and how to compare anyway.
        message: String,
    },

    /// A worker process failed to start, crashed or sent unreadable output.
    #[error("worker: {0}")]
    Worker(String),

    /// A tensor operation failed inside candle.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),

    /// A signal (SIGINT, SIGTERM) stopped the work before anything was written.
    #[error("interrupted by {signal} before the first run: nothing was written; run the same command again")]
    Interrupted {
        /// The signal's name, e.g. `SIGINT`.
        signal: &'static str,
        /// The exit code that reports it: 128 + the signal number.
        exit_code: u8,
    },

    /// A chart or page could not be rendered.
    #[error("report: {0}")]
    Report(String),
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what was being done and to which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            cause: source,
        }
    }

    /// A fault in the dataset `origin` (a path or a description).
    pub fn data(origin: impl std::fmt::Display, message: impl Into<String>) -> Self {
        Error::Data {
            origin: origin.to_string(),
            message: message.into(),
        }
    }

    /// A bad value for the suite key or flag `key`.
    pub fn setting(key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Setting {
            key: key.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_io_error_names_its_cause_once_in_a_printed_chain() {
        let cause = std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device");
        let err = anyhow::Error::from(Error::io("writing", "reports/x/runs.jsonl", cause)).context("run failed");
        let printed = format!("{err:#}");
        assert_eq!(
            printed,
            "run failed: writing reports/x/runs.jsonl: No space left on device"
        );
    }
}
