//! Pricing the runs: compute, labels, the pretrained model, energy and carbon.
//! A run's bill wraps its record ([`PricedRun`]); the record itself stays as
//! measured, so the same runs can be priced again under other assumptions.

use super::energy::{Energy, EnergyModel, EnergySource, DEFAULTS_SOURCE};
use super::{Catalog, CostSpec, ModelSource, ModelTerms, PriceRow, Pricing};
use crate::results::{ModelCard, RunRecord};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How the runs' energy figures were obtained, taken together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum EnergyMethod {
    /// Every priced run read the RAPL counters.
    Rapl,
    /// No run could read RAPL: every figure comes from the energy model.
    #[default]
    Model,
    /// Some runs read RAPL, others used the model.
    Mixed,
}

/// A run with its bill: the record as measured, and its cost where it completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricedRun {
    /// The run as measured.
    #[serde(flatten)]
    pub run: RunRecord,
    /// Energy, carbon and money (absent for runs that did not complete).
    pub cost: Option<RunCost>,
}

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
    /// How the runs' energy was obtained.
    pub energy_method: EnergyMethod,
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

/// The bill of one completed run: its energy and carbon, and its money
/// (flattened: `results.json` holds `compute_usd` ... `total_usd` beside `energy`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunCost {
    /// Energy and carbon of the run itself.
    pub energy: Energy,
    /// What it costs.
    #[serde(flatten)]
    pub money: Money,
}

impl CostAssumptions {
    /// Resolves a suite's cost settings against a catalog and, for an in-house
    /// backbone, its model card.
    pub fn resolve(spec: &CostSpec, catalog: &Catalog, card: Option<&ModelCard>) -> Result<Self> {
        let instance = catalog.find(&spec.instance)?.clone();
        let usd_per_hour = match spec.pricing {
            Pricing::OnDemand => instance.on_demand_usd_per_hour,
            Pricing::Spot => instance.spot_usd_per_hour.ok_or_else(|| {
                Error::setting(
                    "cost.pricing = \"spot\"",
                    format!(
                        "the catalog has no spot price for {}; use cost.pricing = \"on_demand\" or another instance",
                        instance.key()
                    ),
                )
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
            energy_method: EnergyMethod::default(),
        })
    }
}

/// Prices every completed run and records in `a` how energy was obtained.
pub fn price_runs(runs: &[RunRecord], a: &mut CostAssumptions) -> Vec<PricedRun> {
    let (mut rapl, mut model) = (0, 0);
    let priced = runs
        .iter()
        .map(|run| {
            let cost = run.completed_metrics().map(|m| {
                let bill = price_run(run, m, a);
                match bill.energy.source {
                    EnergySource::Rapl => rapl += 1,
                    EnergySource::Model => model += 1,
                }
                bill
            });
            PricedRun { run: run.clone(), cost }
        })
        .collect();
    a.energy_method = match (rapl, model) {
        (0, _) => EnergyMethod::Model,
        (_, 0) => EnergyMethod::Rapl,
        _ => EnergyMethod::Mixed,
    };
    priced
}

/// The bill of one completed run.
fn price_run(run: &RunRecord, m: &crate::results::RunMetrics, a: &CostAssumptions) -> RunCost {
    let energy = a
        .energy_model
        .energy(m.cpu_s(), m.wall_s, m.peak_rss_bytes, m.rapl_energy_j);
    RunCost {
        energy,
        money: a.money(run.strategy.uses_pretrained(), m.wall_s, m.train_examples as f64),
    }
}

/// What a run costs in money: its compute, labels, model fees and pretraining share, USD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Money {
    /// Wall hours x the instance's hourly price.
    pub compute_usd: f64,
    /// Labelled examples x price per label.
    pub labels_usd: f64,
    /// The pretrained model's fees (one-time, plus per hour of use), reuse strategies only.
    pub model_usd: f64,
    /// The amortised share of in-house pretraining, reuse strategies only.
    pub pretraining_usd: f64,
    /// All of the above.
    pub total_usd: f64,
}

impl CostAssumptions {
    /// The bill of a run of `wall_s` seconds on `labels` labelled examples,
    /// for a strategy that reuses the pretrained model or not. One formula for
    /// measured runs and for projected ones.
    pub fn money(&self, reuse: bool, wall_s: f64, labels: f64) -> Money {
        let hours = wall_s / 3600.0;
        let compute_usd = hours * self.usd_per_hour;
        let labels_usd = labels * self.usd_per_label;
        let model_usd = if reuse {
            self.model.one_time_usd + self.model.usd_per_hour * hours
        } else {
            0.0
        };
        let pretraining_usd = if reuse {
            self.pretraining.map_or(0.0, |p| p.amortised_usd)
        } else {
            0.0
        };
        Money {
            compute_usd,
            labels_usd,
            model_usd,
            pretraining_usd,
            total_usd: compute_usd + labels_usd + model_usd + pretraining_usd,
        }
    }

