//! SIGINT and SIGTERM during a sweep: the first asks the sweep to stop (the
//! running worker is killed, what finished is kept and reported, and the
//! exit code says which signal); a second SIGINT ends the process at once.

use crate::{Error, Result};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The stop request of a running sweep.
#[derive(Debug, Clone)]
pub struct Interrupt {
    int: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
}

/// The signal that stopped a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// Ctrl-C: exit code 130.
    Int,
    /// `kill` or a scheduler's stop: exit code 143.
    Term,
}

impl StopSignal {
    /// The conventional exit code: 128 + the signal number.
    pub fn exit_code(self) -> u8 {
        match self {
            StopSignal::Int => 130,
            StopSignal::Term => 143,
        }
    }

    /// The signal's name.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Int => "SIGINT",
            StopSignal::Term => "SIGTERM",
        }
    }
}

impl Interrupt {
    /// Catches SIGINT and SIGTERM from now on, for the rest of the process.
    pub fn install() -> Result<Interrupt> {
        let int = Arc::new(AtomicBool::new(false));
        let term = Arc::new(AtomicBool::new(false));
        let fail = |e: std::io::Error| Error::Worker(format!("cannot handle signals: {e}"));
        // Registered first, so a second Ctrl-C (the flag already set) ends the process.
        signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(&int)).map_err(fail)?;
        signal_hook::flag::register(SIGINT, Arc::clone(&int)).map_err(fail)?;
        signal_hook::flag::register(SIGTERM, Arc::clone(&term)).map_err(fail)?;
        Ok(Interrupt { int, term })
    }

    /// The signal received, if any.
    pub fn signal(&self) -> Option<StopSignal> {
        if self.term.load(Ordering::SeqCst) {
            Some(StopSignal::Term)
        } else if self.int.load(Ordering::SeqCst) {
            Some(StopSignal::Int)
        } else {
            None
        }
    }

    /// Whether the sweep should stop.
    pub fn requested(&self) -> bool {
        self.signal().is_some()
    }

    /// The error for a stop before anything was written.
    pub fn error(&self) -> Error {
        let signal = self.signal().unwrap_or(StopSignal::Int);
        Error::Interrupted {
            signal: signal.name(),
            exit_code: signal.exit_code(),
        }
    }
}
