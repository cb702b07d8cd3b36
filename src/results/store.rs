//! The report folder as a store: the one place that prepares it, appends
//! finished runs, saves the suite and reads or writes `results.json`. Every
//! write is atomic or an appended, synced line, so an interrupted sweep keeps
//! everything it measured.

use super::files::{RESULTS_JSON, RUNS_JSONL, SUITE_TOML, SWEEP_JSON};
use super::manifest::SweepManifest;
use super::record::RunRecord;
use crate::{fsio, Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Version of the `results.json` layout; bumped when a field changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// A report folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDir {
    /// The folder.
    pub path: PathBuf,
}

impl ReportDir {
    /// The folder at `path` (nothing is checked or created yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ReportDir { path: path.into() }
    }

    /// The default folder of a new report: `reports/<suite>-<UTC timestamp>`.
    pub fn default_for(suite_name: &str) -> Self {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        ReportDir::new(PathBuf::from("reports").join(format!("{suite_name}-{stamp}")))
    }

    /// A file inside the folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Creates the folder for a new report; refuses one that already holds
    /// anything, so results already written are never overwritten or mixed.
    pub fn prepare(&self) -> Result<()> {
        let dir = &self.path;
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io("reading", dir, e))?;
            if entries.next().is_some() {
                return Err(Error::Results {
                    path: dir.to_path_buf(),
                    message: format!(
                        "folder is not empty; reuse-bench never overwrites results: choose another --out, remove \
                         it, or, if it holds an interrupted sweep, continue it with `reuse-bench run --resume {}`",
                        dir.display()
                    ),
                });
            }
        }
        fsio::create_dir_all(dir)
    }

    /// Saves the suite as run (its TOML text) beside the results.
    pub fn write_suite(&self, suite_toml: &str) -> Result<()> {
        fsio::write_atomic(&self.file(SUITE_TOML), suite_toml.as_bytes())
    }

    /// Appends one finished run to `runs.jsonl`, synced before returning.
    pub fn append_run(&self, run: &RunRecord) -> Result<()> {
        fsio::append_line(
            &self.file(RUNS_JSONL),
            &serde_json::to_string(run).expect("runs serialise"),
        )
    }

    /// Reads the suite as run, as text.
    pub fn read_suite(&self) -> Result<String> {
        let path = self.file(SUITE_TOML);
        if !path.is_file() {
            return Err(Error::Results {
                path,
                message: "not found: this is not a report folder written by `reuse-bench run`".into(),
            });
        }
        fsio::read_to_string(&path)
    }

    /// Writes the sweep's manifest, atomically.
    pub fn write_manifest(&self, manifest: &SweepManifest) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(manifest).expect("manifests serialise");
        bytes.push(b'\n');
        fsio::write_atomic(&self.file(SWEEP_JSON), &bytes)
    }

    /// Reads the sweep's manifest, naming the file and the fix on failure.
    pub fn read_manifest(&self) -> Result<SweepManifest> {
        let path = self.file(SWEEP_JSON);
        if !path.is_file() {
            return Err(Error::Results {
                path,
                message: "not found: the folder was not started by this version of `reuse-bench run` (or is not \
                          a report folder); start a new sweep with another --out"
                    .into(),
            });
        }
        serde_json::from_str(&fsio::read_to_string(&path)?).map_err(|e| Error::Results {
            path,
            message: format!("is not a sweep manifest this version reads ({e}); start a new sweep with another --out"),
        })
    }

    /// The runs in `runs.jsonl`, the last record of each run id winning (a
    /// retried run appends a new record). A last line cut short by a crash is
    /// left out and counted in the second value; any other bad line is an error.
    pub fn read_runs(&self) -> Result<(Vec<RunRecord>, usize)> {
        let path = self.file(RUNS_JSONL);
        if !path.exists() {
            return Ok((Vec::new(), 0));
        }
        let text = fsio::read_to_string(&path)?;
        let complete = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        let mut runs: Vec<RunRecord> = Vec::new();
        let mut torn = 0;
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record: RunRecord = match serde_json::from_str(line) {
                Ok(r) => r,
                Err(_) if i + 1 == lines.len() && !complete => {
                    torn += 1;
                    continue;
                }
                Err(e) => {
                    return Err(Error::Results {
                        path,
                        message: format!("line {}: not a run record ({e}); the file is damaged", i + 1),
                    })
                }
            };
            match runs.iter_mut().find(|r| r.run_id == record.run_id) {
                Some(old) => *old = record,
                None => runs.push(record),
            }
        }
        Ok((runs, torn))
    }

    /// Cuts a last line left incomplete by a crash, so the next append starts a fresh line.
    pub fn repair_runs(&self) -> Result<()> {
        let path = self.file(RUNS_JSONL);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(());
        };
        if text.is_empty() || text.ends_with('\n') {
            return Ok(());
        }
        let keep = text.rfind('\n').map_or(0, |i| i + 1);
        fsio::write_atomic(&path, &text.as_bytes()[..keep])
    }

    /// Writes `results` as `results.json` (pretty, newline-terminated), atomically.
    pub fn write_results(&self, results: &impl Serialize) -> Result<PathBuf> {
        let path = self.file(RESULTS_JSON);
        fsio::write_atomic(&path, &results_json_bytes(results))?;
        Ok(path)
    }

    /// Reads `results.json`, checking its schema version first, and naming the
    /// file and the fix on failure.
    pub fn read_results<T: DeserializeOwned>(&self) -> Result<T> {
        let path = self.file(RESULTS_JSON);
        if !path.is_file() {
            return Err(Error::Results {
                path,
                message: "not found; pass a report folder written by `reuse-bench run`".into(),
            });
        }
        let text = fsio::read_to_string(&path)?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Results {
            path: path.clone(),
            message: format!("is not valid JSON ({e}); the file is damaged"),
        })?;
        let found = value.get("schema_version").and_then(|v| v.as_u64());
        if found != Some(SCHEMA_VERSION as u64) {
            return Err(Error::Results {
                path,
                message: format!(
                    "has schema version {found:?}, this reuse-bench reads version {SCHEMA_VERSION}; use the version \
                     that wrote it"
                ),
            });
        }
        serde_json::from_value(value).map_err(|e| Error::Results {
            path,
            message: format!("does not match the results format ({e})"),
        })
    }
}

