//! Suites: what to benchmark and under which protocol, as a TOML file.
//!
//! A suite names the task, the model, how the backbone is pretrained and the
//! sweep (strategies x label budgets x seeds) with its training budget. Every
//! section has defaults, so a user's file states only what differs; unknown
//! keys are errors, so a typo never silently falls back to a default. The
//! suite is saved beside every result.
//!
//! Each section's type and checks belong to the stage it configures
//! (`[task]` to [`crate::data`], `[model]` and `[pretrained]` to
//! [`crate::model`], `[train]` and `[pretrain]` to [`crate::train`], `[cost]`
//! to [`crate::cost`]); this module composes them, re-exports them, and checks
//! only what spans two sections.

mod builtin;
pub mod init;
mod quick;
mod validate;

pub use crate::cost::CostSpec;
pub use crate::data::{TaskKind, TaskSpec};
pub use crate::model::given::GivenModel;
pub use crate::model::ModelSpec;
pub use crate::train::{LearningRates, PretrainSpec, TrainSpec};
pub use builtin::{builtin, BUILTIN_SUITES};

use crate::results::PretrainRecipe;
use crate::train::Strategy;
use crate::{fsio, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A whole benchmark definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// Short name, used in the report folder's name.
    pub name: String,
    /// One line on what the suite shows.
    #[serde(default)]
    pub description: String,
    /// The validation accuracy (0-1) whose first crossing defines time-to-target.
    pub target_accuracy: f64,
    /// The dataset and its splits.
    #[serde(default)]
    pub task: TaskSpec,
    /// The architecture shared by every strategy. Optional with a
    /// `[pretrained]` model: then its `config.json` (BERT), or its tensors
    /// (MobileNetV2), describe it; when given, it must agree with the model.
    #[serde(default)]
    pub model: ModelSpec,
    /// How the backbone is pretrained on the source classes.
    #[serde(default)]
    pub pretrain: PretrainSpec,
    /// The sweep and its training budget.
    #[serde(default)]
    pub train: TrainSpec,
    /// Prices, energy constants, the label budget and the pretrained model's terms.
    #[serde(default)]
    pub cost: CostSpec,
    /// The architecture of the `baseline` strategy: the small model a team
    /// would build from scratch instead of reusing (e.g. an embedding bag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<ModelSpec>,
    /// A pretrained model given as files (Hugging Face layout) instead of pretrained here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretrained: Option<GivenModel>,
}

impl Suite {
    /// Loads a suite by built-in name or from a TOML file path.
    pub fn resolve(name_or_path: &str) -> Result<Suite> {
        if let Some(text) = builtin(name_or_path) {
            return Suite::parse(text, &format!("built-in '{name_or_path}'"));
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            let names: Vec<&str> = BUILTIN_SUITES.iter().map(|(n, _)| *n).collect();
            return Err(Error::Suite {
                origin: name_or_path.to_string(),
                message: format!(
                    "no built-in suite of that name and no such file; built-ins: {} (see `reuse-bench suites`)",
                    names.join(", ")
                ),
            });
        }
        Suite::parse(&fsio::read_to_string(path)?, &path.display().to_string())
    }

