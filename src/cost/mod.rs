//! Cost: what the runs used, in money, energy and carbon.
//!
//! Every assumption is a suite setting with a cited default, and every
//! figure is derived from what the runs measured: compute is the measured
//! wall time at an instance's price from the [`catalog`]; energy is RAPL
//! where readable, else the stated [`energy`] model; labels are the examples
//! used at a price per label; the pretrained model costs what its source
//! charges, plus, when it was built in-house, its measured pretraining,
//! amortised over the tasks that reuse it ([`bill`]).

pub mod bill;
pub mod catalog;
pub mod energy;
pub mod spec;

pub use bill::{price_runs, CostAssumptions, EnergyMethod, Money, PricedRun, RunCost};
pub use catalog::{Catalog, PriceRow};
pub use energy::{EnergyModel, EnergySource};
pub use spec::{CostSpec, ModelSource, ModelTerms, Pricing};
