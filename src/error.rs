//! The library's errors. Each message names the file, flag or value at fault
//! and, where there is one, the fix.

use std::path::PathBuf;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file operation failed; the path is part of the message.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("reading", "writing", ...).
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A suite file or built-in suite is malformed or inconsistent.
    #[error("suite {origin}: {message}")]
    Suite {
        /// The file path or built-in name.
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

    /// A worker process failed to start, crashed or sent unreadable output.
    #[error("worker: {0}")]
    Worker(String),

    /// A tensor operation failed inside candle.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),

    /// A chart or page could not be rendered.
    #[error("report: {0}")]
    Report(String),

    /// A value given by the user is out of range or unsupported.
    #[error("{0}")]
    Invalid(String),
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what was being done and to which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
