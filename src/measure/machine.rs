//! A description of the machine, saved beside every result so that figures
//! from different machines are never compared unknowingly.

use serde::{Deserialize, Serialize};
use sysinfo::System;

/// The machine a result or checkpoint was measured on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU brand string, e.g. "AMD EPYC 7B13".
    pub cpu_model: String,
    /// Logical CPUs the OS reports.
    pub logical_cores: usize,
    /// Physical cores, where the OS tells.
    pub physical_cores: Option<usize>,
    /// Threads candle's CPU kernels use.
    pub compute_threads: usize,
    /// Total memory.
    pub memory_bytes: u64,
    /// OS name and version, e.g. "Debian GNU/Linux 12".
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// CPU architecture, e.g. "x86_64".
    pub arch: String,
    /// The compute device runs used ("cpu", "cuda:0").
    pub device: String,
    /// Worker processes run side by side (`run --jobs`), each pinned to its own cores.
    #[serde(default = "one")]
    pub parallel_jobs: usize,
    /// The vector kernels candle's own matrix products ran with ("avx512", "avx2-fma",
    /// "baseline"): the MLP and CNN layers and every classifier head. Their rounding differs,
    /// so accuracies match bit for bit only between machines that ran the same kernels. (The
    /// fused operations' products, `model::ops::matmul`, round the same on AVX2 and AVX-512.)
    /// Empty in results written before it was recorded.
    #[serde(default)]
    pub matmul_kernels: String,
}

/// The kernels gemm picks on this CPU in this build (the `avx512` feature allows AVX-512).
fn matmul_kernels() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        if cfg!(feature = "avx512") && std::is_x86_feature_detected!("avx512f") {
            return "avx512".into();
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return "avx2-fma".into();
        }
    }
    "baseline".into()
}

fn one() -> usize {
    1
}

impl Machine {
    /// Reads the current machine; `device` names the compute device in use.
    pub fn current(device: &str) -> Self {
        let mut sys = System::new();
        sys.refresh_cpu_all();
        sys.refresh_memory();
        Machine {
            cpu_model: sys
                .cpus()
                .first()
                .map(|c| c.brand().trim().to_string())
                .unwrap_or_default(),
            logical_cores: sys.cpus().len(),
            physical_cores: System::physical_core_count(),
            compute_threads: candle_core::utils::get_num_threads(),
            memory_bytes: sys.total_memory(),
            os: System::long_os_version().unwrap_or_else(|| std::env::consts::OS.to_string()),
            kernel: System::kernel_version().unwrap_or_default(),
            arch: std::env::consts::ARCH.to_string(),
            device: device.to_string(),
            parallel_jobs: 1,
            matmul_kernels: matmul_kernels(),
        }
    }

    /// One line for reports, e.g. "AMD EPYC 7B13, 2 logical cores, 23.5 GiB,
    /// Debian 12, device cpu, 1 worker at a time with 1 thread".
    pub fn describe(&self) -> String {
        format!(
            "{}, {} logical cores, {:.1} GiB, {}, device {}{}, {} worker{} at a time with {} thread{}",
            if self.cpu_model.is_empty() {
                "unknown CPU"
            } else {
                &self.cpu_model
            },
            self.logical_cores,
            self.memory_bytes as f64 / (1u64 << 30) as f64,
            self.os,
            self.device,
            if self.matmul_kernels.is_empty() {
                String::new()
            } else {
                format!(" ({} matrix kernels)", self.matmul_kernels)
            },
            self.parallel_jobs,
            if self.parallel_jobs == 1 { "" } else { "s" },
            self.compute_threads,
            if self.compute_threads == 1 { "" } else { "s" },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine() {
        let m = Machine::current("cpu");
        assert!(m.logical_cores >= 1 && m.memory_bytes > 0 && m.compute_threads >= 1);
        assert!(m.describe().contains("cpu"));
    }
}
