//! The parent side: start a worker process for one job, sample it, collect its answer.

use super::job::{Job, JobOutput};
use crate::measure::sampler::{ResourceSample, Sampler};
use crate::{Error, Result};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often the parent samples a worker's RSS and CPU.
const SAMPLE_INTERVAL: Duration = Duration::from_millis(100);
/// Lines of a failed worker's stderr kept in its record.
const STDERR_TAIL_LINES: usize = 12;

/// How to start a worker: the reuse-bench binary, re-invoked with the hidden
/// `worker` subcommand.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    /// Path of the reuse-bench executable.
    pub exe: PathBuf,
}

/// What came back from one worker process.
#[derive(Debug)]
pub struct WorkerResult {
    /// The worker's answer, or why there is none (crash, error, bad output).
    pub output: std::result::Result<JobOutput, String>,
    /// Seconds from spawn to exit, measured here.
    pub process_wall_s: f64,
    /// RSS and CPU samples of the worker.
    pub timeline: Vec<ResourceSample>,
}

impl WorkerCommand {
    /// Workers run the binary that is running now.
    pub fn current() -> Result<Self> {
        let exe = std::env::current_exe().map_err(|e| Error::Worker(format!("cannot locate own executable: {e}")))?;
        Ok(WorkerCommand { exe })
    }

    /// Runs `job` in a new worker process and waits for it. A worker that
    /// fails is reported in the result, not as an error: the sweep goes on.
    pub fn execute(&self, job: &Job) -> Result<WorkerResult> {
        let started = Instant::now();
        let mut command = Command::new(&self.exe);
        if let Some(threads) = job.suite().train.threads {
            // Read by rayon and by candle's kernels when the worker starts.
            command
                .env("RAYON_NUM_THREADS", threads.to_string())
                .env("CANDLE_NUM_THREADS", threads.to_string());
        }
        let mut child = command
            .arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Worker(format!("cannot start {}: {e}", self.exe.display())))?;
        let sampler = Sampler::start(child.id(), started, SAMPLE_INTERVAL);
        let input = serde_json::to_vec(job).expect("jobs serialise");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let stdout = read_all(child.stdout.take().expect("stdout is piped"));
        let stderr = read_all(child.stderr.take().expect("stderr is piped"));
        let status = child
            .wait()
            .map_err(|e| Error::Worker(format!("waiting for worker: {e}")))?;
        let process_wall_s = started.elapsed().as_secs_f64();
        let timeline = sampler.finish();
        let _ = writer.join();
        let (stdout, stderr) = (stdout.join().unwrap_or_default(), stderr.join().unwrap_or_default());
        let output = if status.success() {
            let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            serde_json::from_str(last).map_err(|e| format!("worker answered with unreadable output ({e}): {last:.200}"))
        } else {
            let tail: Vec<&str> = stderr.lines().rev().take(STDERR_TAIL_LINES).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Err(format!("worker exited with {status}: {}", tail.join("\n").trim()))
        };
        Ok(WorkerResult {
            output,
            process_wall_s,
            timeline,
        })
    }
}

/// Reads a pipe to the end on its own thread, so neither pipe can fill up and block the worker.
fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}
