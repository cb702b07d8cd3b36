//! `reuse-bench init DATA`: a complete, commented suite for the user's own
//! data, written from what the data holds. It reads the file, counts the
//! classes and the examples of each, sizes validation and test from the
//! smallest class, picks label budgets that fit the pool that leaves, and
//! sets where the backbone comes from: classes of the data the user names as
//! the source, a second dataset, or a given pretrained model ([`sources`]);
//! a text CSV gets a text suite for a given BERT-family model ([`text`]).
//! The result is a suite `run --suite FILE` accepts as it is (checked by
//! parsing it before it is written).

mod render;
mod sources;
mod text;

pub use text::TextInspection;

use super::{GivenModel, Suite};
use crate::data::task::table::{self, TableFormat};
use crate::data::{TaskKind, TaskSpec};
use crate::{Error, Result};
use render::render;
use std::path::{Path, PathBuf};

/// Label budgets `init` chooses among, labels per class.
const BUDGET_LADDER: [usize; 12] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
/// Most budgets a written suite sweeps (the largest that fit).
const MAX_BUDGETS: usize = 6;

/// What `init` is asked for.
#[derive(Debug, Clone, Default)]
pub struct InitRequest {
    /// The data: a CSV file, or an IDX images file.
    pub data: PathBuf,
    /// Its format, when not told by its name.
    pub format: Option<TableFormat>,
    /// For IDX: the labels file (default: the images file's name with
    /// `images-idx3` replaced by `labels-idx1`).
    pub labels: Option<PathBuf>,
    /// For CSV: the label column (default `label`).
    pub label_column: Option<String>,
    /// For a text CSV: the column holding the text (default `text`).
    pub text_column: Option<String>,
    /// Labels (as in the file) of the classes the backbone pretrains on; the
    /// others are the task under study.
    pub source_classes: Vec<String>,
    /// A held-out test set in the same format (for IDX, with `test_labels`
    /// or its labels file beside it); without it, test rows are held out of
    /// the data.
    pub test: Option<PathBuf>,
    /// For an IDX test set: its labels file.
    pub test_labels: Option<PathBuf>,
    /// A pretrained model to reuse instead of pretraining on source classes
    /// (then every class is under study).
    pub pretrained: Option<GivenModel>,
    /// A second dataset, in the same format and shape, to pretrain the
    /// backbone on (all its classes; every class of `data` is then studied).
    pub source: Option<PathBuf>,
}

/// What the data holds, as `init` found it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// CSV or IDX.
    pub format: TableFormat,
    /// Each class's label in the file, in class order.
    pub class_names: Vec<String>,
    /// Examples per class.
    pub counts: Vec<usize>,
    /// Values per example.
    pub feature_len: usize,
}

/// The format a data path names: a folder is an image folder, `.csv`/`.csv.gz`
/// is CSV, an `idx3`/`.idx` name is IDX.
fn detect(path: &Path) -> Result<TableFormat> {
    if path.is_dir() {
        return Ok(TableFormat::Images);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".csv") || name.ends_with(".csv.gz") {
        Ok(TableFormat::Csv)
    } else if name.contains("idx3") || name.ends_with(".idx") || name.ends_with(".idx.gz") {
        Ok(TableFormat::Idx)
    } else {
        Err(Error::setting(
            format!("init {}", path.display()),
            "cannot tell the format from the name: give --format csv or --format idx (an image folder is a folder)",
        ))
    }
}

/// The labels file beside an IDX images file, by MNIST's naming.
fn labels_beside(images: &Path) -> Option<PathBuf> {
    let name = images.file_name()?.to_string_lossy().to_string();
    let guess = name
        .replace("images-idx3", "labels-idx1")
        .replace("images.idx", "labels.idx");
    (guess != name).then(|| images.with_file_name(guess))
}

