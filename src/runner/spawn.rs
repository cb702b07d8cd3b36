//! The parent side: start a worker process for one job, sample it, collect its answer.

use super::job::{Job, JobOutput};
use crate::measure::sampler::{ResourceSample, Sampler};
use crate::{Error, Result};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How often the parent samples a worker's RSS and CPU.
const SAMPLE_INTERVAL: Duration = Duration::from_millis(100);
/// Lines of a failed worker's stderr kept in its record.
const STDERR_TAIL_LINES: usize = 12;
/// How often the parent checks whether its worker ended or the sweep was stopped.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

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
    /// Whether the parent stopped the worker (an interrupted sweep) before it answered.
    pub stopped: bool,
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

    /// Runs `job` in a new worker process and waits for it, polling `stop`:
    /// when it turns true the worker is killed and the result says so. A
    /// worker that fails is reported in the result, not as an error: the
    /// sweep goes on.
    pub fn execute(&self, job: &Job, stop: &dyn Fn() -> bool) -> Result<WorkerResult> {
        self.execute_on(job, None, stop)
    }

    /// [`Self::execute`], the worker pinned to `cpus` (with as many threads,
    /// unless the suite sets `train.threads`) when given.
    pub fn execute_on(&self, job: &Job, cpus: Option<&[usize]>, stop: &dyn Fn() -> bool) -> Result<WorkerResult> {
        let started = Instant::now();
        let mut command = self.command(job);
        if let Some(cpus) = cpus {
            pin(&mut command, cpus, job.suite().train.threads.unwrap_or(cpus.len()));
        }
        let mut child = command
            .spawn()
            .map_err(|e| Error::Worker(format!("cannot start {}: {e}", self.exe.display())))?;
        let sampler = Sampler::start(child.id(), started, SAMPLE_INTERVAL);
        let input = serde_json::to_vec(job).expect("jobs serialise");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let stdout = read_all(child.stdout.take().expect("stdout is piped"));
        let stderr = read_all(child.stderr.take().expect("stderr is piped"));
        let (status, stopped) = wait_or_stop(&mut child, stop)?;
        let process_wall_s = started.elapsed().as_secs_f64();
        let timeline = sampler.finish();
        let _ = writer.join();
        let (stdout, stderr) = (stdout.join().unwrap_or_default(), stderr.join().unwrap_or_default());
        let output = if status.success() {
            let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            serde_json::from_str(last).map_err(|e| format!("worker answered with unreadable output ({e}): {last:.200}"))
        } else {
            Err(format!("worker exited with {status}: {}", failure_cause(&stderr)))
        };
        Ok(WorkerResult {
            stopped,
            output,
            process_wall_s,
            timeline,
        })
    }
}

impl WorkerCommand {
    /// The worker's command: the hidden `worker` subcommand with piped
    /// streams, its thread count, no backtraces (a failed run's record keeps
    /// the error, not stack frames), its own process group (a Ctrl-C at the
    /// terminal reaches the parent, which stops the worker and writes what
    /// finished), and death with its parent whatever kills the parent.
    fn command(&self, job: &Job) -> Command {
        let mut command = Command::new(&self.exe);
        if let Some(threads) = job.suite().train.threads {
            // Read by rayon and by candle's kernels when the worker starts.
            command
                .env("RAYON_NUM_THREADS", threads.to_string())
                .env("CANDLE_NUM_THREADS", threads.to_string());
        }
        command
            .env("RUST_BACKTRACE", "0")
            .env("RUST_LIB_BACKTRACE", "0")
            .arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            let parent = std::process::id() as libc::pid_t;
            command.process_group(0);
            // SAFETY: between fork and exec only async-signal-safe calls (prctl, getppid, _exit).
            unsafe {
                command.pre_exec(move || {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    if libc::getppid() != parent {
                        libc::_exit(1); // the parent died before prctl took effect
                    }
                    Ok(())
                });
            }
        }
        command
    }
}

/// Pins the worker to `cpus` (`sched_setaffinity` before exec) and sets its thread count.
fn pin(command: &mut Command, cpus: &[usize], threads: usize) {
    command
        .env("RAYON_NUM_THREADS", threads.to_string())
        .env("CANDLE_NUM_THREADS", threads.to_string());
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let cpus = cpus.to_vec();
        // SAFETY: between fork and exec only async-signal-safe calls (CPU_SET on a local, sched_setaffinity).
        unsafe {
            command.pre_exec(move || {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                for &cpu in &cpus {
                    libc::CPU_SET(cpu, &mut set);
                }
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

/// The CPUs this process may run on, in order.
pub fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: a zeroed cpu_set_t is valid; sched_getaffinity fills it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
                return (0..libc::CPU_SETSIZE as usize)
                    .filter(|&c| libc::CPU_ISSET(c, &set))
                    .collect();
            }
        }
    }
    (0..std::thread::available_parallelism().map_or(1, |n| n.get())).collect()
}

/// Waits for the child, polling `stop`; kills it when `stop` turns true.
fn wait_or_stop(child: &mut Child, stop: &dyn Fn() -> bool) -> Result<(ExitStatus, bool)> {
    let failed = |e: std::io::Error| Error::Worker(format!("waiting for worker: {e}"));
    loop {
        if let Some(status) = child.try_wait().map_err(failed)? {
            return Ok((status, false));
        }
        if stop() {
            let _ = child.kill();
            return Ok((child.wait().map_err(failed)?, true));
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Why a worker failed, from its stderr: its `error:` lines (the cause, with
/// the context the library added), else the last lines it wrote.
fn failure_cause(stderr: &str) -> String {
    // The error and its context run to the first blank line; a backtrace (if
    // the environment forced one) comes after it and is left out.
    let errors: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("error:"))
        .take_while(|l| !l.trim().is_empty() && !l.to_ascii_lowercase().starts_with("stack backtrace"))
        .take(STDERR_TAIL_LINES)
        .collect();
    let lines: Vec<&str> = if errors.is_empty() {
        let tail: Vec<&str> = stderr.lines().rev().take(STDERR_TAIL_LINES).collect();
        tail.into_iter().rev().collect()
    } else {
        errors
    };
    lines.join("\n").trim().to_string()
}

/// Reads a pipe to the end on its own thread, so neither pipe can fill up and block the worker.
fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_workers_cause_is_its_error_not_backtrace_frames() {
        let stderr =
            "error: data/r.csv: line 3: expected 2 fields like the header, found 1\n\nStack backtrace:\n   0: \
                      anyhow::error::<impl anyhow::Error>::msg\n   1: reuse_bench::main\n";
        let cause = failure_cause(stderr);
        assert!(cause.starts_with("error: data/r.csv: line 3"), "{cause}");
        assert!(!cause.contains("backtrace") && !cause.contains("anyhow"), "{cause}");
        // Without an error line, the last lines are kept.
        assert_eq!(failure_cause("a\nb\n"), "a\nb");
    }

    #[test]
    fn workers_run_without_backtraces_in_their_own_group() {
        let suite = crate::suite::Suite::resolve("mnist1d").unwrap();
        let job = Job::Pretrain {
            suite,
            out_dir: "x".into(),
            device: "cpu".into(),
        };
        let command = WorkerCommand {
            exe: "reuse-bench".into(),
        }
        .command(&job);
        let envs: Vec<(String, String)> = command
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v?.to_str()?.to_string())))
            .collect();
        assert!(envs.contains(&("RUST_BACKTRACE".into(), "0".into())), "{envs:?}");
        assert!(envs.contains(&("RAYON_NUM_THREADS".into(), "1".into())), "{envs:?}");
    }
}
