//! The suite `init` writes, as commented TOML: what it found in the data
//! and why each number is what it is, so a user can review and edit it.

use super::{InitRequest, Inspection};
use crate::data::TaskSpec;

/// The model, pretraining and the start of `[train]`, as the built-in digits suite has them.
const MODEL_AND_TRAINING: &str = "[model]
arch = \"mlp\"
hidden = 128
depth = 2

[pretrain]
epochs = 20
patience = 4
batch_size = 128
learning_rate = 0.002
weight_decay = 0.01
seed = 0

[train]
strategies = [\"scratch\", \"finetune\", \"probe\"]
";

/// The rest of `[train]`, its learning rates and the start of `[cost]`.
const LOOP_AND_PRICES: &str = "max_epochs = 100
min_steps_per_epoch = 20
patience = 15
batch_size = 32
weight_decay = 0.01
# One thread per worker: an MLP this size gains nothing from a second.
threads = 1

[train.learning_rate]
scratch = 0.003
finetune = 0.001
probe = 0.01

[cost]
instance = \"gcp/e2-standard-2\"
usd_per_label = 0.035
";

/// A TOML string literal.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `class = label` for each class, e.g. `0 = cat, 1 = dog`.
fn named(found: &Inspection, classes: &[u32]) -> String {
    classes
        .iter()
        .map(|&c| format!("{c} = {}", found.class_names[c as usize]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The suite's name: the data file's name up to its first dot, in safe characters.
fn suite_name(req: &InitRequest) -> String {
    let stem = req
        .data
        .file_name()
        .map_or("data".into(), |n| n.to_string_lossy().to_string());
    let base: String = stem
        .split('.')
        .next()
        .unwrap_or("data")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .collect();
    format!("{base}-reuse")
}

/// The header and `[task]`.
fn task_section(req: &InitRequest, found: &Inspection, task: &TaskSpec) -> String {
    let counts: Vec<String> = found
        .class_names
        .iter()
        .zip(&found.counts)
        .map(|(n, c)| format!("{n}: {c}"))
        .collect();
    let format = found.format.name();
    let all: Vec<u32> = (0..found.class_names.len() as u32).collect();
    let mut lines = vec![
        format!("# Written by `reuse-bench init {}`: edit freely.", req.data.display()),
        format!(
            "# The data: {format} format, {} values per example, {} classes (examples per class: {}).",
            found.feature_len,
            found.class_names.len(),
            counts.join(", ")
        ),
        format!("name = {}", quoted(&suite_name(req))),
        format!(
            "description = {}",
            quoted(&format!(
                "{}: an MLP pretrained on classes {} vs trained from scratch on the others",
                req.data.display(),
                named(found, &task.source_classes)
            ))
        ),
        "# The test accuracy the verdict asks for: set it to what your application needs.".into(),
        "target_accuracy = 0.8".into(),
        String::new(),
        "[task]".into(),
        "kind = \"table\"".into(),
        "seed = 42".into(),
        format!("path = {}", quoted(&req.data.display().to_string())),
    ];
    if let Some(labels) = &task.labels_path {
        lines.push(format!("labels_path = {}", quoted(&labels.display().to_string())));
    }
    if let Some(test) = &task.test_path {
        lines.push("# The held-out test set: all of its rows of the target classes.".into());
        lines.push(format!("test_path = {}", quoted(&test.display().to_string())));
    }
    if let Some(labels) = &task.test_labels_path {
        lines.push(format!("test_labels_path = {}", quoted(&labels.display().to_string())));
    }
    if let Some(col) = &task.label_column {
        lines.push(format!("label_column = {}", quoted(col)));
    }
    lines.extend([
        format!("# Classes are numbered by their sorted labels: {}.", named(found, &all)),
        format!(
            "classes = [{}]",
            found
                .class_names
                .iter()
                .map(|n| quoted(n))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "# The backbone pretrains on the source classes; the label sweep studies the target classes.".into(),
        format!("source_classes = {:?}", task.source_classes),
        format!("target_classes = {:?}", task.target_classes),
        if task.test_path.is_some() {
            "# Held out per class, sized from the smallest class (a tenth for validation; test is the test file)."
                .into()
        } else {
            "# Held out per class, sized from the smallest class (a tenth for validation, a fifth for test).".into()
        },
        format!("source_val_per_class = {}", task.source_val_per_class),
        format!("source_test_per_class = {}", task.source_test_per_class),
        format!("target_val_per_class = {}", task.target_val_per_class),
        format!("target_test_per_class = {}", task.target_test_per_class),
        String::new(),
        format!(
            "# A multilayer perceptron on the {} values of each example.",
            found.feature_len
        ),
    ]);
    lines.join("\n") + "\n"
}

/// The whole suite.
pub(super) fn render(req: &InitRequest, found: &Inspection, task: &TaskSpec, budgets: &[usize]) -> String {
    let mut t = task_section(req, found, task);
    t.push_str(MODEL_AND_TRAINING);
    t.push_str("# Labels per class: up to what the smallest target class leaves after validation and test.\n");
    t.push_str(&format!("budgets_per_class = {budgets:?}\nseeds = [0, 1, 2]\n"));
    t.push_str(LOOP_AND_PRICES);
    t.push_str("# The labels per class you can afford: the verdict picks among budgets up to it.\n");
    t.push_str(&format!("label_budget_per_class = {}\n", budgets[budgets.len() / 2]));
    t
}
