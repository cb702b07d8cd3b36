//! Re-pricing a finished sweep without re-running it: the runs stay as
//! measured; the suite's cost settings, label budget or target change, and
//! the analysis (bills, aggregates, projections, sensitivity, verdict) is
//! made again. The new result set records which settings differ from the
//! run's, so a reader never mistakes it for the run's own verdict.

use crate::analysis::{analyse, ChangedSetting, Provenance, Repricing, Results};
use crate::suite::Suite;
use crate::{Error, Result};
use std::path::PathBuf;

/// The settings `report DIR` may change; `None` keeps the run's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostOverrides {
    /// `cost.usd_per_label`.
    pub usd_per_label: Option<f64>,
    /// `cost.instance`, `provider/name` in the catalog.
    pub instance: Option<String>,
    /// `cost.catalog`: a price catalog CSV of the user's own.
    pub catalog: Option<PathBuf>,
    /// `cost.amortize_over_tasks` (K).
    pub amortize_over_tasks: Option<u32>,
    /// `cost.label_budget_per_class`.
    pub label_budget_per_class: Option<usize>,
    /// `target_accuracy`, 0-1.
    pub target_accuracy: Option<f64>,
    /// `cost.model.one_time_usd`.
    pub model_one_time_usd: Option<f64>,
    /// `cost.model.usd_per_hour`.
    pub model_usd_per_hour: Option<f64>,
}

impl CostOverrides {
    /// Whether any setting is given.
    pub fn any(&self) -> bool {
        *self != CostOverrides::default()
    }

    /// `suite` with these settings, checked as a suite file would be, and the
    /// settings that differ from it.
    pub fn apply(&self, suite: &Suite) -> Result<(Suite, Vec<ChangedSetting>)> {
        let mut out = suite.clone();
        let mut changed = Vec::new();
        let mut note = |setting: &str, was: String, now: String| {
            if was != now {
                changed.push(ChangedSetting {
                    setting: setting.to_string(),
                    was,
                    now,
                });
            }
        };
        if let Some(v) = self.usd_per_label {
            note("cost.usd_per_label", out.cost.usd_per_label.to_string(), v.to_string());
            out.cost.usd_per_label = v;
            out.cost.label_price_source = "given to `reuse-bench report --usd-per-label`".into();
        }
        if let Some(v) = &self.instance {
            note("cost.instance", out.cost.instance.clone(), v.clone());
            out.cost.instance = v.clone();
        }
        if let Some(v) = &self.catalog {
            let was = out
                .cost
                .catalog
                .as_ref()
                .map_or("built-in".into(), |p| p.display().to_string());
            note("cost.catalog", was, v.display().to_string());
            out.cost.catalog = Some(v.clone());
        }
        if let Some(v) = self.amortize_over_tasks {
            note(
                "cost.amortize_over_tasks",
                out.cost.amortize_over_tasks.to_string(),
                v.to_string(),
            );
            out.cost.amortize_over_tasks = v;
        }
        if let Some(v) = self.label_budget_per_class {
            note(
                "cost.label_budget_per_class",
                out.cost.label_budget_per_class.to_string(),
                v.to_string(),
            );
            out.cost.label_budget_per_class = v;
        }
        if let Some(v) = self.target_accuracy {
            note("target_accuracy", out.target_accuracy.to_string(), v.to_string());
            out.target_accuracy = v;
        }
        if let Some(v) = self.model_one_time_usd {
            note(
                "cost.model.one_time_usd",
                out.cost.model.one_time_usd.to_string(),
                v.to_string(),
            );
            out.cost.model.one_time_usd = v;
        }
        if let Some(v) = self.model_usd_per_hour {
            note(
                "cost.model.usd_per_hour",
                out.cost.model.usd_per_hour.to_string(),
                v.to_string(),
            );
            out.cost.model.usd_per_hour = v;
        }
        // The same checks as a suite file's, naming the settings given.
        let checked = Suite::parse(&out.to_toml(), "the settings given to `reuse-bench report`")?;
        Ok((checked, changed))
    }
}

/// `results` priced again under `overrides`; `from` names the folder they came from.
pub fn reprice(results: &Results, overrides: &CostOverrides, from: &str) -> Result<Results> {
    if results.runs.is_empty() {
        return Err(Error::setting(
            "report DIR --usd-per-label/--instance/...",
            format!("{from} holds no runs to re-price"),
        ));
    }
    let (suite, changed) = overrides.apply(&results.suite)?;
    let catalog = suite.cost.load_catalog()?;
    let runs: Vec<_> = results.runs.iter().map(|p| p.run.clone()).collect();
    let card = results.pretrained.as_ref().and_then(|p| p.card.as_ref());
    let analysis = analyse(&suite, &runs, card, &catalog)?;
    Ok(Results::new(
        Provenance {
            tool_version: results.tool_version.clone(),
            command: results.command.clone(),
            suite,
            machine: results.machine.clone(),
            pretrained: results.pretrained.clone(),
            sweep_wall_s: results.sweep_wall_s,
            partial: results.partial.clone(),
            repriced: Some(Repricing {
                from: from.to_string(),
                changed,
            }),
        },
        analysis,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_only_what_differs_and_checks_the_values() {
        let suite = Suite::resolve("mnist1d").unwrap();
        let overrides = CostOverrides {
            usd_per_label: Some(0.001),
            target_accuracy: Some(suite.target_accuracy),
            ..CostOverrides::default()
        };
        let (out, changed) = overrides.apply(&suite).unwrap();
        assert_eq!(out.cost.usd_per_label, 0.001);
        assert_eq!(changed.len(), 1, "an unchanged target is not a change: {changed:?}");
        assert_eq!(changed[0].setting, "cost.usd_per_label");
        assert_eq!(changed[0].was, suite.cost.usd_per_label.to_string());

        let bad = CostOverrides {
            target_accuracy: Some(1.5),
            ..CostOverrides::default()
        };
        let message = bad.apply(&suite).unwrap_err().to_string();
        assert!(
            message.contains("target_accuracy") && message.contains("reuse-bench report"),
            "{message}"
        );
        assert!(!CostOverrides::default().any() && overrides.any());
    }
}
