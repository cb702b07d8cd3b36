//! A table task's source dataset from a second file (`task.source_path`):
//! the backbone pretrains on its `source_classes`, numbered by that file's
//! own sorted labels, and must read examples of the target's length. CSV
//! features are standardised per file, each over its own rows.

use super::{check_target, files_exist, load};
use crate::data::{Dataset, TaskSpec};
use crate::{Error, Result};

/// What the file names alone can be checked for.
pub(super) fn validate(spec: &TaskSpec) -> std::result::Result<(), String> {
    match (&spec.source_path, &spec.source_labels_path) {
        (None, Some(_)) => {
            Err("task.source_labels_path belongs with task.source_path (the source's IDX images)".into())
        }
        (Some(_), _) if spec.source_classes.is_empty() => Err(
            "task.source_path is a dataset to pretrain on: list its classes to use in task.source_classes (numbered \
             by its sorted labels; `reuse-bench init DATA --source DATA2` writes them)"
                .into(),
        ),
        (Some(_), labels) if labels.is_some() != spec.labels_path.is_some() => Err(
            "an IDX task's source names both task.source_path and task.source_labels_path (or neither, for CSV or \
             an image folder)"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// The spec that reads the source file as a table task of its own.
fn source_spec(spec: &TaskSpec) -> Option<TaskSpec> {
    Some(TaskSpec {
        path: Some(spec.source_path.clone()?),
        labels_path: spec.source_labels_path.clone(),
        source_path: None,
        source_labels_path: None,
        test_path: None,
        test_labels_path: None,
        classes: Vec::new(),
        source_classes: Vec::new(),
        target_classes: Vec::new(),
        ..spec.clone()
    })
}

/// The dataset the source classes are drawn from: the source file, checked
/// against the suite's classes and the target's example length, or the
/// task's own file.
pub(crate) fn source_dataset(spec: &TaskSpec) -> Result<Dataset> {
    let Some(source) = source_spec(spec) else {
        return Ok(load(spec)?.data);
    };
    let path = source.path.clone().expect("set");
    let loaded = load(&source)?;
    let k = loaded.class_names.len();
    if let Some(c) = spec.source_classes.iter().find(|&&c| c as usize >= k) {
        return Err(Error::data(
            path.display(),
            format!(
                "task.source_classes names class {c}, but this source has {k} classes (0-{}: {})",
                k.saturating_sub(1),
                loaded.class_names.join(", ")
            ),
        ));
    }
    let target_len = load(spec)?.data.feature_len;
    if loaded.data.feature_len != target_len {
        return Err(Error::data(
            path.display(),
            format!(
                "has {} values per example, the task's data {target_len}: a source must be in the same shape \
                 (for image folders, set task.image_size)",
                loaded.data.feature_len
            ),
        ));
    }
    Ok(loaded.data)
}

/// The source's files exist (the task's own, when it has no source file).
pub(crate) fn check_source(spec: &TaskSpec) -> Result<()> {
    check_target(spec)?;
    files_exist(&[
        ("task.source_path", &spec.source_path),
        ("task.source_labels_path", &spec.source_labels_path),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TaskKind;

    #[test]
    fn a_second_file_is_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let (target, source) = (dir.path().join("t.csv"), dir.path().join("s.csv"));
        let rows = |n: usize, labels: &[&str]| -> String {
            (0..n)
                .map(|i| format!("{},{},{}\n", i, i * 2, labels[i % labels.len()]))
                .collect()
        };
        std::fs::write(&target, format!("x,z,y\n{}", rows(30, &["a", "b"]))).unwrap();
        std::fs::write(&source, format!("x,z,y\n{}", rows(40, &["p", "q", "r", "s"]))).unwrap();
        let mut spec = TaskSpec {
            kind: TaskKind::Table,
            path: Some(target.clone()),
            label_column: Some("y".into()),
            source_path: Some(source.clone()),
            source_classes: vec![0, 1, 2, 3],
            target_classes: vec![0, 1],
            source_val_per_class: 2,
            source_test_per_class: 2,
            target_val_per_class: 2,
            target_test_per_class: 2,
            ..TaskSpec::default()
        };
        // Overlapping class numbers are fine: they are other files' classes.
        super::super::validate(&spec).unwrap();
        let split = spec.source_task().unwrap();
        assert_eq!(split.train.len(), 4 * (10 - 4));
        assert_eq!(spec.target_task().unwrap().train.len(), 2 * (15 - 4));
        spec.source_classes = vec![0, 7];
        let e = spec.source_task().unwrap_err().to_string();
        assert!(
            e.contains("s.csv") && e.contains("class 7") && e.contains("p, q, r, s"),
            "{e}"
        );
        std::fs::write(&source, "x,y\n1,p\n2,q\n").unwrap();
        spec.source_classes = vec![0, 1];
        let e = spec.source_task().unwrap_err().to_string();
        assert!(e.contains("s.csv") && e.contains("same shape"), "{e}");
        spec.source_classes.clear();
        assert!(super::super::validate(&spec)
            .unwrap_err()
            .contains("task.source_classes"));
        spec.source_path = Some(dir.path().join("absent.csv"));
        spec.source_classes = vec![0];
        let e = spec.check_source().unwrap_err().to_string();
        assert!(e.contains("task.source_path") && e.contains("absent.csv"), "{e}");
    }
}
