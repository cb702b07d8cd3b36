//! The report folder of a sweep: started fresh (suite, manifest, then runs
//! appended), or reopened to resume, refusing a folder that belongs to
//! another suite, tool version or schema.

use super::{Resume, SweepOptions};
use crate::measure::machine::Machine;
use crate::results::manifest::suite_sha256;
use crate::results::{Pretrained, RunRecord, RunStatus, SweepManifest, SCHEMA_VERSION};
use crate::train::{run_matrix, RunSpec};
use crate::{Error, Result};

/// A sweep's folder: what it is meant to hold and the runs it already holds.
pub(super) struct Folder {
    /// What the folder is meant to hold.
    pub manifest: SweepManifest,
    /// Runs already done that stay (on a fresh start, none).
    pub kept: Vec<RunRecord>,
    /// Process seconds of the runs done before this invocation.
    pub earlier_wall_s: f64,
}

/// Creates the folder of a new sweep: refuses a non-empty one, writes the
/// suite and the manifest. Called after every check and pretraining, so a
/// failure before the first run leaves no folder behind.
pub(super) fn start(opts: &SweepOptions, pretrained: Option<Pretrained>) -> Result<Folder> {
    let suite_toml = opts.suite.to_toml();
    let matrix = run_matrix(&opts.suite.train);
    let planned = match opts.shard {
        Some(shard) => shard.select(&matrix),
        None => matrix.clone(),
    };
    let manifest = SweepManifest {
        schema_version: SCHEMA_VERSION,
        tool_version: crate::TOOL_VERSION.to_string(),
        suite_sha256: suite_sha256(&suite_toml),
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        command: opts.command.clone(),
        machine: Machine {
            compute_threads: opts.suite.train.threads.unwrap_or(match opts.jobs {
                0 | 1 => candle_core::utils::get_num_threads(),
                jobs => (crate::runner::allowed_cpus().len() / jobs).max(1),
            }),
            parallel_jobs: opts.jobs.max(1),
            ..Machine::current(&opts.device)
        },
        shard: opts.shard,
        planned: planned.iter().map(RunSpec::run_id).collect(),
        pretrained,
    };
    opts.out.prepare()?;
    opts.out.write_suite(&suite_toml)?;
    opts.out.write_manifest(&manifest)?;
    Ok(Folder {
        manifest,
        kept: Vec::new(),
        earlier_wall_s: 0.0,
    })
}

/// Reopens a folder to resume: its manifest must come from this version and
/// its suite must be the one it started with; a line torn by a crash is cut.
pub(super) fn reopen(opts: &SweepOptions, resume: Resume) -> Result<Folder> {
    let dir = &opts.out;
    let refuse = |message: String| Error::Results {
        path: dir.path.clone(),
        message,
    };
    let manifest = dir.read_manifest()?;
    if !manifest.written_by_this_version() {
        return Err(refuse(format!(
            "cannot resume: the sweep was started by reuse-bench {} (results schema {}), this is {} (schema {}); \
             resume with that version, or start a new sweep with another --out",
            manifest.tool_version,
            manifest.schema_version,
            crate::TOOL_VERSION,
            SCHEMA_VERSION
        )));
    }
    let saved = suite_sha256(&dir.read_suite()?);
    if saved != manifest.suite_sha256 || suite_sha256(&opts.suite.to_toml()) != manifest.suite_sha256 {
        return Err(refuse(
            "cannot resume: suite.toml differs from the suite the sweep started with (its SHA-256 no longer \
             matches sweep.json); restore it, or start a new sweep with another --out"
                .into(),
        ));
    }
    dir.repair_runs()?;
    let (runs, _) = dir.read_runs()?;
    if let Some(foreign) = runs.iter().find(|r| !manifest.planned.contains(&r.run_id)) {
        return Err(refuse(format!(
            "cannot resume: runs.jsonl holds run '{}', which this sweep never planned; the folder is damaged",
            foreign.run_id
        )));
    }
    let kept: Vec<RunRecord> = runs
        .into_iter()
        .filter(|r| !(resume.retry_failed && r.status == RunStatus::Failed))
        .collect();
    let earlier_wall_s = kept.iter().map(|r| r.process_wall_s).sum();
    Ok(Folder {
        manifest,
        kept,
        earlier_wall_s,
    })
}

impl Folder {
    /// The planned runs not yet kept, in plan order; says how many are left.
    pub fn pending(&self, opts: &SweepOptions, say: &mut dyn FnMut(&str)) -> Vec<RunSpec> {
        let matrix = run_matrix(&opts.suite.train);
        let pending: Vec<RunSpec> = self
            .manifest
            .planned
            .iter()
            .filter(|id| !self.kept.iter().any(|r| &r.run_id == *id))
            .filter_map(|id| matrix.iter().find(|s| &s.run_id() == id).copied())
            .collect();
        if opts.resume.is_some() {
            let failed = self.kept.iter().filter(|r| r.status == RunStatus::Failed).count();
            say(&format!(
                "resuming {}: {} of {} runs done, {} to run{}",
                opts.out.path.display(),
                self.kept.len(),
                self.manifest.planned.len(),
                pending.len(),
                if failed > 0 {
                    format!(" ({failed} failed runs kept; --retry-failed runs them again)")
                } else {
                    String::new()
                }
            ));
        }
        pending
    }
}
