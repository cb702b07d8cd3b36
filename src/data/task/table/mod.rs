//! The user's own data as the task: a CSV of features and a label column, an
//! IDX pair (images and labels, e.g. MNIST or Fashion-MNIST), or an image
//! folder (one sub-folder of PNG or JPEG files per class).
//!
//! Classes are the file's distinct label values in sorted order (numbers
//! numerically first, then words), numbered from 0: `source_classes` (the
//! in-house pretraining task) and `target_classes` (the label sweep) are
//! those numbers, as `reuse-bench init` writes them with their labels in a
//! comment (an image folder's classes are its sub-folders, sorted by name).
//! CSV features are standardised per column over the whole file (no labels
//! used); IDX and image pixels are scaled to [0, 1] and flattened.

mod source_file;
mod test_file;

pub(super) use source_file::{check_source, source_dataset};
pub(super) use test_file::target_with_test_file;

use super::TaskSpec;
use crate::data::csv_table::{load_numeric, Column, Header, Labelled};
use crate::data::images::{read_folder, ImageLayout};
use crate::data::splits::shuffled;
use crate::data::{idx, Dataset};
use crate::{Error, Result};
use std::path::Path;

/// The file formats a table task reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// A CSV file of numeric features and a label column.
    Csv,
    /// An IDX images file and an IDX labels file.
    Idx,
    /// A folder of class sub-folders of PNG or JPEG files.
    Images,
}

impl TableFormat {
    /// The format of a table task: IDX when it names a labels file, images
    /// when its path is a folder, else CSV.
    pub fn of(spec: &TaskSpec) -> TableFormat {
        if spec.labels_path.is_some() {
            TableFormat::Idx
        } else if spec.path.as_deref().is_some_and(Path::is_dir) {
            TableFormat::Images
        } else {
            TableFormat::Csv
        }
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            TableFormat::Csv => "CSV",
            TableFormat::Idx => "IDX",
            TableFormat::Images => "image folder",
        }
    }
}

