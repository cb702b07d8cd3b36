//! How far each cost assumption can move before the verdict's winner
//! changes. The runs are priced again (the records stay as measured) with one
//! assumption moved and the others as in the run, and the verdict's rule is
//! applied again: a scan outwards in both directions (factors of 10^0.05, up
//! to [`SCAN_DECADES`] decades) finds the nearest change, and bisection
//! pins it down.

use super::aggregate;
use super::verdict::winner;
use crate::cost::{price_runs, CostAssumptions, PricedRun};
use crate::suite::Suite;
use crate::train::Strategy;
use serde::{Deserialize, Serialize};

/// Decades scanned each way from the run's value (from a value of 0: from
/// 10^-4 up to 10^4, e.g. USD for a model fee).
pub const SCAN_DECADES: i32 = 4;

/// A cost assumption the verdict rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Assumption {
    /// Price of one label (`cost.usd_per_label`).
    UsdPerLabel,
    /// The instance's hourly price (`cost.instance`).
    InstanceUsdPerHour,
    /// A one-time fee for the pretrained model (`cost.model.one_time_usd`).
    ModelOneTimeUsd,
    /// A per-hour fee for the pretrained model (`cost.model.usd_per_hour`).
    ModelUsdPerHour,
    /// Tasks sharing in-house pretraining (`cost.amortize_over_tasks`).
    AmortizeOverTasks,
    /// The grid's carbon intensity (`cost.energy.grid_g_co2_per_kwh`): carbon
    /// is reported, not priced, so it never changes the winner.
    GridGCo2PerKwh,
}

impl Assumption {
    /// The unit its values are in.
    pub fn unit(self) -> &'static str {
        match self {
            Assumption::UsdPerLabel => "USD/label",
            Assumption::InstanceUsdPerHour | Assumption::ModelUsdPerHour => "USD/h",
            Assumption::ModelOneTimeUsd => "USD",
            Assumption::AmortizeOverTasks => "tasks",
            Assumption::GridGCo2PerKwh => "g CO2e/kWh",
        }
    }

    /// Its value in `a`.
    pub fn value(self, a: &CostAssumptions) -> f64 {
        match self {
            Assumption::UsdPerLabel => a.usd_per_label,
            Assumption::InstanceUsdPerHour => a.usd_per_hour,
            Assumption::ModelOneTimeUsd => a.model.one_time_usd,
            Assumption::ModelUsdPerHour => a.model.usd_per_hour,
            Assumption::AmortizeOverTasks => a.amortize_over_tasks as f64,
            Assumption::GridGCo2PerKwh => a.energy_model.grid_g_co2_per_kwh,
        }
    }

    /// `a` with this assumption set to `value`.
    fn set(self, a: &CostAssumptions, value: f64) -> CostAssumptions {
        let mut out = a.clone();
        match self {
            Assumption::UsdPerLabel => out.usd_per_label = value,
            Assumption::InstanceUsdPerHour => return a.with_usd_per_hour(value),
            Assumption::ModelOneTimeUsd => out.model.one_time_usd = value,
            Assumption::ModelUsdPerHour => out.model.usd_per_hour = value,
            Assumption::AmortizeOverTasks => {
                return a.with_amortize_over(value.round().clamp(1.0, u32::MAX as f64) as u32)
            }
            Assumption::GridGCo2PerKwh => out.energy_model.grid_g_co2_per_kwh = value,
        }
        out
    }
}

/// Where one assumption changes the winner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// The assumption.
    pub assumption: Assumption,
    /// Its unit.
    pub unit: String,
    /// Its value in the run's pricing.
    pub value_in_run: f64,
    /// The nearest value at which another strategy wins (absent: none within the scan).
    pub flips_at: Option<f64>,
    /// Who wins there.
    pub new_winner: Option<Strategy>,
}

/// The winner under `a`.
fn winner_under(suite: &Suite, runs: &[PricedRun], a: &CostAssumptions) -> Option<Strategy> {
    let records: Vec<_> = runs.iter().map(|p| p.run.clone()).collect();
    let priced = price_runs(&records, &mut a.clone());
    let aggregates = aggregate(suite, &priced);
    winner(
        &aggregates,
        &suite.train.strategies,
        suite.cost.label_budget_per_class,
        suite.target_accuracy,
    )
}

