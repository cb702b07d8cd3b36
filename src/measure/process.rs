//! CPU time and peak memory of the current process, from the OS.

use serde::{Deserialize, Serialize};

/// What the OS says this process has used so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessUsage {
    /// CPU seconds in user mode, all threads.
    pub cpu_user_s: f64,
    /// CPU seconds in the kernel on this process's behalf.
    pub cpu_system_s: f64,
    /// Peak resident set size: Linux's `VmHWM` (the high-water mark of this
    /// process's own address space, which starts afresh at exec); elsewhere
    /// `getrusage`'s `ru_maxrss`.
    pub peak_rss_bytes: u64,
}

impl ProcessUsage {
    /// User plus system CPU seconds.
    pub fn cpu_s(&self) -> f64 {
        self.cpu_user_s + self.cpu_system_s
    }
}

/// Reads this process's CPU time and peak RSS.
///
/// `wait4`'s rusage, read by a parent, is not used for memory: on Linux a
/// child started by `vfork`/`posix_spawn` can inherit the parent's high-water
/// mark at exec, so a large parent would inflate every worker's figure.
pub fn usage() -> ProcessUsage {
    // SAFETY: getrusage writes into the zeroed struct we own and reads nothing else.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
    // ru_maxrss is KiB on Linux and bytes on macOS.
    let maxrss = if cfg!(target_os = "macos") {
        ru.ru_maxrss as u64
    } else {
        ru.ru_maxrss as u64 * 1024
    };
    ProcessUsage {
        cpu_user_s: secs(ru.ru_utime),
        cpu_system_s: secs(ru.ru_stime),
        peak_rss_bytes: vm_hwm_bytes().unwrap_or(maxrss),
    }
}

/// `VmHWM` from `/proc/self/status`, where there is one.
fn vm_hwm_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_kib_field(&status, "VmHWM:")
}

/// The value of a `Name:   123 kB` line, in bytes.
fn parse_kib_field(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_status() {
        let text = "Name:\tx\nVmPeak:\t  200 kB\nVmHWM:\t    1234 kB\nVmRSS:\t 99 kB\n";
        assert_eq!(parse_kib_field(text, "VmHWM:"), Some(1234 * 1024));
        assert_eq!(parse_kib_field(text, "Nope:"), None);
    }

    #[test]
    fn peak_rss_grows_with_touched_memory() {
        let before = usage().peak_rss_bytes;
        let block = vec![1u8; 64 << 20];
        let after = usage().peak_rss_bytes;
        assert!(block.iter().step_by(4096).all(|&b| b == 1));
        // A high-water mark: it never falls, and it now holds at least the touched block. (Other
        // tests in this process may have raised it earlier, so it need not rise by the block.)
        assert!(after >= before && after >= 64 << 20, "before {before} after {after}");
        let busy: u64 = (0..20_000_000u64).fold(0, |a, b| a.wrapping_add(b * b));
        assert!(busy > 0 && usage().cpu_s() > 0.0);
    }
}
