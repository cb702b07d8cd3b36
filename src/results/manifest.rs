//! The sweep's manifest, `sweep.json`: written before the first run, it says
//! what the folder is meant to hold (the suite's hash, the tool and schema,
//! the shard and its planned runs, the machine, the pretrained model), so an
//! interrupted sweep can be resumed, a partial folder rendered, and shards
//! merged, each refusing what does not belong together.

use super::card::Pretrained;
use super::store::SCHEMA_VERSION;
use crate::measure::machine::Machine;
use crate::train::Shard;
use serde::{Deserialize, Serialize};

/// What a report folder is meant to hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepManifest {
    /// [`SCHEMA_VERSION`] of the results this sweep writes.
    pub schema_version: u32,
    /// reuse-bench version that started the sweep; resuming needs the same.
    pub tool_version: String,
    /// SHA-256 of `suite.toml` as written beside it.
    pub suite_sha256: String,
    /// When the sweep started (RFC 3339, UTC).
    pub started_at: String,
    /// The command line that started it.
    pub command: Vec<String>,
    /// The machine it started on.
    pub machine: Machine,
    /// Which slice of the run matrix this folder holds (none: all of it).
    pub shard: Option<Shard>,
    /// Run ids this folder is meant to hold, in the order they run.
    pub planned: Vec<String>,
    /// The pretrained model the reuse strategies start from.
    pub pretrained: Option<Pretrained>,
}

impl SweepManifest {
    /// What in `self` (a folder's manifest) differs from `other` in a way
    /// that forbids putting their runs together: the suite, the tool, the schema.
    pub fn differences(&self, other: &SweepManifest) -> Vec<String> {
        let mut out = Vec::new();
        if self.suite_sha256 != other.suite_sha256 {
            out.push(format!(
                "the suite differs (suite.toml SHA-256 {} vs {})",
                short(&self.suite_sha256),
                short(&other.suite_sha256)
            ));
        }
        if self.tool_version != other.tool_version {
            out.push(format!(
                "reuse-bench version {} vs {}",
                self.tool_version, other.tool_version
            ));
        }
        if self.schema_version != other.schema_version {
            out.push(format!(
                "results schema {} vs {}",
                self.schema_version, other.schema_version
            ));
        }
        out
    }

    /// Whether this manifest was written by this build (tool and schema).
    pub fn written_by_this_version(&self) -> bool {
        self.tool_version == crate::TOOL_VERSION && self.schema_version == SCHEMA_VERSION
    }
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// SHA-256 of a suite's TOML text, in full hex.
pub fn suite_sha256(suite_toml: &str) -> String {
    crate::digest::short_hex(32, |h| sha2::Digest::update(h, suite_toml.as_bytes()))
}
