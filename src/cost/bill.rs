//! Pricing the runs: compute, labels, the pretrained model, energy and carbon.

use super::energy::{Energy, EnergyModel, EnergySource, DEFAULTS_SOURCE};
use super::{Catalog, CostSpec, ModelSource, ModelTerms, PriceRow, Pricing};
use crate::model::checkpoint::ModelCard;
use crate::runner::{RunRecord, RunStatus};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The assumptions every cost figure was computed with, saved in the results
/// so that a report states them and can be re-rendered from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostAssumptions {
    /// The catalog row whose price the measured times are billed at.
    pub instance: PriceRow,
    /// Where the catalog came from.
    pub catalog_origin: String,
    /// On-demand or spot.
    pub pricing: Pricing,
    /// The hourly price applied.
    pub usd_per_hour: f64,
    /// USD per labelled example.
    pub usd_per_label: f64,
    /// Where the label price comes from.
    pub label_price_source: String,
    /// The pretrained model's acquisition terms.
    pub model: ModelTerms,
    /// In-house pretraining's measured cost, when the backbone was built in-house.
    pub pretraining: Option<PretrainingCost>,
    /// Tasks sharing the in-house backbone (K).
    pub amortize_over_tasks: u32,
    /// The energy model and carbon intensity.
    pub energy_model: EnergyModel,
    /// Where the energy constants' defaults come from.
    pub energy_defaults_source: String,
    /// How the runs' energy was obtained: `rapl`, `model`, or `mixed`.
    pub energy_method: String,
}

/// What building the backbone in-house cost, from its model card.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PretrainingCost {
    /// Measured wall seconds of pretraining.
    pub wall_s: f64,
    /// Those seconds at the instance's price.
    pub compute_usd: f64,
    /// Its energy and carbon.
    pub energy: Energy,
    /// `compute_usd / K`: the share each reusing task carries.
    pub amortised_usd: f64,
}

/// The bill of one completed run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunCost {
    /// Energy and carbon of the run itself.
    pub energy: Energy,
    /// Measured wall hours x the instance's hourly price.
    pub compute_usd: f64,
    /// Labelled examples x price per label.
    pub labels_usd: f64,
    /// The pretrained model's fees (one-time, plus per hour of use) for reuse strategies.
    pub model_usd: f64,
    /// The amortised share of in-house pretraining, for reuse strategies.
    pub pretraining_usd: f64,
    /// All of the above.
    pub total_usd: f64,
}

impl CostAssumptions {
    /// Resolves a suite's cost settings against a catalog and, for an in-house
    /// backbone, its model card.
    pub fn resolve(spec: &CostSpec, catalog: &Catalog, card: Option<&ModelCard>) -> Result<Self> {
        let instance = catalog.find(&spec.instance)?.clone();
        let usd_per_hour = match spec.pricing {
            Pricing::OnDemand => instance.on_demand_usd_per_hour,
            Pricing::Spot => instance.spot_usd_per_hour.ok_or_else(|| {
                Error::Invalid(format!(
                    "the catalog has no spot price for {}; use cost.pricing = \"on_demand\" or another instance",
                    instance.key()
                ))
            })?,
        };
        let k = spec.amortize_over_tasks.max(1);
        let pretraining = card.filter(|_| spec.model.source == ModelSource::InHouse).map(|c| {
            let compute_usd = c.wall_s / 3600.0 * usd_per_hour;
            PretrainingCost {
                wall_s: c.wall_s,
                compute_usd,
                energy: spec.energy.energy(c.cpu_s, c.wall_s, c.peak_rss_bytes, c.rapl_energy_j),
                amortised_usd: compute_usd / k as f64,
            }
        });
        Ok(CostAssumptions {
            instance,
            catalog_origin: catalog.origin.clone(),
            pricing: spec.pricing,
            usd_per_hour,
            usd_per_label: spec.usd_per_label,
            label_price_source: spec.label_price_source.clone(),
            model: spec.model.clone(),
            pretraining,
            amortize_over_tasks: k,
            energy_model: spec.energy.clone(),
            energy_defaults_source: DEFAULTS_SOURCE.to_string(),
            energy_method: String::new(),
        })
    }
}

