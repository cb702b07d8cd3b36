//! `results.json`: every run, aggregate, the suite, the machine and the tool version.

use super::{Exporter, OutputFile, Rendered, RESULTS_JSON};
use crate::Result;

/// The machine-readable whole.
pub(super) struct Json;

impl Exporter for Json {
    fn render(&self, input: &Rendered) -> Result<Vec<OutputFile>> {
        let mut bytes = serde_json::to_vec_pretty(input.results).expect("results serialise");
        bytes.push(b'\n');
        Ok(vec![OutputFile::new(RESULTS_JSON, bytes)])
    }
}
