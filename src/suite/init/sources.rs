//! Where the backbone of a suite `init` writes comes from: classes of the
//! data (`--source-classes`), a second dataset (`--source`), or a given
//! pretrained model (`--pretrained`), each checked against the data.

use super::{InitRequest, Inspection};
use crate::model::ModelSpec;
use crate::suite::GivenModel;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

impl InitRequest {
    /// The classes `--source-classes` names, by their labels, as class numbers.
    pub(super) fn source_class_numbers(&self, found: &Inspection) -> Result<Vec<u32>> {
        self.source_classes
            .iter()
            .map(|label| {
                let c = found.class_names.iter().position(|n| n == label).ok_or_else(|| {
                    Error::setting(
                        format!("--source-classes {label}"),
                        format!(
                            "no such label in {}; its labels are {}",
                            self.data.display(),
                            found.class_names.join(", ")
                        ),
                    )
                })?;
                Ok(c as u32)
            })
            .collect()
    }

    /// The second dataset `--source` names, read the way `data` is, and its
    /// IDX labels file; it must hold examples of `data`'s length.
    pub(super) fn inspect_source(&self, path: &Path, found: &Inspection) -> Result<(Inspection, Option<PathBuf>)> {
        if !self.source_classes.is_empty() {
            return Err(Error::setting(
                "--source-classes",
                "--source names the dataset to pretrain on: leave --source-classes out",
            ));
        }
        let other = InitRequest {
            data: path.to_path_buf(),
            labels: None,
            test: None,
            test_labels: None,
            source: None,
            ..self.clone()
        };
        let inspected = other.inspect()?;
        if inspected.feature_len != found.feature_len {
            return Err(Error::data(
                path.display(),
                format!(
                    "has {} values per example, {} has {}: a source dataset must be in the same shape",
                    inspected.feature_len,
                    self.data.display(),
                    found.feature_len
                ),
            ));
        }
        Ok((inspected, other.task()?.labels_path))
    }

    /// The suite's `[model]` for a given pretrained model, checked against the data.
    pub(super) fn reusable(&self, given: &GivenModel, found: &Inspection) -> Result<ModelSpec> {
        if !self.source_classes.is_empty() {
            return Err(Error::setting(
                "--source-classes",
                "a given --pretrained model is the source: leave --source-classes out",
            ));
        }
        let model = given.recognise()?;
        match &model {
            ModelSpec::MobileNetV2 { .. }
                if crate::model::mobilenet::input::square_image(found.feature_len).is_none() =>
            {
                Err(Error::data(
                    self.data.display(),
                    format!(
                        "has {} values per example, not a square image (grey or RGB) as MobileNetV2 needs; for an \
                         image folder, set a square task.image_size",
                        found.feature_len
                    ),
                ))
            }
            ModelSpec::Bert(_) => Err(Error::setting(
                "--pretrained",
                format!(
                    "{} is a BERT model, which reads text: `init` writes suites for numeric and image data; for a text \
                     CSV start from the built-in sentiment suite (`reuse-bench suites`)",
                    given.name
                ),
            )),
            _ => Ok(model),
        }
    }
}
