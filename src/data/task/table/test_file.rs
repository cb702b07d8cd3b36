//! A table task's held-out test file: the main file gives the pool and
//! validation, the test file every row of the target classes, its labels
//! matched to the main file's by name (the two files number their classes
//! independently, by their own sorted labels).

use super::load;
use crate::data::splits::{split_classes, ClassSplit};
use crate::data::TaskSpec;
use crate::{Error, Result};
use std::path::Path;

/// The target task with its test split from `test_path`: the main file gives
/// the pool and validation, the test file every row of the target classes
/// (its labels matched to the main file's by name).
pub(crate) fn target_with_test_file(spec: &TaskSpec) -> Result<ClassSplit> {
    let main = load(spec)?;
    let test_spec = TaskSpec {
        path: spec.test_path.clone(),
        labels_path: spec.test_labels_path.clone(),
        classes: Vec::new(),
        source_classes: Vec::new(),
        target_classes: Vec::new(),
        ..spec.clone()
    };
    let test = load(&test_spec)?;
    let test_path = spec.test_path.as_deref().unwrap_or(Path::new("?"));
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for i in 0..test.data.len() {
        let name = &test.class_names[test.data.labels[i] as usize];
        let Some(class) = main.class_names.iter().position(|n| n == name) else {
            return Err(Error::data(
                test_path.display(),
                format!(
                    "has the label '{name}', which {} does not have; the test set's labels must be the data's",
                    spec.path.as_deref().unwrap_or(Path::new("?")).display()
                ),
            ));
        };
        if let Some(position) = spec.target_classes.iter().position(|&c| c as usize == class) {
            rows.push(i);
            labels.push(position as u32);
        }
    }
    if test.data.feature_len != main.data.feature_len {
        return Err(Error::data(
            test_path.display(),
            format!(
                "has {} values per example, the data {}: the test set must be in the same format",
                test.data.feature_len, main.data.feature_len
            ),
        ));
    }
    let mut test_rows = test.data.select(&rows);
    test_rows.labels = labels;
    let split = split_classes(
        &main.data,
        &spec.target_classes,
        spec.target_val_per_class,
        0,
        "add rows to the data file",
    )?;
    if let Some(missing) = (0..spec.target_classes.len() as u32).find(|c| !test_rows.labels.contains(c)) {
        return Err(Error::data(
            test_path.display(),
            format!(
                "has no example of target class {} ({}): a test set holds every class under study",
                spec.target_classes[missing as usize], main.class_names[spec.target_classes[missing as usize] as usize]
            ),
        ));
    }
    Ok(ClassSplit {
        train: split.train,
        val: split.val,
        test: test_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::task::table::validate;
    use crate::data::TaskKind;

    fn spec(path: &Path) -> TaskSpec {
        TaskSpec {
            kind: TaskKind::Table,
            path: Some(path.to_path_buf()),
            label_column: Some("y".into()),
            ..TaskSpec::default()
        }
    }

    #[test]
    fn a_test_file_is_the_test_split() {
        let dir = tempfile::tempdir().unwrap();
        let (path, test) = (dir.path().join("t.csv"), dir.path().join("test.csv"));
        let rows = |n: usize| -> String { (0..n).map(|i| format!("{},{}\n", i, ["a", "b", "c"][i % 3])).collect() };
        std::fs::write(&path, format!("x,y\n{}", rows(30))).unwrap();
        std::fs::write(&test, "x,y\n1,c\n2,b\n3,a\n4,c\n").unwrap();
        let mut s = spec(&path);
        s.source_classes = vec![0];
        s.target_classes = vec![1, 2];
        s.target_val_per_class = 2;
        s.target_test_per_class = 0;
        s.test_path = Some(test.clone());
        validate(&s).unwrap();
        let split = target_with_test_file(&s).unwrap();
        // The test file's b and c rows, as target positions (b = 0, c = 1).
        let mut labels = split.test.labels.clone();
        labels.sort();
        assert_eq!(labels, vec![0, 1, 1]);
        assert_eq!(split.val.len(), 4);
        assert_eq!(split.train.len(), 20 - 4);
        std::fs::write(&test, "x,y\n1,c\n2,z\n").unwrap();
        let e = target_with_test_file(&s).unwrap_err().to_string();
        assert!(e.contains("test.csv") && e.contains("'z'"), "{e}");
        std::fs::write(&test, "x,y\n1,c\n").unwrap();
        let e = target_with_test_file(&s).unwrap_err().to_string();
        assert!(e.contains("no example of target class 1 (b)"), "{e}");
        s.target_test_per_class = 5;
        assert!(validate(&s).unwrap_err().contains("target_test_per_class = 0"));
    }
}
