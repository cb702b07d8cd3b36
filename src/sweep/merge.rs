//! `merge`: shards of one sweep (or any folders of the same suite, tool and
//! schema) put together into one result set and report, refusing folders
//! that do not belong together and runs that appear twice.

use super::assemble::{assemble, Stored};
use crate::analysis::Results;
use crate::report::{self, Files};
use crate::results::{ReportDir, RunRecord, SweepManifest};
use crate::suite::Suite;
use crate::train::run_matrix;
use crate::{Error, Result};

/// The merged results, and notes for the user (e.g. shards measured on different machines).
pub struct Merged {
    /// The merged result set, as written to the output folder.
    pub results: Results,
    /// Things the user should know about the merge.
    pub notes: Vec<String>,
}

/// The folders' runs, checked to belong together, with what they planned.
struct Gathered<'a> {
    reference: SweepManifest,
    suite_toml: String,
    suite: Suite,
    runs: Vec<(RunRecord, &'a ReportDir)>,
    planned: Vec<String>,
    notes: Vec<String>,
}

/// Merges the folders `dirs` into the new folder `out`, with the command line `command` recorded.
pub fn merge(dirs: &[ReportDir], out: &ReportDir, command: Vec<String>) -> Result<Merged> {
    let g = gather(dirs)?;
    let order: Vec<String> = run_matrix(&g.suite.train).iter().map(|r| r.run_id()).collect();
    let mut planned = g.planned;
    planned.sort_by_key(|id| order.iter().position(|o| o == id));
    planned.dedup();
    let manifest = SweepManifest {
        shard: None,
        planned,
        command,
        ..g.reference
    };
    out.prepare()?;
    out.write_suite(&g.suite_toml)?;
    out.write_manifest(&manifest)?;
    let mut runs: Vec<RunRecord> = g.runs.into_iter().map(|(r, _)| r).collect();
    runs.sort_by_key(|r| order.iter().position(|o| *o == r.run_id));
    for run in &runs {
        out.append_run(run)?;
    }
    let sweep_wall_s = runs.iter().map(|r| r.process_wall_s).sum();
    let catalog = g.suite.cost.load_catalog()?;
    let results = assemble(Stored {
        suite: &g.suite,
        manifest: &manifest,
        runs,
        catalog: &catalog,
        sweep_wall_s,
    })?;
    report::write_reports(out, &results, Files::All)?;
    Ok(Merged {
        results,
        notes: g.notes,
    })
}

/// Reads every folder, refusing one of another suite, tool or schema, and a run that appears twice.
fn gather(dirs: &[ReportDir]) -> Result<Gathered<'_>> {
    let first = dirs.first().ok_or_else(|| {
        Error::setting(
            "merge",
            "name at least one folder to merge, e.g. `reuse-bench merge shard-*/ --out all`",
        )
    })?;
    let reference = first.read_manifest()?;
    let suite_toml = first.read_suite()?;
    let origin = first.file(crate::results::files::SUITE_TOML).display().to_string();
    let suite = Suite::parse(&suite_toml, &origin)?;
    let mut g = Gathered {
        reference,
        suite_toml,
        suite,
        runs: Vec::new(),
        planned: Vec::new(),
        notes: Vec::new(),
    };
    for dir in dirs {
        let manifest = dir.read_manifest()?;
        let differences = manifest.differences(&g.reference);
        if !differences.is_empty() {
            return Err(Error::Results {
                path: dir.path.clone(),
                message: format!(
                    "does not belong with {}: {}; merge only shards of one sweep",
                    first.path.display(),
                    differences.join("; ")
                ),
            });
        }
        if manifest.machine != g.reference.machine {
            g.notes.push(format!(
                "{} was measured on another machine ({}) than {} ({}); times and costs mix both",
                dir.path.display(),
                manifest.machine.describe(),
                first.path.display(),
                g.reference.machine.describe()
            ));
        }
        g.planned.extend(manifest.planned.iter().cloned());
        let (found, torn) = dir.read_runs()?;
        if torn > 0 {
            g.notes.push(format!(
                "{}: a last line cut short by a crash was left out",
                dir.path.display()
            ));
        }
        for run in found {
            if let Some((_, other)) = g.runs.iter().find(|(r, _)| r.run_id == run.run_id) {
                return Err(Error::Results {
                    path: dir.path.clone(),
                    message: format!(
                        "run '{}' is also in {}: shards must not overlap; merge each shard once",
                        run.run_id,
                        other.path.display()
                    ),
                });
            }
            g.runs.push((run, dir));
        }
    }
    Ok(g)
}
