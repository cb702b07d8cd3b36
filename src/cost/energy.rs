//! Energy and carbon of a run: RAPL where it was measured, else a stated model.
//!
//! The model is Green Algorithms' (Lannelongue, Grealey & Inouye, Adv. Sci.
//! 2021): power = cores x TDP per core x CPU utilisation + memory GB x 0.3725 W,
//! times hours and the data centre's PUE. With utilisation measured as
//! `cpu_s / (wall_s x cores)`, the cores cancel: power = TDP per core x
//! `cpu_s / wall_s` + memory. Memory is the run's own peak RSS. Carbon is
//! energy x the grid's carbon intensity.

use serde::{Deserialize, Serialize};

/// The constants of the energy model and the grid's carbon intensity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnergyModel {
    /// Watts per fully busy core (the CPU's TDP divided by its cores).
    pub tdp_per_core_w: f64,
    /// Watts per GB of memory in use.
    pub memory_w_per_gb: f64,
    /// Power usage effectiveness of the facility (1.0 = no overhead), applied
    /// to RAPL readings and model estimates alike.
    pub pue: f64,
    /// Grams of CO2-equivalent per kWh of the grid that powers the machine.
    pub grid_g_co2_per_kwh: f64,
}

impl Default for EnergyModel {
    fn default() -> Self {
        EnergyModel {
            tdp_per_core_w: DEFAULT_TDP_PER_CORE_W,
            memory_w_per_gb: 0.3725,
            pue: DEFAULT_PUE,
            grid_g_co2_per_kwh: DEFAULT_GRID_G_CO2_PER_KWH,
        }
    }
}

/// Green Algorithms' per-core TDP when the CPU model is unknown.
pub const DEFAULT_TDP_PER_CORE_W: f64 = 12.0;
/// Green Algorithms' default PUE (the global average data centre).
pub const DEFAULT_PUE: f64 = 1.67;
/// World-average grid carbon intensity, g CO2e per kWh.
pub const DEFAULT_GRID_G_CO2_PER_KWH: f64 = 475.0;
/// Where the defaults above come from, printed with them.
pub const DEFAULTS_SOURCE: &str = "Green Algorithms (Lannelongue, Grealey & Inouye, Adv. Sci. 2021; data v2.2 at \
     github.com/GreenAlgorithms/green-algorithms-tool): 0.3725 W per GB of memory, 12 W per core for an unknown CPU, \
     PUE 1.67 (Uptime Institute 2019 survey), world-average grid 475 g CO2e/kWh (IEA, 2019 data)";

/// How a run's energy was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum EnergySource {
    /// Measured from the CPU packages' RAPL counters (whole socket).
    Rapl,
    /// Estimated with the [`EnergyModel`] from measured CPU time, wall time and peak RSS.
    Model,
}

/// Energy and carbon of one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Energy {
    /// Kilowatt-hours, facility overhead (PUE) included.
    pub kwh: f64,
    /// Kilograms of CO2-equivalent.
    pub carbon_kg: f64,
    /// Measured or modelled.
    pub source: EnergySource,
}

impl EnergyModel {
    /// Checks ranges; the message names the key.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for (key, v) in [
            ("cost.energy.tdp_per_core_w", self.tdp_per_core_w),
            ("cost.energy.memory_w_per_gb", self.memory_w_per_gb),
            ("cost.energy.grid_g_co2_per_kwh", self.grid_g_co2_per_kwh),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{key} = {v} must be zero or positive"));
            }
        }
        if !(self.pue.is_finite() && self.pue >= 1.0) {
            return Err(format!("cost.energy.pue = {} must be at least 1.0", self.pue));
        }
        Ok(())
    }

    /// Energy of a run that used `cpu_s` CPU seconds over `wall_s` seconds with
    /// `peak_rss_bytes` of memory; `rapl_j`, when measured, takes precedence.
    pub fn energy(&self, cpu_s: f64, wall_s: f64, peak_rss_bytes: u64, rapl_j: Option<f64>) -> Energy {
        let (kwh, source) = match rapl_j {
            Some(j) => (j / 3.6e6 * self.pue, EnergySource::Rapl),
            None => {
                let memory_gb = peak_rss_bytes as f64 / 1e9;
                let watt_hours = (self.tdp_per_core_w * cpu_s + self.memory_w_per_gb * memory_gb * wall_s) / 3600.0;
                (watt_hours / 1000.0 * self.pue, EnergySource::Model)
            }
        };
        Energy {
            kwh,
            carbon_kg: kwh * self.grid_g_co2_per_kwh / 1000.0,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> EnergyModel {
        EnergyModel {
            tdp_per_core_w: 10.0,
            memory_w_per_gb: 0.3725,
            pue: 1.5,
            grid_g_co2_per_kwh: 400.0,
        }
    }

    #[test]
    fn model_by_hand() {
        // Two cores busy for an hour (7200 CPU s over 3600 s) with 2 GB:
        // (2 x 10 W + 2 GB x 0.3725 W) x 1 h = 20.745 Wh; x PUE 1.5 = 31.1175 Wh.
        let e = model().energy(7200.0, 3600.0, 2_000_000_000, None);
        assert_eq!(e.source, EnergySource::Model);
        assert!((e.kwh - 0.0311175).abs() < 1e-12, "{}", e.kwh);
        // 0.0311175 kWh x 400 g/kWh = 12.447 g.
        assert!((e.carbon_kg - 0.012447).abs() < 1e-12);
    }

    #[test]
    fn rapl_takes_precedence() {
        // 3.6 MJ = 1 kWh, x PUE 1.5.
        let e = model().energy(7200.0, 3600.0, 2_000_000_000, Some(3.6e6));
        assert_eq!(e.source, EnergySource::Rapl);
        assert!((e.kwh - 1.5).abs() < 1e-12);
        assert!((e.carbon_kg - 0.6).abs() < 1e-12);
    }

    #[test]
    fn validation_names_the_key() {
        let bad = EnergyModel { pue: 0.5, ..model() };
        assert!(bad.validate().unwrap_err().contains("pue"));
    }
}
