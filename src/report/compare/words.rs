//! The comparison's sentences: each difference between the two suites, each
//! finding of the gate, the refusal, and the gate's one line for the terminal.

use super::super::format::sig3;
use crate::analysis::compare::{Better, Cell, Comparison, IdentityDifference, Regression, RunCounts};
use crate::model::ModelSpec;
use crate::Error;
use serde_json::Value;
use std::path::PathBuf;

/// `probe @ 10`.
pub(super) fn cell_name(cell: &Cell) -> String {
    format!("{} @ {}", cell.strategy, cell.budget_per_class)
}

/// A JSON value as a reader writes it: strings bare, `none` for unset.
fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(value_text).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// Both models in words; in JSON when the words cannot tell them apart.
fn models_text(a: Option<&ModelSpec>, b: Option<&ModelSpec>) -> (String, String) {
    let words = |m: Option<&ModelSpec>| m.map_or_else(|| "none".to_string(), ModelSpec::describe);
    let (wa, wb) = (words(a), words(b));
    if wa != wb {
        return (wa, wb);
    }
    let json = |m: Option<&ModelSpec>| serde_json::to_string(&m).expect("model specs serialise");
    (json(a), json(b))
}

/// `task.kind: mnist1d vs digits`, `model: 1-D CNN (...) vs MLP (...)`.
pub fn identity_line(d: &IdentityDifference) -> String {
    match d {
        IdentityDifference::Task { key, a, b } => {
            format!("task.{key}: {} vs {}", value_text(a), value_text(b))
        }
        IdentityDifference::Model { key, a, b } => {
            let (a, b) = models_text(a.as_ref(), b.as_ref());
            format!("{key}: {a} vs {b}")
        }
    }
}

/// `2 failed, 1 diverged` (the parts that are not zero).
fn not_completed(r: &RunCounts) -> String {
    let parts: Vec<String> = [(r.failed, "failed"), (r.diverged, "diverged")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    parts.join(", ")
}

/// What the gate found, as one line of the comparison.
pub fn regression_line(r: &Regression) -> String {
    match r {
        Regression::Worsened { cell, delta: d } => format!(
            "{}: {} {} by {:.1}% ({} -> {}){}",
            cell_name(cell),
            d.figure,
            if d.better == Better::Higher { "fell" } else { "rose" },
            d.worse_by_pct,
            sig3(d.a),
            sig3(d.b),
            if d.intervals_overlap {
                "; the 95% intervals overlap"
            } else {
                ""
            }
        ),
        Regression::RunsLost { cell, a, b } => format!(
            "{}: {} of {} runs completed in B ({}), against {} of {} in A",
            cell_name(cell),
            b.completed,
            b.runs,
            not_completed(b),
            a.completed,
            a.runs
        ),
        Regression::NoSharedCell => NO_SHARED_CELL.to_string(),
    }
}

/// Said when the two sets have no (strategy, budget) in common.
const NO_SHARED_CELL: &str =
    "A and B share no cell (strategy and labels per class): nothing was compared, so the gate cannot pass";

/// The refusal to compare sets of different suites: what differs, and `--force`.
pub fn refusal(c: &Comparison) -> Error {
    let lines: Vec<String> = c.identity.iter().map(|d| format!("  {}", identity_line(d))).collect();
    let suites = if c.a.suite == c.b.suite {
        String::new()
    } else {
        format!(" (suites {} and {})", c.a.suite, c.b.suite)
    };
    Error::Compare {
        a: PathBuf::from(&c.a.name),
        b: PathBuf::from(&c.b.name),
        message: format!(
            "they ran different tasks or models{suites}, so the same cell names a different experiment in each:\n{}\n\
             compare results of the same task and model, or pass --force to compare them anyway \
             (the comparison then lists these differences)",
            lines.join("\n")
        ),
    }
}

/// Why the gate failed, in one line for the terminal (none when it passed).
pub fn gate_summary(c: &Comparison) -> Option<String> {
    if !c.gate_fails() {
        return None;
    }
    if c.regressions.contains(&Regression::NoSharedCell) {
        return Some(NO_SHARED_CELL.to_string());
    }
    let count = |f: fn(&Regression) -> bool| c.regressions.iter().filter(|r| f(r)).count();
    let parts: Vec<String> = [
        (
            count(|r| matches!(r, Regression::Worsened { .. })),
            "figure(s) worsened",
        ),
        (
            count(|r| matches!(r, Regression::RunsLost { .. })),
            "cell(s) whose runs diverged or failed in B",
        ),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    Some(format!(
        "{} regression(s) beyond {}%: {}",
        c.regressions.len(),
        c.threshold_pct.unwrap_or(0.0),
        parts.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Suite;

    #[test]
    fn models_the_words_cannot_tell_apart_are_shown_as_json() {
        let (a, b) = (ModelSpec::Cnn { channels: 8 }, ModelSpec::Mlp { hidden: 8, depth: 1 });
        assert_eq!(
            models_text(Some(&a), None),
            ("1-D CNN (3 conv layers, 8 channels)".to_string(), "none".to_string())
        );
        assert!(models_text(Some(&a), Some(&b)).1.starts_with("MLP"));
        // Two BERTs with the same sizes but other dropout read alike in words.
        let bert = Suite::resolve("sentiment").unwrap().model;
        let ModelSpec::Bert(mut config) = bert.clone() else {
            panic!("the sentiment suite's model is a BERT")
        };
        config.hidden_dropout_prob += 0.1;
        let (ta, tb) = models_text(Some(&bert), Some(&ModelSpec::Bert(config)));
        assert!(ta.starts_with(r#"{"arch":"bert""#) && ta != tb, "{ta} / {tb}");
        assert_eq!(value_text(&serde_json::json!(null)), "none");
    }
}
