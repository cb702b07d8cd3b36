//! Drives the real reuse-bench binary in a fresh folder per test.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh working folder with its own checkpoint cache.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn cache(&self) -> PathBuf {
        self.path("cache")
    }

    /// Runs `reuse-bench ARGS` with this fixture's cache, in its folder.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_reuse-bench"))
            .args(args)
            .current_dir(self.dir.path())
            .env("REUSE_BENCH_CACHE", self.cache())
            .output()
            .expect("binary runs")
    }
}

/// Panics with both streams when the command did not exit with `code`.
pub fn expect_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Each run's test accuracy by run id (None where the run has none), from a `results.json`.
pub fn test_accuracies(results: &serde_json::Value) -> std::collections::BTreeMap<String, Option<f64>> {
    results["runs"]
        .as_array()
        .expect("results.json lists its runs")
        .iter()
        .map(|r| {
            (
                r["run_id"].as_str().unwrap().to_string(),
                r["metrics"]["test_accuracy"].as_f64(),
            )
        })
        .collect()
}
