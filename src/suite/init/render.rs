//! The suite `init` writes, as commented TOML: what it found in the data
//! and why each number is what it is, so a user can review and edit it.

use super::{InitRequest, Inspection};
use crate::data::TaskSpec;
use crate::model::ModelSpec;

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

/// `[train]` and `[cost]` for a given zoo image model, as the built-in vision suite has them.
const REUSE_LOOP_AND_PRICES: &str = "max_epochs = 6
min_steps_per_epoch = 5
patience = 6
batch_size = 32
weight_decay = 0.01
threads = 2

[train.learning_rate]
scratch = 0.001
finetune = 0.0005
probe = 0.01
baseline = 0.003

[cost]
instance = \"gcp/e2-standard-2\"
usd_per_label = 0.035
";

/// A TOML string literal.
pub(super) fn quoted(s: &str) -> String {
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
pub(super) fn suite_name(req: &InitRequest) -> String {
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

/// The suite's one-line description: what is compared with what.
fn description(req: &InitRequest, found: &Inspection, task: &TaskSpec, model: Option<&ModelSpec>) -> String {
    match (model, &req.pretrained) {
        (Some(m), Some(given)) => format!(
            "{}: {} ({}) fine-tuned or probed vs the same network from scratch and a small baseline",
            req.data.display(),
            given.name,
            m.describe()
        ),
        _ => match &task.source_path {
            Some(source) => format!(
                "{}: an MLP pretrained on {} vs trained from scratch",
                req.data.display(),
                source.display()
            ),
            None => format!(
                "{}: an MLP pretrained on classes {} vs trained from scratch on the others",
                req.data.display(),
                named(found, &task.source_classes)
            ),
        },
    }
}

/// The header and `[task]`.
fn task_section(req: &InitRequest, found: &Inspection, task: &TaskSpec, model: Option<&ModelSpec>) -> String {
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
        format!("description = {}", quoted(&description(req, found, task, model))),
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
        if model.is_some() {
            "# The pretrained model is given, so no class is held back for pretraining: all are studied.".into()
        } else {
            "# The backbone pretrains on the source classes; the label sweep studies the target classes.".into()
        },
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
    ]);
    if model.is_none() {
        lines.push(format!(
            "# A multilayer perceptron on the {} values of each example.",
            found.feature_len
        ));
    }
    lines.join("\n") + "\n"
}

/// `[model]`, `[baseline]`, `[pretrained]` and the start of `[train]` for a given model.
fn given_model_section(req: &InitRequest, model: &ModelSpec) -> String {
    let given = req.pretrained.as_ref().expect("a given model");
    let mut lines = vec![format!("# {}.", model.describe())];
    if let ModelSpec::MobileNetV2 { image_size } = model {
        lines.extend([
            "# Images are resized to image_size (bilinear), grey replicated to RGB, normalised as for ImageNet;".into(),
            "# ImageNet's own size is 224 (better features, about 12x the arithmetic of 64).".into(),
            "[model]".into(),
            "arch = \"mobilenetv2\"".into(),
            format!("image_size = {image_size}"),
            String::new(),
            "# What a team would build instead: a small CNN on the pixels as they are.".into(),
            "[baseline]".into(),
            "arch = \"cnn2d\"".into(),
            "channels = 16".into(),
        ]);
    }
    lines.extend([
        String::new(),
        "# The pretrained model, read from here on every run (nothing is downloaded).".into(),
        "[pretrained]".into(),
        format!("dir = {}", quoted(&given.dir.display().to_string())),
    ]);
    if let Some(file) = &given.file {
        lines.push(format!("file = {}", quoted(file)));
    }
    lines.extend([
        format!("name = {}", quoted(&given.name)),
        String::new(),
        "[train]".into(),
        "strategies = [\"scratch\", \"finetune\", \"probe\", \"baseline\"]".into(),
    ]);
    lines.join("\n") + "\n"
}

/// Names the source file in `[task]` (after `source_classes`), with its
/// classes by label.
fn with_source_file(text: &str, task: &TaskSpec, path: &std::path::Path, names: &[String]) -> String {
    let labelled: Vec<String> = names.iter().enumerate().map(|(i, n)| format!("{i} = {n}")).collect();
    let mut lines = vec![
        format!(
            "# The backbone pretrains on every class of a second dataset, numbered by its sorted labels: {}.",
            labelled.join(", ")
        ),
        format!("source_path = {}", quoted(&path.display().to_string())),
    ];
    if let Some(labels) = &task.source_labels_path {
        lines.push(format!(
            "source_labels_path = {}",
            quoted(&labels.display().to_string())
        ));
    }
    let at = format!("source_classes = {:?}", task.source_classes);
    text.replacen(&at, &format!("{}\n{at}", lines.join("\n")), 1)
}

/// The whole suite; `model` is a given pretrained model's architecture.
pub(super) fn render(
    req: &InitRequest,
    found: &Inspection,
    task: &TaskSpec,
    budgets: &[usize],
    model: Option<&ModelSpec>,
    source_names: Option<&[String]>,
) -> String {
    let mut t = task_section(req, found, task, model);
    if let (Some(names), Some(path)) = (source_names, &task.source_path) {
        t = with_source_file(&t, task, path, names);
    }
    t.push_str(&match model {
        Some(m) => given_model_section(req, m),
        None => MODEL_AND_TRAINING.to_string(),
    });
    t.push_str("# Labels per class: up to what the smallest target class leaves after validation and test.\n");
    t.push_str(&format!("budgets_per_class = {budgets:?}\nseeds = [0, 1, 2]\n"));
    t.push_str(if model.is_some() {
        REUSE_LOOP_AND_PRICES
    } else {
        LOOP_AND_PRICES
    });
    t.push_str("# The labels per class you can afford: the verdict picks among budgets up to it.\n");
    t.push_str(&format!("label_budget_per_class = {}\n", budgets[budgets.len() / 2]));
    t
}