    /// The same assumptions at another hourly price (in-house pretraining,
    /// billed at the same instance, re-priced with it).
    pub fn with_usd_per_hour(&self, usd_per_hour: f64) -> CostAssumptions {
        let mut a = self.clone();
        a.usd_per_hour = usd_per_hour;
        if let Some(p) = a.pretraining.as_mut() {
            p.compute_usd = p.wall_s / 3600.0 * usd_per_hour;
        }
        a.with_amortize_over(self.amortize_over_tasks)
    }

    /// The same assumptions with in-house pretraining shared by `k` tasks.
    pub fn with_amortize_over(&self, k: u32) -> CostAssumptions {
        let mut a = self.clone();
        a.amortize_over_tasks = k.max(1);
        if let Some(p) = a.pretraining.as_mut() {
            p.amortised_usd = p.compute_usd / a.amortize_over_tasks as f64;
        }
        a
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::cost::catalog::tests_support::one_row_catalog;
    use crate::measure::stopwatch::Phases;
    use crate::results::{RunMetrics, RunStatus};
    use crate::train::Strategy;

    /// A completed run of `examples` labels taking `wall_s`, test accuracy 0.9.
    pub(crate) fn run(strategy: Strategy, wall_s: f64, examples: usize) -> RunRecord {
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
        }
    }

    /// The default cost spec on a one-row catalog at 0.36 USD/h.
    pub(crate) fn assumptions() -> CostAssumptions {
        let spec = CostSpec {
            instance: "aws/x.large".into(),
            ..CostSpec::default()
        };
        CostAssumptions::resolve(&spec, &one_row_catalog(0.36, None), None).unwrap()
    }

    /// A run of `budget` labels for each of `classes` classes, priced under [`assumptions`].
    pub(crate) fn priced_run(
        strategy: Strategy,
        budget: usize,
        seed: u64,
        accuracy: f64,
        wall_s: f64,
        classes: usize,
    ) -> PricedRun {
        let mut r = run(strategy, wall_s, budget * classes);
        r.budget_per_class = budget;
        r.seed = seed;
        r.run_id = format!("{strategy}-b{budget}-s{seed}");
        if let Some(m) = r.metrics.as_mut() {
            m.test_accuracy = Some(accuracy);
        }
        price_runs(&[r], &mut assumptions()).remove(0)
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::run;
    use super::*;
    use crate::cost::catalog::tests_support::one_row_catalog;
    use crate::results::RunStatus;
    use crate::train::Strategy;

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
        let runs = price_runs(
            &[run(Strategy::Scratch, 100.0, 50), run(Strategy::Finetune, 100.0, 50)],
            &mut a,
        );
        let scratch = runs[0].cost.unwrap();
        // 100 s = 1/36 h: compute 0.36/36 = 0.01; labels 50 x 0.10 = 5.
        assert!((scratch.money.compute_usd - 0.01).abs() < 1e-12);
        assert!((scratch.money.labels_usd - 5.0).abs() < 1e-12);
        assert_eq!((scratch.money.model_usd, scratch.money.pretraining_usd), (0.0, 0.0));
        assert!((scratch.money.total_usd - 5.01).abs() < 1e-12);
        let finetune = runs[1].cost.unwrap();
        // Model: 5 + 1.8/36 = 5.05; total 0.01 + 5 + 5.05.
        assert!((finetune.money.model_usd - 5.05).abs() < 1e-12);
        assert!((finetune.money.total_usd - 10.06).abs() < 1e-12);
        assert_eq!(a.energy_method, EnergyMethod::Model);
        assert_eq!(finetune.energy.source, EnergySource::Model);
    }

    #[test]
    fn in_house_pretraining_is_amortised_over_k_tasks_for_reuse_only() {
        let mut card = crate::results::card::tests_support::card();
        card.wall_s = 3600.0; // one hour at 0.36 USD/h = 0.36 USD
        let spec = CostSpec {
            instance: "aws/x.large".into(),
            amortize_over_tasks: 4,
            ..CostSpec::default()
        };
        let mut a = CostAssumptions::resolve(&spec, &one_row_catalog(0.36, None), Some(&card)).unwrap();
        let p = a.pretraining.unwrap();
        assert!((p.compute_usd - 0.36).abs() < 1e-12 && (p.amortised_usd - 0.09).abs() < 1e-12);
        let runs = price_runs(
            &[run(Strategy::Scratch, 36.0, 5), run(Strategy::Probe, 36.0, 5)],
            &mut a,
        );
        assert_eq!(runs[0].cost.unwrap().money.pretraining_usd, 0.0);
        assert!((runs[1].cost.unwrap().money.pretraining_usd - 0.09).abs() < 1e-12);
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
        let runs = price_runs(&[failed], &mut a);
        assert!(runs[0].cost.is_none());
    }
}
