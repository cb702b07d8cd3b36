//! Running the pending cells of the matrix: one worker at a time, or `--jobs
//! N` side by side, each pinned to its own cores, each run stored as soon as
//! it finishes (in the order they finish; the results put them in matrix order).

use super::interrupt::Interrupt;
use super::SweepOptions;
use crate::results::{Pretrained, RunRecord, RunStatus};
use crate::runner::{allowed_cpus, Job, JobOutput};
use crate::train::matrix::expected_cost;
use crate::train::RunSpec;
use crate::{Error, Result};
use indicatif::ProgressBar;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

/// What every run of a sweep shares.
pub(super) struct Shared<'a> {
    pub opts: &'a SweepOptions,
    pub pretrained: Option<&'a Pretrained>,
    pub task_data: &'a Path,
    pub interrupt: &'a Interrupt,
    pub bar: &'a ProgressBar,
}

/// Workers that fit side by side, each on its own cores: the CPUs this
/// process may use divided by the threads each worker uses (a suite without
/// `train.threads` uses every core, so one worker). What `run --jobs auto`
/// (the default) takes. Measured on the default suite, 1-thread workers on a
/// 2-core VM: two side by side take 0.7% more run time in all than one at a
/// time (median run 2% slower), and the sweep takes half the wall time.
pub fn auto_jobs(threads_per_worker: Option<usize>) -> usize {
    let cpus = allowed_cpus().len();
    threads_per_worker.map_or(1, |t| (cpus / t.max(1)).max(1))
}

/// The CPUs of each job slot: none (no pinning) for one job; else disjoint
/// sets of `train.threads` (or an even share) of the CPUs this process may use.
pub(super) fn slots(opts: &SweepOptions) -> Result<Vec<Option<Vec<usize>>>> {
    if opts.jobs <= 1 {
        return Ok(vec![None]);
    }
    let cpus = allowed_cpus();
    let per_job = opts.suite.train.threads.unwrap_or((cpus.len() / opts.jobs).max(1));
    if opts.jobs * per_job > cpus.len() {
        return Err(Error::setting(
            format!("--jobs {}", opts.jobs),
            format!(
                "{} jobs x {per_job} thread(s) need {} CPUs, but this process may use {}; lower --jobs or \
                 train.threads, so no two workers share a core",
                opts.jobs,
                opts.jobs * per_job,
                cpus.len()
            ),
        ));
    }
    Ok((0..opts.jobs)
        .map(|j| Some(cpus[j * per_job..(j + 1) * per_job].to_vec()))
        .collect())
}

