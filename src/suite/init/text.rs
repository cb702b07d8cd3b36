//! `init DATA --format text --pretrained MODEL`: a suite for a CSV of texts
//! and labels, reusing a given BERT-family model (a folder in Hugging Face
//! layout, or `hf:ORG/NAME`): its `config.json` describes the model as it is
//! (the suite leaves `[model]` out), its `tokenizer.json` tokenizes the texts.
//! The recipe is the built-in sentiment suite's.

use super::render::quoted;
use super::{budgets_within, held_out, InitRequest};
use crate::data::csv_table::{load_text, Column};
use crate::model::ModelSpec;
use crate::suite::Suite;
use crate::{Error, Result};

/// What `init` found in a text CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct TextInspection {
    /// Each class's label, sorted.
    pub class_names: Vec<String>,
    /// Texts per class.
    pub counts: Vec<usize>,
    /// The longest text, in characters (a hint for `max_tokens`).
    pub longest_chars: usize,
}

/// Held-out examples per class and label budgets of a text suite.
struct TextPlan {
    val: usize,
    test: usize,
    budgets: Vec<usize>,
}

/// The suite's training and prices, as the built-in sentiment suite has them.
const TRAINING: &str = "[train]
strategies = [\"scratch\", \"finetune\", \"probe\", \"baseline\"]
";

/// The rest of `[train]`, its learning rates and the start of `[cost]`.
const LOOP_AND_PRICES: &str = "max_epochs = 8
min_steps_per_epoch = 8
patience = 3
batch_size = 16
weight_decay = 0.01
threads = 2

[train.learning_rate]
scratch = 0.0003
finetune = 0.0001
probe = 0.01
baseline = 0.01

[cost]
instance = \"gcp/e2-standard-2\"
usd_per_label = 0.035
";

impl InitRequest {
    /// The column holding the text (default `text`).
    fn text_column(&self) -> String {
        self.text_column.clone().unwrap_or_else(|| "text".into())
    }

    /// The column holding the label (default `label`).
    fn text_label_column(&self) -> String {
        self.label_column.clone().unwrap_or_else(|| "label".into())
    }

    /// The given model a text suite reuses: there is no text source to pretrain on.
    fn text_model(&self) -> Result<&crate::suite::GivenModel> {
        self.pretrained.as_ref().ok_or_else(|| {
            Error::setting(
                "--format text",
                "a text task reuses a given model: add --pretrained DIR|hf:ORG/NAME (a folder with config.json, \
                 model.safetensors and tokenizer.json)",
            )
        })
    }

    /// Reads the text CSV and counts its classes.
    pub fn inspect_text(&self) -> Result<TextInspection> {
        self.text_model()?;
        if !self.data.is_file() {
            return Err(Error::setting(format!("init {}", self.data.display()), "no such file"));
        }
        let loaded = load_text(
            &self.data,
            &Column::Name(self.text_column()),
            &Column::Name(self.text_label_column()),
        )?;
        let mut counts = vec![0usize; loaded.class_names.len()];
        for &y in &loaded.data.labels {
            counts[y as usize] += 1;
        }
        if counts.len() < 2 {
            return Err(Error::data(
                self.data.display(),
                format!(
                    "has {} label(s) in column '{}': a task needs two",
                    counts.len(),
                    self.text_label_column()
                ),
            ));
        }
        Ok(TextInspection {
            class_names: loaded.class_names,
            counts,
            longest_chars: loaded.data.texts.iter().map(|t| t.chars().count()).max().unwrap_or(0),
        })
    }

    /// The suite for a text CSV, as commented TOML that `run --suite` accepts.
    pub fn text_suite_toml(&self, found: &TextInspection) -> Result<String> {
        let given = self.text_model()?;
        let ModelSpec::Bert(config) = given.recognise()? else {
            return Err(Error::setting(
                "--pretrained",
                format!(
                    "{} is not a BERT-family model (no config.json): text needs one",
                    given.name
                ),
            ));
        };
        let tokenizer = given.dir.join("tokenizer.json");
        if !tokenizer.is_file() {
            return Err(Error::Checkpoint {
                path: tokenizer,
                message: "not found: a text task tokenizes with the model's own tokenizer.json".into(),
            });
        }
        let plan = self.text_plan(found)?;
        let text = self.render_text(found, given, &config, &tokenizer, &plan);
        Suite::parse(&text, "the suite `reuse-bench init` wrote")?;
        Ok(text)
    }

    /// Validation and test per class, and the label budgets that fit.
    fn text_plan(&self, found: &TextInspection) -> Result<TextPlan> {
        let smallest = found.counts.iter().copied().min().unwrap_or(0);
        let (val, test) = held_out(smallest);
        let pool = smallest.saturating_sub(val + test);
        let budgets = budgets_within(pool);
        if budgets.len() < 2 {
            let at = found.counts.iter().position(|&c| c == smallest).unwrap_or(0);
            return Err(Error::data(
                self.data.display(),
                format!(
                    "its smallest class, '{}', has {smallest} texts: after {val} for validation and {test} for test, \
                     too few for two label budgets; add texts, or remove that label's rows",
                    found.class_names[at]
                ),
            ));
        }
        Ok(TextPlan { val, test, budgets })
    }

    /// The suite's TOML text.
    fn render_text(
        &self,
        found: &TextInspection,
        given: &crate::suite::GivenModel,
        config: &crate::model::bert::BertConfig,
        tokenizer: &std::path::Path,
        plan: &TextPlan,
    ) -> String {
        let TextPlan { val, test, budgets } = plan;
        let counts: Vec<String> = found
            .class_names
            .iter()
            .zip(&found.counts)
            .map(|(n, c)| format!("{n}: {c}"))
            .collect();
        let classes: Vec<String> = found.class_names.iter().map(|n| quoted(n)).collect();
        let mut t = vec![
            format!(
                "# Written by `reuse-bench init {} --format text`: edit freely.",
                self.data.display()
            ),
            format!(
                "# The data: a text CSV, {} classes (texts per class: {}); the longest text has {} characters.",
                found.class_names.len(),
                counts.join(", "),
                found.longest_chars
            ),
            format!("name = {}", quoted(&super::render::suite_name(self))),
            format!(
                "description = {}",
                quoted(&format!(
                    "{}: {} fine-tuned or probed vs the same model from scratch and an embedding bag",
                    self.data.display(),
                    given.name
                ))
            ),
            "# The test accuracy the verdict asks for: set it to what your application needs.".into(),
            "target_accuracy = 0.8".into(),
            String::new(),
            "[task]".into(),
            "kind = \"text\"".into(),
            "seed = 42".into(),
            format!("path = {}", quoted(&self.data.display().to_string())),
            format!("text_column = {}", quoted(&self.text_column())),
            format!("label_column = {}", quoted(&self.text_label_column())),
            format!("tokenizer = {}", quoted(&tokenizer.display().to_string())),
            format!(
                "# Tokens per text, special tokens included: longer texts are cut (the model takes at most {}).",
                config.max_position_embeddings
            ),
            format!("max_tokens = {}", config.max_position_embeddings.min(64)),
            "# Every label of the file is a class (list one in drop_labels = [...] to leave its rows out).".into(),
            format!("classes = [{}]", classes.join(", ")),
            "# Held out per class, sized from the smallest class (a tenth for validation, a fifth for test).".into(),
            format!("target_val_per_class = {val}"),
            format!("target_test_per_class = {test}"),
            String::new(),
            format!(
                "# No [model]: the given model's config.json describes it as it is (BERT, {} layers, hidden {}).",
                config.num_hidden_layers, config.hidden_size
            ),
            "# What a team would build from scratch instead: an embedding bag on the same tokenizer.".into(),
            "[baseline]".into(),
            "arch = \"bag\"".into(),
            format!("vocab_size = {}", config.vocab_size),
            "embedding_dim = 64".into(),
            "hidden = 64".into(),
            String::new(),
            "# The pretrained model, read from here on every run (nothing is downloaded).".into(),
            "[pretrained]".into(),
            format!("dir = {}", quoted(&given.dir.display().to_string())),
            format!("name = {}", quoted(&given.name)),
            String::new(),
            TRAINING.trim_end().into(),
            "# Labels per class: up to what the smallest class leaves after validation and test.".into(),
            format!("budgets_per_class = {budgets:?}"),
            "seeds = [0, 1]".into(),
            LOOP_AND_PRICES.trim_end().into(),
            "# The labels per class you can afford: the verdict picks among budgets up to it.".into(),
            format!("label_budget_per_class = {}", budgets[budgets.len() / 2]),
        ];
        t.push(String::new());
        t.join("\n")
    }
}
