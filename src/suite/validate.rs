//! The checks of a whole suite that no one section can make alone: each
//! section's own checks first, then what spans sections (a baseline
//! strategy needs its model, reuse needs a source or a given model).

use super::{Strategy, Suite, TaskKind};

impl Suite {
    /// Checks what types cannot: each section with its own stage's checks,
    /// then what spans sections.
    pub(super) fn validate(&self) -> std::result::Result<(), String> {
        if !(self.target_accuracy > 0.0 && self.target_accuracy <= 1.0) {
            return Err(format!(
                "target_accuracy = {} must be in (0, 1], e.g. 0.8",
                self.target_accuracy
            ));
        }
        if self.name.trim().is_empty() || self.name.contains(['/', '\\']) {
            return Err("name must be non-empty and contain no path separator".into());
        }
        self.train.validate()?;
        self.pretrain.validate()?;
        self.model.validate("model")?;
        if let Some(baseline) = &self.baseline {
            baseline.validate("baseline")?;
        }
        let largest = *self.train.budgets_per_class.iter().max().expect("validated non-empty");
        self.task.validate(largest)?;
        if self.train.strategies.contains(&Strategy::Baseline) && self.baseline.is_none() {
            return Err("the baseline strategy needs its model in a [baseline] section (e.g. arch = \"bag\")".into());
        }
        if self.needs_pretrained() && self.pretrained.is_none() && !self.task.has_source() {
            return Err(match self.task.kind {
                TaskKind::Table => "finetune and probe need a pretrained backbone: name the classes to pretrain on \
                                    in task.source_classes (`reuse-bench init DATA --source-classes LIST`), or run \
                                    only scratch"
                    .to_string(),
                kind => format!(
                    "a {kind} task cannot pretrain in-house: name the pretrained model in [pretrained] (dir, name)"
                ),
            });
        }
        self.cost.validate()
    }
}