/// Runs `pending` on the job slots; returns the records of the runs that
/// finished (a run stopped by an interruption is not one).
pub(super) fn run_pending(shared: &Shared, pending: Vec<RunSpec>) -> Result<Vec<RunRecord>> {
    let slots = slots(shared.opts)?;
    let mut pending = pending;
    if slots.len() > 1 {
        longest_first(&mut pending);
    }
    let queue = Mutex::new(VecDeque::from(pending));
    let abort = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Result<Option<RunRecord>>>();
    let mut done = Vec::new();
    let mut failure = None;
    std::thread::scope(|scope| {
        for cpus in &slots {
            let (tx, queue, abort) = (tx.clone(), &queue, &abort);
            scope.spawn(move || {
                let stop = || shared.interrupt.requested() || abort.load(Ordering::SeqCst);
                while !stop() {
                    let Some(spec) = queue.lock().expect("queue lock").pop_front() else {
                        break;
                    };
                    shared.bar.set_message(spec.run_id());
                    if tx.send(run_one(shared, spec, cpus.as_deref(), &stop)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for outcome in rx {
            match outcome.and_then(|r| store(shared, r)) {
                Ok(Some(record)) => done.push(record),
                Ok(None) => {}
                Err(e) => {
                    abort.store(true, Ordering::SeqCst);
                    failure.get_or_insert(e);
                }
            }
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

/// Orders runs by expected cost, largest first (ties keep their order): with
/// several jobs, the long runs start at once and the short ones fill in at the
/// end, so the jobs finish together (measured on the sentiment suite, where a
/// fine-tuning run at 128 labels costs 200 times a baseline run).
fn longest_first(runs: &mut [RunSpec]) {
    runs.sort_by(|a, b| expected_cost(b).total_cmp(&expected_cost(a)));
}

/// Appends a finished run to `runs.jsonl` and says so when it did not complete.
fn store(shared: &Shared, record: Option<RunRecord>) -> Result<Option<RunRecord>> {
    let Some(record) = record else {
        return Ok(None);
    };
    if record.status != RunStatus::Completed {
        shared.bar.suspend(|| {
            eprintln!(
                "{}: {}: {}",
                record.run_id,
                record.status,
                record.message.as_deref().unwrap_or("")
            )
        });
    }
    shared.opts.out.append_run(&record)?;
    shared.bar.inc(1);
    Ok(Some(record))
}

/// One cell of the matrix in its own worker process. A worker that fails
/// gives a failed record, not an error: the sweep goes on. A worker stopped
/// by an interruption gives nothing.
fn run_one(
    shared: &Shared,
    spec: RunSpec,
    cpus: Option<&[usize]>,
    stop: &dyn Fn() -> bool,
) -> Result<Option<RunRecord>> {
    let opts = shared.opts;
    let job = Job::Run {
        suite: opts.suite.clone(),
        spec,
        checkpoint: shared
            .pretrained
            .filter(|_| spec.strategy.uses_pretrained())
            .map(Pretrained::weights),
        cache_dir: Some(opts.cache_root.clone()),
        task_data: Some(shared.task_data.to_path_buf()),
        device: opts.device.clone(),
    };
    let result = opts.worker.execute_on(&job, cpus, stop)?;
    if result.stopped || stop() {
        return Ok(None);
    }
    let (status, message, metrics) = match result.output {
        Ok(JobOutput::Run {
            status,
            message,
            metrics,
        }) => (status, message, Some(*metrics)),
        Ok(other) => (RunStatus::Failed, Some(format!("worker answered {other:?}")), None),
        Err(message) => (RunStatus::Failed, Some(message), None),
    };
    Ok(Some(RunRecord {
        run_id: spec.run_id(),
        strategy: spec.strategy,
        budget_per_class: spec.budget_per_class,
        seed: spec.seed,
        status,
        message,
        process_wall_s: result.process_wall_s,
        metrics,
        timeline: result.timeline,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Strategy;

    #[test]
    fn auto_jobs_fill_the_cores_at_the_suites_threads() {
        let cpus = allowed_cpus().len();
        assert_eq!(auto_jobs(None), 1, "a suite on every core runs one worker");
        assert_eq!(auto_jobs(Some(1)), cpus);
        assert_eq!(auto_jobs(Some(cpus + 1)), 1);
    }

    #[test]
    fn side_by_side_jobs_start_with_the_longest_runs() {
        let run = |strategy, budget_per_class, seed| RunSpec {
            strategy,
            budget_per_class,
            seed,
        };
        let mut runs = vec![
            run(Strategy::Scratch, 8, 0),
            run(Strategy::Probe, 128, 0),
            run(Strategy::Finetune, 128, 0),
            run(Strategy::Scratch, 128, 1),
            run(Strategy::Finetune, 32, 0),
        ];
        longest_first(&mut runs);
        let ids: Vec<String> = runs.iter().map(RunSpec::run_id).collect();
        assert_eq!(
            ids,
            [
                "finetune-b128-s0",
                "scratch-b128-s1",
                // A probe trains only a head: below a full run of a quarter of its labels.
                "finetune-b32-s0",
                "probe-b128-s0",
                "scratch-b8-s0"
            ]
        );
    }
}
