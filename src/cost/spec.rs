//! The suite's `[cost]` section: the instance, the label price, the
//! pretrained model's terms and the energy constants, with their checks.

use super::energy::EnergyModel;
use super::Catalog;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The `[cost]` section of a suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostSpec {
    /// `provider/instance` in the price catalog whose price the measured wall
    /// time is billed at, e.g. `gcp/e2-standard-2`.
    pub instance: String,
    /// On-demand or spot price.
    pub pricing: Pricing,
    /// A price catalog CSV of your own instead of the built-in one.
    pub catalog: Option<PathBuf>,
    /// USD per labelled example.
    pub usd_per_label: f64,
    /// Where the label price comes from, printed beside it.
    pub label_price_source: String,
    /// The labels per class the user can afford: the verdict picks among
    /// budgets up to this one.
    pub label_budget_per_class: usize,
    /// Tasks that share one in-house pretrained backbone (K): its
    /// pretraining cost is divided by K in each task's bill.
    pub amortize_over_tasks: u32,
    /// Scratch "breaks even" where its mean test accuracy is within this
    /// much (0-1) of the best reuse strategy's.
    pub break_even_tolerance: f64,
    /// The energy model's constants and the grid's carbon intensity.
    pub energy: EnergyModel,
    /// How the pretrained model is acquired and what it costs.
    pub model: ModelTerms,
}

/// Which catalog price applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Pricing {
    /// The on-demand (pay as you go) hourly price.
    #[default]
    OnDemand,
    /// The spot (preemptible) hourly price, where the catalog has one.
    Spot,
}

/// Where a pretrained model comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ModelSource {
    /// Pretrained by this team with `reuse-bench pretrain`: its measured cost is in the model card.
    #[default]
    InHouse,
    /// Downloaded from a model hub (e.g. Hugging Face).
    Hub,
    /// Taken from a framework's model zoo.
    Zoo,
    /// Bought or rented from a marketplace.
    Marketplace,
}

/// The pretrained model's acquisition terms, as its source states them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelTerms {
    /// Where it comes from.
    pub source: ModelSource,
    /// Its licence, as stated by the source.
    pub licence: String,
    /// A one-time fee, USD (0 for free models).
    pub one_time_usd: f64,
    /// A software fee per hour of use added to compute, USD (marketplace models).
    pub usd_per_hour: f64,
}

impl Default for ModelTerms {
    fn default() -> Self {
        ModelTerms {
            source: ModelSource::InHouse,
            licence: "own work".into(),
            one_time_usd: 0.0,
            usd_per_hour: 0.0,
        }
    }
}

impl Default for CostSpec {
    fn default() -> Self {
        CostSpec {
            instance: "gcp/e2-standard-2".into(),
            pricing: Pricing::OnDemand,
            catalog: None,
            usd_per_label: DEFAULT_USD_PER_LABEL,
            label_price_source: DEFAULT_LABEL_PRICE_SOURCE.into(),
            label_budget_per_class: 100,
            amortize_over_tasks: 1,
            break_even_tolerance: 0.01,
            energy: EnergyModel::default(),
            model: ModelTerms::default(),
        }
    }
}

/// Default price of one label, USD.
pub const DEFAULT_USD_PER_LABEL: f64 = 0.035;
/// Where [`DEFAULT_USD_PER_LABEL`] comes from.
pub const DEFAULT_LABEL_PRICE_SOURCE: &str = "Google Cloud Data Labeling Service price list, image classification, \
     USD 35 per 1,000 images per human labeller for the first 50,000 a month \
     (cloud.google.com/ai-platform/data-labeling/pricing, undated page): one labeller per example";

impl CostSpec {
    /// The catalog this spec names (`catalog`), else the built-in one.
    pub fn load_catalog(&self) -> crate::Result<Catalog> {
        match &self.catalog {
            Some(path) => Catalog::load(path),
            None => Ok(Catalog::builtin()),
        }
    }

    /// Checks ranges; the message names the key.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for (key, v) in [
            ("cost.usd_per_label", self.usd_per_label),
            ("cost.model.one_time_usd", self.model.one_time_usd),
            ("cost.model.usd_per_hour", self.model.usd_per_hour),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{key} = {v} must be zero or positive"));
            }
        }
        if self.amortize_over_tasks == 0 {
            return Err("cost.amortize_over_tasks must be at least 1".into());
        }
        if self.label_budget_per_class == 0 {
            return Err("cost.label_budget_per_class must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.break_even_tolerance) {
            return Err("cost.break_even_tolerance must be in [0, 1), e.g. 0.01 for one point".into());
        }
        if !self.instance.contains('/') {
            return Err(format!(
                "cost.instance = \"{}\" must be provider/instance, e.g. \"gcp/e2-standard-2\"",
                self.instance
            ));
        }
        self.energy.validate()
    }
}
