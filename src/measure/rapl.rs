//! Energy from Intel/AMD RAPL counters (`/sys/class/powercap/intel-rapl:N/energy_uj`),
//! where the kernel exposes them and they are readable.
//!
//! RAPL counts the energy of a whole CPU package (socket), so a reading
//! includes anything else running on the machine; the report says so. The
//! counters wrap at `max_energy_range_uj`, which [`delta_uj`] handles.

use std::path::{Path, PathBuf};

/// Where Linux exposes RAPL domains.
pub const POWERCAP_ROOT: &str = "/sys/class/powercap";

/// One package-level RAPL domain.
#[derive(Debug, Clone, PartialEq)]
struct Domain {
    energy_uj: PathBuf,
    max_range_uj: u64,
}

/// Package energy counters read at the start of a measurement.
#[derive(Debug, Clone)]
pub struct EnergyMeter {
    domains: Vec<Domain>,
    start_uj: Vec<u64>,
}

impl EnergyMeter {
    /// Starts measuring from the system's RAPL counters; `None` when there are
    /// none or they are not readable (common in VMs and for non-root users).
    pub fn start() -> Option<Self> {
        Self::start_in(Path::new(POWERCAP_ROOT))
    }

    /// As [`EnergyMeter::start`], with the powercap tree rooted at `root`.
    pub fn start_in(root: &Path) -> Option<Self> {
        let domains = package_domains(root);
        let start_uj = read_all(&domains)?;
        Some(EnergyMeter { domains, start_uj })
    }

    /// Joules used by all packages since the start.
    pub fn joules(&self) -> Option<f64> {
        let now = read_all(&self.domains)?;
        let total: u64 = self
            .start_uj
            .iter()
            .zip(&now)
            .zip(&self.domains)
            .map(|((&s, &e), d)| delta_uj(s, e, d.max_range_uj))
            .sum();
        Some(total as f64 * 1e-6)
    }
}

/// Microjoules between two readings of a counter that wraps to 0 after `max_range_uj`.
pub fn delta_uj(start: u64, end: u64, max_range_uj: u64) -> u64 {
    if end >= start {
        end - start
    } else {
        max_range_uj.saturating_sub(start) + end
    }
}

/// The top-level (package) domains `intel-rapl:N`, not their `intel-rapl:N:M` sub-domains,
/// which would count the same energy twice.
fn package_domains(root: &Path) -> Vec<Domain> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut domains: Vec<Domain> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("intel-rapl:").is_some_and(|rest| !rest.contains(':'))
        })
        .filter_map(|e| {
            let dir = e.path();
            let max_range_uj = read_u64(&dir.join("max_energy_range_uj"))?;
            Some(Domain {
                energy_uj: dir.join("energy_uj"),
                max_range_uj,
            })
        })
        .collect();
    domains.sort_by(|a, b| a.energy_uj.cmp(&b.energy_uj));
    domains
}

fn read_all(domains: &[Domain]) -> Option<Vec<u64>> {
    if domains.is_empty() {
        return None;
    }
    domains.iter().map(|d| read_u64(&d.energy_uj)).collect()
}

fn read_u64(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(root: &Path, name: &str, energy: u64, max: u64) {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("energy_uj"), format!("{energy}\n")).unwrap();
        std::fs::write(dir.join("max_energy_range_uj"), format!("{max}\n")).unwrap();
    }

    #[test]
    fn wrap_around_by_hand() {
        assert_eq!(delta_uj(100, 250, 1000), 150);
        // 900 -> wraps at 1000 -> 50: 100 to the wrap, then 50.
        assert_eq!(delta_uj(900, 50, 1000), 150);
        assert_eq!(delta_uj(5, 5, 1000), 0);
    }

    #[test]
    fn sums_packages_not_subdomains_and_handles_wrap() {
        let root = tempfile::tempdir().unwrap();
        domain(root.path(), "intel-rapl:0", 1_000_000, 10_000_000);
        domain(root.path(), "intel-rapl:1", 9_500_000, 10_000_000);
        domain(root.path(), "intel-rapl:0:0", 123, 10_000_000); // core sub-domain: ignored
        let meter = EnergyMeter::start_in(root.path()).unwrap();
        domain(root.path(), "intel-rapl:0", 3_000_000, 10_000_000); // +2 J
        domain(root.path(), "intel-rapl:1", 500_000, 10_000_000); // wrapped: +1 J
        domain(root.path(), "intel-rapl:0:0", 999_999_999, 10_000_000);
        assert!((meter.joules().unwrap() - 3.0).abs() < 1e-9);
    }

    #[test]
    fn unreadable_or_absent_counters_give_none() {
        let root = tempfile::tempdir().unwrap();
        assert!(EnergyMeter::start_in(root.path()).is_none());
        assert!(EnergyMeter::start_in(&root.path().join("missing")).is_none());
    }
}