/// Each assumption's break-even value; empty when no strategy wins as run.
pub fn sensitivity(suite: &Suite, runs: &[PricedRun], a: &CostAssumptions) -> Vec<Sensitivity> {
    let Some(base) = winner_under(suite, runs, a) else {
        return Vec::new();
    };
    let mut assumptions = vec![
        Assumption::UsdPerLabel,
        Assumption::InstanceUsdPerHour,
        Assumption::ModelOneTimeUsd,
        Assumption::ModelUsdPerHour,
    ];
    if a.pretraining.is_some() {
        assumptions.push(Assumption::AmortizeOverTasks);
    }
    assumptions.push(Assumption::GridGCo2PerKwh);
    assumptions
        .into_iter()
        .map(|assumption| {
            let value = assumption.value(a);
            let at = |v: f64| winner_under(suite, runs, &assumption.set(a, v));
            let flip = if assumption == Assumption::GridGCo2PerKwh {
                None // not priced: no value changes the bill
            } else {
                nearest_flip(value, base, &at, assumption == Assumption::AmortizeOverTasks)
            };
            Sensitivity {
                assumption,
                unit: assumption.unit().to_string(),
                value_in_run: value,
                flips_at: flip.map(|f| f.0),
                new_winner: flip.and_then(|f| f.1),
            }
        })
        .collect()
}

/// The value nearest `value` (in ratio) where `at` stops giving `base`, and
/// what it gives there. A winner of `None` (nothing reaches the target) also
/// counts as a change.
fn nearest_flip(
    value: f64,
    base: Strategy,
    at: &dyn Fn(f64) -> Option<Strategy>,
    integer: bool,
) -> Option<(f64, Option<Strategy>)> {
    const STEPS_PER_DECADE: i32 = 20;
    let step = |k: i32| 10f64.powf(k as f64 / STEPS_PER_DECADE as f64);
    let search = |direction: i32| -> Option<(f64, f64)> {
        // (last value with the base winner, first value without it)
        let mut inside = value;
        // From 0, the scan starts at 10^-SCAN_DECADES and covers twice as many decades.
        let steps = SCAN_DECADES * STEPS_PER_DECADE * if value > 0.0 { 1 } else { 2 };
        for k in 1..=steps {
            let v = if value > 0.0 {
                value * step(direction * k)
            } else if direction > 0 {
                10f64.powi(-SCAN_DECADES) * step(k - 1)
            } else {
                return None;
            };
            let v = if integer { v.round().max(1.0) } else { v };
            if v == inside {
                continue;
            }
            if at(v) != Some(base) {
                return Some((inside, v));
            }
            inside = v;
        }
        None
    };
    let refine = |(mut inside, mut outside): (f64, f64)| {
        for _ in 0..60 {
            let mid = if integer {
                ((inside + outside) / 2.0).round()
            } else if inside > 0.0 {
                (inside * outside).sqrt()
            } else {
                (inside + outside) / 2.0
            };
            if mid == inside || mid == outside {
                break;
            }
            if at(mid) == Some(base) {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        outside
    };
    let ratio = |v: f64| if value > 0.0 { (v / value).ln().abs() } else { v };
    [search(1), search(-1)]
        .into_iter()
        .flatten()
        .map(refine)
        .min_by(|x, y| ratio(*x).total_cmp(&ratio(*y)))
        .map(|v| (v, at(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_single_break_even_both_ways() {
        // Scratch wins below 0.02 USD/label, finetune above.
        let at = |v: f64| {
            Some(if v < 0.02 {
                Strategy::Scratch
            } else {
                Strategy::Finetune
            })
        };
        let (flip, who) = nearest_flip(0.035, Strategy::Finetune, &at, false).unwrap();
        assert!((flip - 0.02).abs() < 1e-9, "{flip}");
        assert_eq!(who, Some(Strategy::Scratch));
        let (flip, _) = nearest_flip(0.001, Strategy::Scratch, &at, false).unwrap();
        assert!((flip - 0.02).abs() < 1e-9, "{flip}");
    }

    #[test]
    fn takes_the_nearer_of_two_flips_and_scans_up_from_zero() {
        let at = |v: f64| {
            Some(if (0.5..16.0).contains(&v) {
                Strategy::Probe
            } else {
                Strategy::Scratch
            })
        };
        let (flip, _) = nearest_flip(2.0, Strategy::Probe, &at, false).unwrap();
        assert!((flip - 0.5).abs() < 1e-6, "{flip}");
        let fee = |v: f64| {
            Some(if v < 30.0 {
                Strategy::Finetune
            } else {
                Strategy::Scratch
            })
        };
        let (flip, _) = nearest_flip(0.0, Strategy::Finetune, &fee, false).unwrap();
        assert!((flip - 30.0).abs() < 1e-6, "{flip}");
    }

    #[test]
    fn integers_flip_at_an_integer_and_no_flip_is_none() {
        let k = |v: f64| {
            Some(if v >= 7.0 {
                Strategy::Finetune
            } else {
                Strategy::Scratch
            })
        };
        assert_eq!(
            nearest_flip(1.0, Strategy::Scratch, &k, true),
            Some((7.0, Some(Strategy::Finetune)))
        );
        assert_eq!(
            nearest_flip(1.0, Strategy::Scratch, &|_| Some(Strategy::Scratch), false),
            None
        );
    }
}