/// The bytes of `results.json`: pretty JSON and a final newline.
pub fn results_json_bytes(results: &impl Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(results).expect("results serialise");
    bytes.push(b'\n');
    bytes
}

impl AsRef<Path> for ReportDir {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_refuses_existing_results() {
        let dir = tempfile::tempdir().unwrap();
        let out = ReportDir::new(dir.path().join("r"));
        out.prepare().unwrap();
        out.prepare().unwrap(); // empty: fine
        std::fs::write(out.file(RESULTS_JSON), "{}").unwrap();
        let err = out.prepare().unwrap_err().to_string();
        assert!(err.contains("never overwrites"), "{err}");
        assert_eq!(std::fs::read_to_string(out.file(RESULTS_JSON)).unwrap(), "{}");
    }

    #[test]
    fn runs_read_back_last_record_wins_and_a_torn_line_is_dropped() {
        use crate::train::{RunSpec, Strategy};
        let dir = tempfile::tempdir().unwrap();
        let out = ReportDir::new(dir.path());
        let record = |seed: u64, status: crate::results::RunStatus| {
            let spec = RunSpec {
                strategy: Strategy::Scratch,
                budget_per_class: 5,
                seed,
            };
            RunRecord {
                run_id: spec.run_id(),
                strategy: spec.strategy,
                budget_per_class: 5,
                seed,
                status,
                message: None,
                process_wall_s: 1.0,
                metrics: None,
                timeline: vec![],
            }
        };
        use crate::results::RunStatus::{Completed, Failed};
        out.append_run(&record(0, Failed)).unwrap();
        out.append_run(&record(1, Completed)).unwrap();
        out.append_run(&record(0, Completed)).unwrap();
        let mut text = std::fs::read_to_string(out.file(RUNS_JSONL)).unwrap();
        text.push_str("{\"run_id\": \"scra"); // a crash mid-append
        std::fs::write(out.file(RUNS_JSONL), &text).unwrap();
        let (runs, torn) = out.read_runs().unwrap();
        assert_eq!(torn, 1);
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[0].seed, runs[0].status), (0, Completed));
        out.repair_runs().unwrap();
        out.append_run(&record(2, Completed)).unwrap();
        let (runs, torn) = out.read_runs().unwrap();
        assert_eq!((runs.len(), torn), (3, 0));
        // A damaged line in the middle is an error naming the file and line.
        std::fs::write(out.file(RUNS_JSONL), "nonsense\n{}\n").unwrap();
        let err = out.read_runs().unwrap_err().to_string();
        assert!(err.contains(RUNS_JSONL) && err.contains("line 1"), "{err}");
    }

    #[test]
    fn results_round_trip_and_wrong_schema_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let out = ReportDir::new(dir.path());
        let doc = serde_json::json!({"schema_version": SCHEMA_VERSION, "x": 1.5});
        out.write_results(&doc).unwrap();
        let back: serde_json::Value = out.read_results().unwrap();
        assert_eq!(back, doc);
        out.write_results(&serde_json::json!({"schema_version": 99})).unwrap();
        let err = out.read_results::<serde_json::Value>().unwrap_err().to_string();
        assert!(
            err.contains("schema version Some(99)") && err.contains(RESULTS_JSON),
            "{err}"
        );
    }
}
