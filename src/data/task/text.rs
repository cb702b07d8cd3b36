//! The text task: a CSV of texts and labels, tokenized with a Hugging Face
//! tokenizer; its backbone is always a given model (there is no source).

use super::TaskSpec;
use crate::data::csv_table::{load_text, Column};
use crate::data::splits::shuffled;
use crate::data::{text, Dataset};
use crate::{Error, Result};
use std::path::Path;

/// The longest example a suite may ask for, in tokens (BERT-family models take 512 at most).
const MAX_TOKENS: usize = 8192;

pub(super) fn describe(spec: &TaskSpec) -> String {
    format!(
        "text classification of {} (classes {}), {} tokens per example",
        spec.path.as_deref().unwrap_or(Path::new("?")).display(),
        spec.classes.join(", "),
        spec.max_tokens()
    )
}

/// The files are named, and each example has room for its special tokens.
pub(super) fn validate(spec: &TaskSpec) -> std::result::Result<(), String> {
    if spec.path.is_none() || spec.tokenizer.is_none() {
        return Err("a text task needs task.path (the CSV file) and task.tokenizer (tokenizer.json)".into());
    }
    if !(2..=MAX_TOKENS).contains(&spec.max_tokens()) {
        return Err(format!(
            "task.max_tokens = {} must be 2 (room for the special tokens) to {MAX_TOKENS}",
            spec.max_tokens()
        ));
    }
    if spec.classes.len() < 2 {
        return Err(
            "a text task names at least two classes by their label in task.classes, e.g. classes = [\"fresh\", \
             \"rotten\"]"
                .into(),
        );
    }
    let mut unique = spec.classes.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != spec.classes.len() {
        return Err(format!("task.classes = {:?} lists a label twice", spec.classes));
    }
    if let Some(both) = spec.classes.iter().find(|c| spec.drop_labels.contains(c)) {
        return Err(format!(
            "label '{both}' is both in task.classes and in task.drop_labels; keep it in one"
        ));
    }
    Ok(())
}

/// A text task has nothing to pretrain on.
pub(super) fn no_source(spec: &TaskSpec) -> Error {
    Error::setting(
        "task.kind = \"text\"",
        format!(
            "a text task ({}) has no source to pretrain on: its backbone is the suite's [pretrained] model",
            spec.path.as_deref().unwrap_or(Path::new("?")).display()
        ),
    )
}

/// The CSV file and the tokenizer exist.
pub(super) fn check_target(spec: &TaskSpec) -> Result<()> {
    for (key, path) in [("task.path", &spec.path), ("task.tokenizer", &spec.tokenizer)] {
        match path {
            Some(p) if p.is_file() => {}
            Some(p) => {
                return Err(Error::setting(
                    format!("{key} = {}", p.display()),
                    "no such file (for the built-in sentiment suite, `bash .ci/fetch-data.sh data` fetches it)",
                ))
            }
            None => return Err(Error::setting(key, "required for a text task")),
        }
    }
    Ok(())
}

/// The labelled texts of a text task, minus the dropped labels, as token ids
/// in a seed-fixed order. Classes are the remaining label values in sorted order.
pub(super) fn dataset(spec: &TaskSpec) -> Result<Dataset> {
    let (Some(path), Some(tokenizer)) = (&spec.path, &spec.tokenizer) else {
        return Err(Error::setting(
            "task.path",
            "a text task needs task.path and task.tokenizer",
        ));
    };
    let text_col = Column::Name(spec.text_column.clone().unwrap_or_else(|| "text".into()));
    let label_col = Column::Name(spec.label_column.clone().unwrap_or_else(|| "label".into()));
    let loaded = load_text(path, &text_col, &label_col)?;
    check_labels(spec, path, &loaded.class_names, &loaded.data.labels)?;
    let mut texts = Vec::new();
    let mut labels = Vec::new();
    for (text, &label) in loaded.data.texts.iter().zip(&loaded.data.labels) {
        let name = &loaded.class_names[label as usize];
        if let Some(class) = spec.classes.iter().position(|k| k == name) {
            texts.push(text.clone());
            labels.push(class as u32);
        }
    }
    let tokens = text::tokenize(&texts, labels, tokenizer, spec.max_tokens())?.0;
    Ok(shuffled(tokens, spec.seed))
}

/// Every label in the file is a class or dropped, and every class occurs.
fn check_labels(spec: &TaskSpec, path: &Path, names: &[String], labels: &[u32]) -> Result<()> {
    let rows_of = |name: &str| {
        let id = names.iter().position(|n| n == name);
        labels.iter().filter(|&&l| Some(l as usize) == id).count()
    };
    for name in names {
        if !spec.classes.contains(name) && !spec.drop_labels.contains(name) {
            return Err(Error::data(
                path.display(),
                format!(
                    "label '{name}' ({} rows) is neither in task.classes {:?} nor in task.drop_labels; add it to \
                     one of them",
                    rows_of(name),
                    spec.classes
                ),
            ));
        }
    }
    if let Some(missing) = spec.classes.iter().find(|c| !names.contains(c)) {
        return Err(Error::data(
            path.display(),
            format!(
                "no row has the label '{missing}' of task.classes; the labels in the file are {}",
                names.join(", ")
            ),
        ));
    }
    Ok(())
}
