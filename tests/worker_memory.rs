//! Peak RSS belongs to the worker process alone: a parent holding far more
//! memory than a run needs must not show up in the run's figure.

use reuse_bench::runner::{Job, JobOutput, WorkerCommand};
use reuse_bench::suite::Suite;
use reuse_bench::train::RunSpec;
use reuse_bench::train::Strategy;
use std::path::PathBuf;

#[test]
fn peak_rss_is_the_workers_own() {
    const BALLAST: usize = 768 << 20;
    let ballast = vec![7u8; BALLAST];
    let worker = WorkerCommand {
        exe: PathBuf::from(env!("CARGO_BIN_EXE_reuse-bench")),
    };
    let mut suite = Suite::resolve("mnist1d").unwrap().quick();
    suite.train.max_epochs = 2;
    let job = Job::Run {
        suite,
        spec: RunSpec {
            strategy: Strategy::Scratch,
            budget_per_class: 10,
            seed: 0,
        },
        checkpoint: None,
        cache_dir: None,
        task_data: None,
        device: "cpu".into(),
    };
    let result = worker.execute(&job, &|| false).unwrap();
    let metrics = match result.output.unwrap() {
        JobOutput::Run { metrics, .. } => metrics,
        other => panic!("unexpected answer {other:?}"),
    };
    assert!(ballast.iter().step_by(1 << 12).all(|&b| b == 7));
    let rss = metrics.peak_rss_bytes as usize;
    assert!(rss > 4 << 20, "implausibly small peak RSS {rss}");
    assert!(
        rss < BALLAST / 2,
        "worker peak RSS {rss} includes the parent's {BALLAST} bytes"
    );
    // The parent-side timeline sampled the same process and never saw the ballast either.
    assert!(result.timeline.iter().all(|s| (s.rss_bytes as usize) < BALLAST / 2));
    assert!(result.process_wall_s >= metrics.wall_s);
}
