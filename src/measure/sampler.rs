//! A timeline of a worker's memory and CPU use, sampled from the parent.

use serde::{Deserialize, Serialize};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// One reading of a process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResourceSample {
    /// Seconds since the process was started.
    pub elapsed_s: f64,
    /// Resident set size.
    pub rss_bytes: u64,
    /// CPU use since the previous sample, percent of one core (200 = two cores busy).
    pub cpu_percent: f32,
}

/// Samples a process every `interval` on a background thread until stopped.
pub struct Sampler {
    stop: Sender<()>,
    handle: JoinHandle<Vec<ResourceSample>>,
}

impl Sampler {
    /// Starts sampling process `pid`, started at `started`.
    pub fn start(pid: u32, started: Instant, interval: Duration) -> Self {
        let (stop, rx) = mpsc::channel();
        let handle = std::thread::spawn(move || {
            let pid = Pid::from_u32(pid);
            let mut sys = System::new();
            let what = ProcessRefreshKind::nothing().with_memory().with_cpu();
            let mut samples = Vec::new();
            loop {
                sys.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, what);
                match sys.process(pid) {
                    Some(p) => samples.push(ResourceSample {
                        elapsed_s: started.elapsed().as_secs_f64(),
                        rss_bytes: p.memory(),
                        cpu_percent: p.cpu_usage(),
                    }),
                    None => break,
                }
                match rx.recv_timeout(interval) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
            samples
        });
        Sampler { stop, handle }
    }

    /// Stops sampling and returns the timeline.
    pub fn finish(self) -> Vec<ResourceSample> {
        let _ = self.stop.send(());
        self.handle.join().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_this_process() {
        let s = Sampler::start(std::process::id(), Instant::now(), Duration::from_millis(10));
        std::thread::sleep(Duration::from_millis(60));
        let samples = s.finish();
        assert!(samples.len() >= 2, "{samples:?}");
        assert!(samples.iter().all(|s| s.rss_bytes > 1 << 20));
        assert!(samples.windows(2).all(|w| w[0].elapsed_s <= w[1].elapsed_s));
    }
}