impl InitRequest {
    /// The task spec that reads the data (classes not yet chosen).
    fn task(&self) -> Result<TaskSpec> {
        let format = match self.format {
            Some(f) => f,
            None => detect(&self.data)?,
        };
        let labels_path =
            match format {
                TableFormat::Csv | TableFormat::Images => None,
                TableFormat::Idx => Some(self.labels.clone().or_else(|| labels_beside(&self.data)).ok_or_else(
                    || Error::setting("--labels", format!("the IDX labels file for {}", self.data.display())),
                )?),
            };
        let exists = match format {
            TableFormat::Images => self.data.is_dir(),
            TableFormat::Csv | TableFormat::Idx => self.data.is_file(),
        };
        if !exists {
            return Err(Error::setting(
                format!("init {}", self.data.display()),
                match format {
                    TableFormat::Images => "no such folder",
                    _ => "no such file",
                },
            ));
        }
        Ok(TaskSpec {
            kind: TaskKind::Table,
            path: Some(self.data.clone()),
            labels_path,
            test_path: self.test.clone(),
            test_labels_path: match (format, &self.test) {
                (TableFormat::Idx, Some(test)) => Some(
                    self.test_labels
                        .clone()
                        .or_else(|| labels_beside(test))
                        .ok_or_else(|| {
                            Error::setting("--test-labels", format!("the IDX labels file for {}", test.display()))
                        })?,
                ),
                _ => None,
            },
            label_column: match format {
                TableFormat::Csv => Some(self.label_column.clone().unwrap_or_else(|| "label".into())),
                TableFormat::Idx | TableFormat::Images => None,
            },
            source_classes: Vec::new(),
            target_classes: Vec::new(),
            ..TaskSpec::default()
        })
    }

    /// Reads the data and counts its classes.
    pub fn inspect(&self) -> Result<Inspection> {
        let spec = self.task()?;
        let loaded = table::load(&spec)?;
        let mut counts = vec![0usize; loaded.class_names.len()];
        for &y in &loaded.data.labels {
            counts[y as usize] += 1;
        }
        Ok(Inspection {
            format: TableFormat::of(&spec),
            class_names: loaded.class_names,
            counts,
            feature_len: loaded.data.feature_len,
        })
    }

    /// The suite for this data, as commented TOML that `run --suite` accepts.
    pub fn suite_toml(&self, found: &Inspection) -> Result<String> {
        let mut task = self.task()?;
        let model = match &self.pretrained {
            Some(given) => Some(self.reusable(given, found)?),
            None => None,
        };
        let mut source = self.source_class_numbers(found)?;
        let source_found = match &self.source {
            Some(path) => Some(self.inspect_source(path, found)?),
            None => None,
        };
        if let Some((other, labels)) = &source_found {
            source = (0..other.class_names.len() as u32).collect();
            task.source_path = self.source.clone();
            task.source_labels_path = labels.clone();
        }
        if source.is_empty() && model.is_none() {
            return Err(Error::setting(
                "--source-classes",
                "name the classes a backbone pretrains on, e.g. --source-classes 0,1,2,3,4, or a dataset with --source, \
                 or give a pretrained model with --pretrained",
            ));
        }
        let same_file = self.source.is_none();
        let target: Vec<u32> = (0..found.class_names.len() as u32)
            .filter(|c| !(same_file && source.contains(c)))
            .collect();
        if target.len() < 2 {
            return Err(Error::setting(
                "--source-classes",
                format!(
                    "leaves {} class(es) to study; the data has {} ({}): keep at least two out of the source",
                    target.len(),
                    found.class_names.len(),
                    found.class_names.join(", ")
                ),
            ));
        }
        let smallest = |classes: &[u32]| classes.iter().map(|&c| found.counts[c as usize]).min().unwrap_or(0);
        let (val, mut test) = held_out(smallest(&target));
        if task.test_path.is_some() {
            test = 0; // the test set is the test file
        }
        let pool = smallest(&target).saturating_sub(val + test);
        let budgets = budgets_within(pool);
        if budgets.len() < 2 {
            return Err(Error::data(
                self.data.display(),
                format!(
                    "the smallest class under study has {} examples: after {val} for validation and {test} for \
                     test, too few for two label budgets; add examples",
                    smallest(&target)
                ),
            ));
        }
        let (source_val, source_test) = match (&source_found, source.is_empty()) {
            (_, true) => (0, 0),
            (Some((other, _)), false) => held_out(other.counts.iter().copied().min().unwrap_or(0)),
            (None, false) => held_out(smallest(&source)),
        };
        task.source_classes = source;
        task.target_classes = target;
        task.source_val_per_class = source_val;
        task.source_test_per_class = source_test;
        task.target_val_per_class = val;
        task.target_test_per_class = test;
        if task.test_path.is_some() {
            // The test file is read now, so that a bad one stops init, not the sweep.
            task.target_task()?;
        }
        let source_names = source_found.as_ref().map(|(other, _)| other.class_names.as_slice());
        let text = render(self, found, &task, &budgets, model.as_ref(), source_names);
        // The same checks as any suite file's, before anything is written.
        Suite::parse(&text, "the suite `reuse-bench init` wrote")?;
        Ok(text)
    }
}