    /// Parses and validates TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Suite> {
        let fail = |message: String| Error::Suite {
            origin: origin.to_string(),
            message,
        };
        let mut suite: Suite = toml::from_str(text).map_err(|e| fail(e.to_string().trim_end().to_string()))?;
        let raw: toml::Table = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
        let target_classes_given = raw
            .get("task")
            .and_then(|t| t.as_table())
            .is_some_and(|t| t.contains_key("target_classes"));
        suite.task.normalise(target_classes_given).map_err(fail)?;
        if !raw.contains_key("model") {
            if let Some(given) = &suite.pretrained {
                // The given model's own description: its config.json as it is, or
                // (MobileNetV2) its tensors. A suite saved beside results spells it out.
                suite.model = given.recognise().map_err(|e| {
                    fail(format!(
                        "has no [model], so it is read from the [pretrained] model, which failed: {e}; add a [model] \
                         section"
                    ))
                })?;
            }
        }
        suite.validate().map_err(|message| Error::Suite {
            origin: origin.to_string(),
            message,
        })?;
        Ok(suite)
    }

    /// The suite as TOML, as saved beside results.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a suite always serialises")
    }

    /// The architecture `strategy` trains: the `[baseline]` model for `baseline`, else `[model]`.
    pub fn model_for(&self, strategy: Strategy) -> &ModelSpec {
        match (strategy, &self.baseline) {
            (Strategy::Baseline, Some(spec)) => spec,
            _ => &self.model,
        }
    }

    /// Whether any strategy needs the pretrained backbone.
    pub fn needs_pretrained(&self) -> bool {
        self.train.strategies.iter().any(|s| s.uses_pretrained())
    }

    /// The recipe of the backbone this suite pretrains in-house: what its
    /// cached checkpoint must have been made with.
    pub fn pretrain_recipe(&self) -> PretrainRecipe {
        PretrainRecipe {
            model: self.model.clone(),
            task: self.task.clone(),
            pretrain: self.pretrain.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses() {
        for (name, _) in BUILTIN_SUITES {
            Suite::resolve(name).unwrap();
        }
    }

    #[test]
    fn minimal_file_takes_defaults() {
        let s = Suite::parse("name = \"x\"\ntarget_accuracy = 0.7\n", "test").unwrap();
        assert_eq!(s.train, TrainSpec::default());
        assert_eq!(s.task, TaskSpec::default());
    }

    #[test]
    fn round_trips_through_toml() {
        let s = Suite::resolve("mnist1d").unwrap();
        assert_eq!(Suite::parse(&s.to_toml(), "round trip").unwrap(), s);
    }

    #[test]
    fn typos_and_bad_values_are_named() {
        let typo = Suite::parse("name = \"x\"\ntarget_accuracy = 0.7\n[train]\nseed = [1]\n", "f.toml").unwrap_err();
        assert!(
            typo.to_string().contains("f.toml") && typo.to_string().contains("seed"),
            "{typo}"
        );
        let bad = Suite::parse("name = \"x\"\ntarget_accuracy = 1.5\n", "f.toml").unwrap_err();
        assert!(bad.to_string().contains("target_accuracy"), "{bad}");
        let strat = Suite::parse(
            "name = \"x\"\ntarget_accuracy = 0.5\n[train]\nstrategies = [\"magic\"]\n",
            "f",
        )
        .unwrap_err();
        assert!(strat.to_string().contains("magic"), "{strat}");
        let big = Suite::parse(
            "name = \"x\"\ntarget_accuracy = 0.5\n[train]\nbudgets_per_class = [100000]\n",
            "f",
        )
        .unwrap_err();
        assert!(big.to_string().contains("samples_per_class"), "{big}");
        let missing = Suite::resolve("no-such-suite").unwrap_err();
        assert!(missing.to_string().contains("mnist1d"), "{missing}");
    }

    #[test]
    fn internal_model_kinds_are_not_a_users() {
        let err = Suite::parse(
            "name = \"x\"\ntarget_accuracy = 0.7\n[model]\narch = \"identity\"\ndim = 8\n",
            "f.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("f.toml") && err.contains("identity"), "{err}");
    }

    #[test]
    fn each_task_kind_checks_its_own_classes_and_pool() {
        let base = "name = \"x\"\ntarget_accuracy = 0.7\n";
        // MNIST-1D has ten classes.
        let err = Suite::parse(&format!("{base}[task]\ntarget_classes = [5, 12]\n"), "f").unwrap_err();
        assert!(err.to_string().contains("below 10"), "{err}");
        // The UCI digits pool is bounded by its smallest class, 174, minus the held-out examples.
        let digits = format!(
            "{base}[task]\nkind = \"digits\"\nsource_classes = [0, 1]\ntarget_classes = [0, 1]\n\
             target_val_per_class = 30\ntarget_test_per_class = 60\n[train]\nbudgets_per_class = [90]\n"
        );
        let err = Suite::parse(&digits, "f").unwrap_err();
        assert!(err.to_string().contains("UCI digits pool (84 per class"), "{err}");
        // A text task's classes are its labels, however many: not MNIST-1D's ten.
        let text = format!(
            "{base}[task]\nkind = \"text\"\npath = \"t.csv\"\ntokenizer = \"tok.json\"\n\
             classes = [\"a\", \"b\", \"c\"]\n[pretrained]\ndir = \"m\"\nname = \"m\"\n"
        );
        // Without [model] the given model's files describe it: absent, that is an error naming them.
        let err = Suite::parse(&text, "f").unwrap_err().to_string();
        assert!(
            err.contains("m/model.safetensors") && err.contains("add a [model]"),
            "{err}"
        );
        let text = format!("{text}[model]\narch = \"mlp\"\nhidden = 8\ndepth = 1\n");
        let s = Suite::parse(&text, "f").unwrap();
        assert_eq!(s.task.target_classes, vec![0, 1, 2]);
        // The saved suite (which then lists target_classes) parses back the same.
        assert_eq!(Suite::parse(&s.to_toml(), "saved").unwrap(), s);
        let numbered = text.replace("classes = [", "target_classes = [0, 1]\nclasses = [");
        let err = Suite::parse(&numbered, "f").unwrap_err().to_string();
        assert!(err.contains("by label in task.classes"), "{err}");
        let dup = Suite::parse(&format!("{base}[task]\ntarget_classes = [5, 5, 6]\n"), "f").unwrap_err();
        assert!(dup.to_string().contains("twice"), "{dup}");
    }

    #[test]
    fn duplicates_sizes_floats_and_limits_are_checked_up_front() {
        let base = "name = \"x\"\ntarget_accuracy = 0.7\n";
        let err = |body: &str| {
            Suite::parse(&format!("{base}{body}"), "s.toml")
                .unwrap_err()
                .to_string()
        };
        for (body, needle) in [
            (
                "[train]\nbudgets_per_class = [5, 10, 5]\n",
                "train.budgets_per_class lists 5 twice",
            ),
            ("[train]\nseeds = [0, 0]\n", "train.seeds lists 0 twice"),
            (
                "[train]\nstrategies = [\"probe\", \"probe\"]\n",
                "train.strategies lists Probe twice",
            ),
            ("[model]\narch = \"cnn\"\nchannels = 0\n", "model.channels = 0"),
            ("[model]\narch = \"mlp\"\nhidden = 0\ndepth = 2\n", "model.hidden = 0"),
            ("[model]\narch = \"mlp\"\nhidden = 8\ndepth = 0\n", "model.depth = 0"),
            (
                "[baseline]\narch = \"bag\"\nvocab_size = 10\nembedding_dim = 0\nhidden = 4\n",
                "baseline.embedding_dim = 0",
            ),
            ("[train]\nweight_decay = nan\n", "train.weight_decay = NaN"),
            ("[train]\nweight_decay = -1.0\n", "train.weight_decay = -1"),
            ("[pretrain]\nweight_decay = inf\n", "pretrain.weight_decay = inf"),
            (
                "[train]\nmin_steps_per_epoch = 4000000000\n",
                "train.min_steps_per_epoch = 4000000000 must be 1 to",
            ),
            ("[train]\nmax_epochs = 10000000\n", "train.max_epochs"),
            ("[task]\nsamples_per_class = 10000000\n", "task.samples_per_class"),
        ] {
            let e = err(body);
            assert!(e.contains("s.toml") && e.contains(needle), "{body}: {e}");
        }
    }

    #[test]
    fn huge_split_sizes_do_not_wrap_around() {
        // Sums of counts near i64::MAX wrapped around to small numbers, and
        // these absurd splits passed the checks.
        let max = i64::MAX;
        let base = "name = \"x\"\ntarget_accuracy = 0.7\n[task]\n";
        let source = format!("{base}source_val_per_class = {max}\nsource_test_per_class = {max}\n");
        let err = Suite::parse(&source, "f.toml").unwrap_err().to_string();
        assert!(
            err.contains("f.toml") && err.contains("no source training examples"),
            "{err}"
        );
        for kind in ["mnist1d", "digits"] {
            let target =
                format!("{base}kind = \"{kind}\"\ntarget_val_per_class = {max}\ntarget_test_per_class = {max}\n");
            let err = Suite::parse(&target, "f.toml").unwrap_err().to_string();
            assert!(err.contains("f.toml") && err.contains("exceeds"), "{kind}: {err}");
        }
    }

    #[test]
    fn unusable_rates_and_sizes_are_named() {
        // Each was accepted, to fail (or panic: zero heads divide by zero) in a worker.
        let base = "name = \"x\"\ntarget_accuracy = 0.7\n";
        let bert = "[model]\narch = \"bert\"\nvocab_size = 100\nhidden_size = 8\nnum_hidden_layers = 1\n\
                    num_attention_heads = 2\nintermediate_size = 16\nmax_position_embeddings = 16\n\
                    type_vocab_size = 2\nlayer_norm_eps = 1e-12\nhidden_dropout_prob = 0.1\n\
                    attention_probs_dropout_prob = 0.1\n";
        Suite::parse(&format!("{base}{bert}"), "f.toml").unwrap();
        for (text, expected) in [
            (
                format!("{base}[train]\nweight_decay = nan\n"),
                "train.weight_decay = NaN",
            ),
            (
                format!("{base}[pretrain]\nweight_decay = -1.0\n"),
                "pretrain.weight_decay = -1",
            ),
            (
                format!("{base}[model]\narch = \"mlp\"\nhidden = 8\ndepth = 0\n"),
                "model.depth",
            ),
            (
                format!("{base}[model]\narch = \"cnn\"\nchannels = 0\n"),
                "model.channels",
            ),
            (bert.replace("heads = 2", "heads = 0"), "model.num_attention_heads"),
            (bert.replace("heads = 2", "heads = 3"), "not a multiple"),
            (bert.replace("eps = 1e-12", "eps = inf"), "model.layer_norm_eps = inf"),
            (
                bert.replace("hidden_dropout_prob = 0.1", "hidden_dropout_prob = nan"),
                "model.hidden_dropout_prob",
            ),
            (
                bert.replace(
                    "attention_probs_dropout_prob = 0.1",
                    "attention_probs_dropout_prob = 1.0",
                ),
                "[0, 1)",
            ),
        ] {
            let text = if text.starts_with("[model]") {
                format!("{base}{text}")
            } else {
                text
            };
            let err = Suite::parse(&text, "f.toml").unwrap_err().to_string();
            assert!(err.contains("f.toml") && err.contains(expected), "{expected}: {err}");
        }
        let bag = format!("{base}[train]\nstrategies = [\"baseline\"]\n[baseline]\narch = \"bag\"\nvocab_size = 0\nembedding_dim = 4\nhidden = 4\n");
        let err = Suite::parse(&bag, "f.toml").unwrap_err().to_string();
        assert!(err.contains("baseline.vocab_size = 0"), "{err}");
    }

    #[test]
    fn quick_is_smaller_and_renamed() {
        let s = Suite::resolve("mnist1d").unwrap();
        let q = s.quick();
        assert!(q.train.budgets_per_class.len() <= 2 && q.train.seeds.len() <= 2);
        assert_ne!(q.name, s.name);
        q.validate().unwrap();
    }
}