pub(super) fn describe(spec: &TaskSpec) -> String {
    let named = |classes: &[u32]| -> String {
        classes
            .iter()
            .map(|&c| match spec.classes.get(c as usize) {
                Some(name) => format!("{c} = {name}"),
                None => c.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let source = match &spec.source_path {
        Some(path) => format!("classes {:?} of {}", spec.source_classes, path.display()),
        None => named(&spec.source_classes),
    };
    format!(
        "{} ({}; target classes {}; source classes {source})",
        spec.path.as_deref().unwrap_or(Path::new("?")).display(),
        TableFormat::of(spec).name(),
        named(&spec.target_classes),
    )
}

/// The file is named, and the two class lists do not overlap.
pub(super) fn validate(spec: &TaskSpec) -> std::result::Result<(), String> {
    if spec.path.is_none() {
        return Err(
            "a table task needs task.path: a CSV file (with task.label_column), or an IDX images file (with \
             task.labels_path)"
                .into(),
        );
    }
    if spec.target_classes.len() < 2 {
        return Err("task.target_classes must list at least two classes (`reuse-bench init DATA` lists them)".into());
    }
    if !spec.classes.is_empty() {
        let k = spec.classes.len() as u32;
        if let Some(c) = own_classes(spec).find(|&&c| c >= k) {
            return Err(format!(
                "class {c} is not among the {k} labels of task.classes ({})",
                spec.classes.join(", ")
            ));
        }
    }
    if spec.test_path.is_some() && spec.target_test_per_class != 0 {
        return Err(format!(
            "task.test_path is the test set: set task.target_test_per_class = 0 (it is {})",
            spec.target_test_per_class
        ));
    }
    if spec.test_labels_path.is_some() != (spec.test_path.is_some() && spec.labels_path.is_some()) {
        return Err("an IDX task's test set names both task.test_path and task.test_labels_path".into());
    }
    source_file::validate(spec)?;
    let same_file = spec.source_path.is_none();
    if let Some(both) = spec
        .source_classes
        .iter()
        .find(|c| same_file && spec.target_classes.contains(c))
    {
        return Err(format!(
            "class {both} is in both task.source_classes and task.target_classes: pretraining on the classes \
             under study would leak them; keep it in one"
        ));
    }
    Ok(())
}

/// The classes the suite numbers by this file's labels: the target classes,
/// and the source classes unless they come from `source_path`.
fn own_classes(spec: &TaskSpec) -> impl Iterator<Item = &u32> {
    let source: &[u32] = if spec.source_path.is_none() {
        &spec.source_classes
    } else {
        &[]
    };
    source.iter().chain(&spec.target_classes)
}

/// The file's examples with their labels as class numbers, and the labels' names.
pub fn load(spec: &TaskSpec) -> Result<Labelled<Dataset>> {
    let Some(path) = spec.path.as_deref() else {
        return Err(Error::setting("task.path", "required for a table task"));
    };
    let mut loaded = match (TableFormat::of(spec), spec.labels_path.as_deref()) {
        (TableFormat::Idx, Some(labels)) => load_idx(path, labels)?,
        (TableFormat::Images, _) => {
            let layout = ImageLayout {
                size: spec.image_size.map(|[w, h]| (w, h)),
                grayscale: spec.grayscale.unwrap_or(true),
            };
            let folder = read_folder(path, layout)?;
            Labelled {
                data: folder.data,
                class_names: folder.class_names,
            }
        }
        _ => {
            let label = Column::Name(spec.label_column.clone().unwrap_or_else(|| "label".into()));
            let mut t = load_numeric(path, &label, Header::Yes)?;
            standardise(&mut t.data);
            t
        }
    };
    check_classes(spec, path, &mut loaded)?;
    loaded.data = shuffled(loaded.data, spec.seed);
    Ok(loaded)
}

/// An IDX pair as flattened pixels in [0, 1], classes the sorted label values.
fn load_idx(images: &Path, labels: &Path) -> Result<Labelled<Dataset>> {
    let (x, y) = idx::read_pair(images, labels)?;
    if x.items() == 0 {
        return Err(Error::data(images.display(), "holds no images"));
    }
    let mut values: Vec<u8> = y.clone();
    values.sort_unstable();
    values.dedup();
    let class_of = |v: u8| values.binary_search(&v).expect("every label is a value") as u32;
    Ok(Labelled {
        data: Dataset {
            features: x.data.iter().map(|&p| p as f32 / 255.0).collect(),
            labels: y.iter().map(|&v| class_of(v)).collect(),
            feature_len: x.item_len(),
        },
        class_names: values.iter().map(|v| v.to_string()).collect(),
    })
}

/// Each feature to zero mean and unit variance over the rows (a constant
/// column becomes zeros), so one learning rate suits every column.
fn standardise(ds: &mut Dataset) {
    let (n, w) = (ds.len(), ds.feature_len);
    if n == 0 {
        return;
    }
    for j in 0..w {
        let column = (0..n).map(|i| ds.features[i * w + j] as f64);
        let mean = column.clone().sum::<f64>() / n as f64;
        let var = column.map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        let scale = if var > 0.0 { 1.0 / var.sqrt() } else { 0.0 };
        for i in 0..n {
            let v = &mut ds.features[i * w + j];
            *v = ((*v as f64 - mean) * scale) as f32;
        }
    }
}

/// Every class the suite names is in the file, and the labels it lists are
/// the file's. IDX labels are bare numbers, so for an IDX pair `task.classes`
/// names them instead (one name per label value, in order).
fn check_classes(spec: &TaskSpec, path: &Path, loaded: &mut Labelled<Dataset>) -> Result<()> {
    let numbered = TableFormat::of(spec) == TableFormat::Idx;
    if numbered && !spec.classes.is_empty() && spec.classes.len() == loaded.class_names.len() {
        loaded.class_names.clone_from(&spec.classes);
    }
    if !spec.classes.is_empty() && spec.classes != loaded.class_names {
        return Err(Error::data(
            path.display(),
            format!(
                "its labels are {} but task.classes lists {}: the data changed since the suite was written; \
                 run `reuse-bench init` again or fix task.classes",
                loaded.class_names.join(", "),
                spec.classes.join(", ")
            ),
        ));
    }
    let k = loaded.class_names.len() as u32;
    if let Some(&c) = own_classes(spec).find(|&&c| c >= k) {
        return Err(Error::data(
            path.display(),
            format!(
                "the suite names class {c}, but the file has {k} classes (0-{}: {}); `reuse-bench init` lists them",
                k.saturating_sub(1),
                loaded.class_names.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The target's files exist.
pub(super) fn check_target(spec: &TaskSpec) -> Result<()> {
    files_exist(&[
        ("task.path", &spec.path),
        ("task.labels_path", &spec.labels_path),
        ("task.test_path", &spec.test_path),
        ("task.test_labels_path", &spec.test_labels_path),
    ])
}

/// Each named file that is set exists; the error names the key.
fn files_exist(files: &[(&str, &Option<std::path::PathBuf>)]) -> Result<()> {
    for (key, path) in files {
        if let Some(p) = path {
            if !p.exists() {
                return Err(Error::setting(format!("{key} = {}", p.display()), "no such file"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &Path) -> TaskSpec {
        TaskSpec {
            kind: super::super::TaskKind::Table,
            path: Some(path.to_path_buf()),
            label_column: Some("y".into()),
            source_classes: vec![0],
            target_classes: vec![1, 2],
            ..TaskSpec::default()
        }
    }

    #[test]
    fn csv_columns_are_standardised_and_labels_numbered_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,y,b\n1,cat,5\n3,dog,5\n5,ant,5\n7,dog,5\n").unwrap();
        let t = load(&spec(&path)).unwrap();
        assert_eq!(t.class_names, vec!["ant", "cat", "dog"]);
        assert_eq!(t.data.feature_len, 2);
        let column: Vec<f32> = (0..4).map(|i| t.data.row(i)[0]).collect();
        let mean: f32 = column.iter().sum::<f32>() / 4.0;
        let var: f32 = column.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5, "{column:?}");
        assert!(
            (0..4).all(|i| t.data.row(i)[1] == 0.0),
            "a constant column becomes zeros"
        );
    }

    #[test]
    fn idx_pixels_are_scaled_and_classes_named_by_value() {
        let dir = tempfile::tempdir().unwrap();
        let (images, labels) = (dir.path().join("x.idx"), dir.path().join("y.idx"));
        idx::write(
            &images,
            &idx::IdxArray {
                dims: vec![3, 2, 2],
                data: vec![0, 255, 51, 102, 1, 2, 3, 4, 9, 9, 9, 9],
            },
        )
        .unwrap();
        idx::write(
            &labels,
            &idx::IdxArray {
                dims: vec![3],
                data: vec![7, 3, 7],
            },
        )
        .unwrap();
        let mut s = spec(&images);
        s.labels_path = Some(labels);
        s.target_classes = vec![0, 1];
        s.source_classes = vec![];
        let t = load(&s).unwrap();
        assert_eq!(t.class_names, vec!["3", "7"]);
        assert_eq!(t.data.feature_len, 4);
        let mut labels = t.data.labels.clone();
        labels.sort();
        assert_eq!(labels, vec![0, 1, 1]);
        assert!(t.data.features.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn bad_files_and_classes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,y\n1,0\nx,1\n").unwrap();
        let e = load(&spec(&path)).unwrap_err().to_string();
        assert!(
            e.contains("t.csv") && e.contains("line 3") && e.contains("expected a number"),
            "{e}"
        );
        std::fs::write(&path, "a,y\n1,0\n2,1\n").unwrap();
        let e = load(&spec(&path)).unwrap_err().to_string();
        assert!(e.contains("class 2") && e.contains("2 classes"), "{e}");
        let mut renamed = spec(&path);
        renamed.target_classes = vec![1];
        renamed.source_classes = vec![0];
        renamed.classes = vec!["0".into(), "2".into()];
        let e = load(&renamed).unwrap_err().to_string();
        assert!(e.contains("task.classes lists 0, 2"), "{e}");
        std::fs::write(&path, "a,b\n1,0\n").unwrap();
        let e = load(&spec(&path)).unwrap_err().to_string();
        assert!(e.contains("'y'") || e.contains("y"), "{e}");
        let mut overlapping = spec(&path);
        overlapping.source_classes = vec![1];
        assert!(validate(&overlapping).unwrap_err().contains("both"));
    }
}