/// The label budgets a pool of `pool` examples per class allows: the
/// largest [`MAX_BUDGETS`] rungs of [`BUDGET_LADDER`] that fit.
fn budgets_within(pool: usize) -> Vec<usize> {
    let fit: Vec<usize> = BUDGET_LADDER.iter().copied().filter(|&b| b <= pool).collect();
    fit[fit.len().saturating_sub(MAX_BUDGETS)..].to_vec()
}

/// Validation and test examples per class for classes of at least `smallest`
/// examples: a tenth and a fifth, within sensible bounds.
fn held_out(smallest: usize) -> (usize, usize) {
    ((smallest / 10).clamp(2, 100), (smallest / 5).clamp(4, 500))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CSV of `classes` classes, `per_class` rows each, 6 features that separate them.
    pub(crate) fn blobs_csv(path: &Path, classes: usize, per_class: usize) {
        let mut text = String::from("f0,f1,f2,f3,f4,f5,label\n");
        let mut state = 12345u64;
        let mut noise = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64 - 0.5
        };
        for i in 0..classes * per_class {
            let c = i % classes;
            let row: Vec<String> = (0..6)
                .map(|j| format!("{:.3}", ((c * (j + 1)) % 7) as f64 + noise() * 2.0))
                .collect();
            text.push_str(&format!("{},{c}\n", row.join(",")));
        }
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn writes_a_suite_that_parses_with_budgets_that_fit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blobs.csv");
        blobs_csv(&path, 6, 120);
        let req = InitRequest {
            data: path.clone(),
            source_classes: vec!["0".into(), "1".into(), "2".into()],
            ..InitRequest::default()
        };
        let found = req.inspect().unwrap();
        assert_eq!(found.counts, vec![120; 6]);
        assert_eq!((found.format, found.feature_len), (TableFormat::Csv, 6));
        let text = req.suite_toml(&found).unwrap();
        let suite = Suite::parse(&text, "test").unwrap();
        assert_eq!(suite.task.source_classes, vec![0, 1, 2]);
        assert_eq!(suite.task.target_classes, vec![3, 4, 5]);
        // 120 per class: 12 validation, 24 test, a pool of 84: budgets up to 50.
        assert_eq!(
            (suite.task.target_val_per_class, suite.task.target_test_per_class),
            (12, 24)
        );
        assert_eq!(suite.train.budgets_per_class, vec![1, 2, 5, 10, 20, 50]);
        assert!(text.contains("# Classes are numbered by their sorted labels: 0 = 0"));
    }

    #[test]
    fn bad_requests_name_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blobs.csv");
        blobs_csv(&path, 3, 40);
        let req = |source: &[&str]| InitRequest {
            data: path.clone(),
            source_classes: source.iter().map(|s| s.to_string()).collect(),
            ..InitRequest::default()
        };
        let found = req(&[]).inspect().unwrap();
        let e = req(&[]).suite_toml(&found).unwrap_err().to_string();
        assert!(e.contains("--source-classes"), "{e}");
        let e = req(&["7"]).suite_toml(&found).unwrap_err().to_string();
        assert!(e.contains("no such label") && e.contains("0, 1, 2"), "{e}");
        let e = req(&["0", "1"]).suite_toml(&found).unwrap_err().to_string();
        assert!(e.contains("at least two"), "{e}");
        assert_eq!(detect(dir.path()).unwrap(), TableFormat::Images);
        let e = detect(Path::new("x.bin")).unwrap_err().to_string();
        assert!(e.contains("--format"), "{e}");
        assert_eq!(
            labels_beside(Path::new("d/train-images-idx3-ubyte.gz")),
            Some(PathBuf::from("d/train-labels-idx1-ubyte.gz"))
        );
        let tiny = dir.path().join("tiny.csv");
        blobs_csv(&tiny, 4, 5);
        let small = InitRequest {
            data: tiny,
            source_classes: vec!["0".into()],
            ..InitRequest::default()
        };
        let e = small.suite_toml(&small.inspect().unwrap()).unwrap_err().to_string();
        assert!(e.contains("tiny.csv") && e.contains("too few"), "{e}");
    }
}