/// Prices every completed run in place and records how energy was obtained.
pub fn price_runs(runs: &mut [RunRecord], a: &mut CostAssumptions) {
    let (mut rapl, mut model) = (0, 0);
    for run in runs.iter_mut() {
        run.cost = None;
        let Some(m) = run.metrics.as_ref().filter(|_| run.status == RunStatus::Completed) else {
            continue;
        };
        let energy = a
            .energy_model
            .energy(m.cpu_s(), m.wall_s, m.peak_rss_bytes, m.rapl_energy_j);
        match energy.source {
            EnergySource::Rapl => rapl += 1,
            EnergySource::Model => model += 1,
        }
        let hours = m.wall_s / 3600.0;
        let reuse = run.strategy.uses_pretrained();
        let compute_usd = hours * a.usd_per_hour;
        let labels_usd = m.train_examples as f64 * a.usd_per_label;
        let model_usd = if reuse {
            a.model.one_time_usd + a.model.usd_per_hour * hours
        } else {
            0.0
        };
        let pretraining_usd = if reuse {
            a.pretraining.map_or(0.0, |p| p.amortised_usd)
        } else {
            0.0
        };
        run.cost = Some(RunCost {
            energy,
            compute_usd,
            labels_usd,
            model_usd,
            pretraining_usd,
            total_usd: compute_usd + labels_usd + model_usd + pretraining_usd,
        });
    }
    a.energy_method = match (rapl, model) {
        (0, _) => "model",
        (_, 0) => "rapl",
        _ => "mixed",
    }
    .to_string();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::catalog::tests_support::one_row_catalog;
    use crate::measure::stopwatch::Phases;
    use crate::runner::RunMetrics;
    use crate::train::Strategy;

    fn run(strategy: Strategy, wall_s: f64, examples: usize) -> RunRecord {
        RunRecord {
            run_id: "r".into(),
            strategy,
            budget_per_class: examples / 5,
            seed: 0,
            status: RunStatus::Completed,
            message: None,
            process_wall_s: wall_s,
            metrics: Some(RunMetrics {
                train_examples: examples,
                train_set_digest: String::new(),
                test_accuracy: Some(0.9),
                best_val_accuracy: 0.9,
                best_epoch: 1,
                epochs_run: 1,
                steps: 1,
                time_to_target_s: None,
                phases: Phases::default(),
                wall_s,
                cpu_user_s: wall_s,
                cpu_system_s: 0.0,
                peak_rss_bytes: 1_000_000_000,
                rapl_energy_j: None,
                total_params: 1,
                trainable_params: 1,
                curve: vec![],
            }),
            timeline: vec![],
            cost: None,
        }
    }

    #[test]
    fn bill_by_hand() {
        // Instance at 0.36 USD/h; 0.10 USD per label; marketplace model: 5 USD once + 1.80 USD/h.
        let spec = CostSpec {
            instance: "aws/x.large".into(),
            usd_per_label: 0.10,
            model: ModelTerms {
                source: ModelSource::Marketplace,
                licence: "commercial".into(),
                one_time_usd: 5.0,
                usd_per_hour: 1.8,
            },
            ..CostSpec::default()
        };
        let mut a = CostAssumptions::resolve(&spec, &one_row_catalog(0.36, None), None).unwrap();
        let mut runs = vec![run(Strategy::Scratch, 100.0, 50), run(Strategy::Finetune, 100.0, 50)];
        price_runs(&mut runs, &mut a);
        let scratch = runs[0].cost.unwrap();
        // 100 s = 1/36 h: compute 0.36/36 = 0.01; labels 50 x 0.10 = 5.
        assert!((scratch.compute_usd - 0.01).abs() < 1e-12);
        assert!((scratch.labels_usd - 5.0).abs() < 1e-12);
        assert_eq!((scratch.model_usd, scratch.pretraining_usd), (0.0, 0.0));
        assert!((scratch.total_usd - 5.01).abs() < 1e-12);
        let finetune = runs[1].cost.unwrap();
        // Model: 5 + 1.8/36 = 5.05; total 0.01 + 5 + 5.05.
        assert!((finetune.model_usd - 5.05).abs() < 1e-12);
        assert!((finetune.total_usd - 10.06).abs() < 1e-12);
        assert_eq!(a.energy_method, "model");
        assert_eq!(finetune.energy.source, EnergySource::Model);
    }

    #[test]
    fn in_house_pretraining_is_amortised_over_k_tasks_for_reuse_only() {
        let mut card = crate::model::checkpoint::tests_support::card();
        card.wall_s = 3600.0; // one hour at 0.36 USD/h = 0.36 USD
        let spec = CostSpec {
            instance: "aws/x.large".into(),
            amortize_over_tasks: 4,
            ..CostSpec::default()
        };
        let mut a = CostAssumptions::resolve(&spec, &one_row_catalog(0.36, None), Some(&card)).unwrap();
        let p = a.pretraining.unwrap();
        assert!((p.compute_usd - 0.36).abs() < 1e-12 && (p.amortised_usd - 0.09).abs() < 1e-12);
        let mut runs = vec![run(Strategy::Scratch, 36.0, 5), run(Strategy::Probe, 36.0, 5)];
        price_runs(&mut runs, &mut a);
        assert_eq!(runs[0].cost.unwrap().pretraining_usd, 0.0);
        assert!((runs[1].cost.unwrap().pretraining_usd - 0.09).abs() < 1e-12);
    }

    #[test]
    fn spot_needs_a_spot_price_and_failed_runs_are_not_priced() {
        let spec = CostSpec {
            instance: "aws/x.large".into(),
            pricing: Pricing::Spot,
            ..CostSpec::default()
        };
        let err = CostAssumptions::resolve(&spec, &one_row_catalog(0.36, None), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("spot"), "{err}");
        let mut a = CostAssumptions::resolve(&spec, &one_row_catalog(0.36, Some(0.1)), None).unwrap();
        assert_eq!(a.usd_per_hour, 0.1);
        let mut failed = run(Strategy::Scratch, 1.0, 5);
        failed.status = RunStatus::Diverged;
        let mut runs = vec![failed];
        price_runs(&mut runs, &mut a);
        assert!(runs[0].cost.is_none());
    }
}
