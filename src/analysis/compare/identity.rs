//! Whether two result sets measured the same thing. A cell of one sweep is
//! only comparable with the same cell of another when both ran the same task
//! (dataset, classes, splits) with the same models: otherwise "finetune @ 10"
//! names two unrelated experiments, and their difference is no regression.
//!
//! What may differ and still compare: everything a comparison is for, i.e.
//! the training settings, the sweep's budgets and seeds, the prices, the
//! machine, the pretrained checkpoint (`[pretrained]`, `--pretrained`) and the
//! tool version.

use crate::data::task::TaskSpec;
use crate::model::ModelSpec;
use crate::suite::Suite;
use crate::train::Strategy;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `[task]` keys left out of the identity: where the files are, not what they
/// hold. `mnist_dir` holds the same checksummed MNIST wherever it lies, so two
/// machines that keep it in different folders still ran the same task.
const LOCATION_KEYS: &[&str] = &["mnist_dir"];

/// One way in which two suites differ in what they measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "part", rename_all = "snake_case")]
pub enum IdentityDifference {
    /// A `[task]` key: the dataset, its seed or path, the classes, the split sizes.
    Task {
        /// The key, e.g. `kind` (of `[task]`).
        key: String,
        /// Its value in the first suite (`null` when unset).
        a: Value,
        /// Its value in the second suite.
        b: Value,
    },
    /// The architecture and sizes of a model.
    Model {
        /// Which: `model` (every strategy's) or `baseline` (the baseline strategy's).
        key: String,
        /// The first suite's (absent for a suite without that model).
        a: Option<ModelSpec>,
        /// The second suite's.
        b: Option<ModelSpec>,
    },
}

/// The task's keys as JSON: one generic walk covers every key, including any
/// added later, so a new task setting cannot silently escape the check.
fn task_keys(task: &TaskSpec) -> serde_json::Map<String, Value> {
    match serde_json::to_value(task).expect("task specs serialise") {
        Value::Object(map) => map,
        other => unreachable!("a task spec serialises to an object, not {other}"),
    }
}

/// Every `[task]` key whose value differs, `kind` first (a different kind
/// explains the rest), then alphabetically.
fn task_differences(a: &TaskSpec, b: &TaskSpec) -> Vec<IdentityDifference> {
    let (a, b) = (task_keys(a), task_keys(b));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort_by_key(|k| (k.as_str() != "kind", k.as_str()));
    keys.dedup();
    keys.into_iter()
        .filter(|k| !LOCATION_KEYS.contains(&k.as_str()))
        .filter_map(|k| {
            let (va, vb) = (
                a.get(k).cloned().unwrap_or(Value::Null),
                b.get(k).cloned().unwrap_or(Value::Null),
            );
            (va != vb).then(|| IdentityDifference::Task {
                key: k.clone(),
                a: va,
                b: vb,
            })
        })
        .collect()
}

/// What makes two suites' cells different experiments, in suite order: the
/// task's keys, then the model, then the baseline's model (when either suite
/// runs the `baseline` strategy: an unused `[baseline]` measures nothing).
/// Empty when the two measured the same thing.
pub fn identity_differences(a: &Suite, b: &Suite) -> Vec<IdentityDifference> {
    let mut out = task_differences(&a.task, &b.task);
    let runs_baseline = [a, b].iter().any(|s| s.train.strategies.contains(&Strategy::Baseline));
    for (key, ma, mb) in [
        ("model", Some(&a.model), Some(&b.model)),
        ("baseline", a.baseline.as_ref(), b.baseline.as_ref()),
    ] {
        if ma != mb && (key != "baseline" || runs_baseline) {
            out.push(IdentityDifference::Model {
                key: key.to_string(),
                a: ma.cloned(),
                b: mb.cloned(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn suite(name: &str) -> Suite {
        Suite::resolve(name).unwrap()
    }

    fn task_keys_of(d: &[IdentityDifference]) -> Vec<&str> {
        d.iter()
            .filter_map(|d| match d {
                IdentityDifference::Task { key, .. } => Some(key.as_str()),
                IdentityDifference::Model { .. } => None,
            })
            .collect()
    }

    #[test]
    fn the_same_suite_or_its_quick_form_or_other_training_is_the_same_task() {
        let s = suite("mnist1d");
        assert!(identity_differences(&s, &s).is_empty());
        let mut other = s.quick();
        other.train.learning_rate.finetune *= 2.0;
        other.cost.usd_per_label = 1.0;
        // Where MNIST lies is not what it holds.
        other.task.mnist_dir = Some("elsewhere/mnist".into());
        assert!(identity_differences(&s, &other).is_empty());
    }

    #[test]
    fn a_different_task_or_model_is_named_key_by_key() {
        let (a, b) = (suite("mnist1d"), suite("digits"));
        let d = identity_differences(&a, &b);
        assert_eq!(
            d[0],
            IdentityDifference::Task {
                key: "kind".into(),
                a: json!("mnist1d"),
                b: json!("digits"),
            }
        );
        assert!(task_keys_of(&d).contains(&"target_classes"), "{d:?}");
        assert!(!task_keys_of(&d).contains(&"mnist_dir"), "{d:?}");
        let model = d.iter().find(|d| matches!(d, IdentityDifference::Model { .. }));
        assert_eq!(
            model,
            Some(&IdentityDifference::Model {
                key: "model".into(),
                a: Some(a.model.clone()),
                b: Some(b.model.clone()),
            })
        );
        // A seed of the data, a split size, a model size, a baseline each count.
        let mut c = a.clone();
        c.task.seed += 1;
        c.task.target_test_per_class = 10;
        c.model = ModelSpec::Cnn { channels: 8 };
        c.baseline = Some(ModelSpec::Mlp { hidden: 8, depth: 1 });
        // An unused [baseline] measures nothing; once run, it counts.
        assert_eq!(identity_differences(&a, &c).len(), 3);
        c.train.strategies.push(Strategy::Baseline);
        let d = identity_differences(&a, &c);
        assert_eq!(task_keys_of(&d), vec!["seed", "target_test_per_class"]);
        assert_eq!(d.len(), 4, "{d:?}");
        assert!(matches!(&d[3], IdentityDifference::Model { key, a: None, b: Some(_) } if key == "baseline"));
    }

    #[test]
    fn differences_round_trip_through_json() {
        let d = identity_differences(&suite("mnist1d"), &suite("digits"));
        let text = serde_json::to_string(&d).unwrap();
        assert!(
            text.contains(r#""part":"task""#) && text.contains(r#""part":"model""#),
            "{text}"
        );
        let back: Vec<IdentityDifference> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, d);
    }
}
