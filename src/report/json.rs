//! `results.json`: every run, aggregate, the suite, the machine and the tool version.

use super::{Exporter, OutputFile, Rendered};
use crate::results::files::RESULTS_JSON;
use crate::results::store::results_json_bytes;
use crate::Result;

/// The machine-readable whole.
pub(super) struct Json;

impl Exporter for Json {
    fn render(&self, input: &Rendered) -> Result<Vec<OutputFile>> {
        Ok(vec![OutputFile::new(RESULTS_JSON, results_json_bytes(input.results))])
    }
}
