//! `results.json`: every run, aggregate, the suite, the machine and the tool version.

use super::{Exporter, Results};
use crate::Result;

/// The machine-readable whole.
pub(super) struct Json;

impl Exporter for Json {
    fn file_name(&self) -> &'static str {
        "results.json"
    }

    fn render(&self, results: &Results) -> Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(results).expect("results serialise");
        bytes.push(b'\n');
        Ok(bytes)
    }
}
