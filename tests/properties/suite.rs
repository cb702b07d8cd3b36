//! The suite parser: the built-in suites' TOML, damaged byte by byte or line
//! by line or given absurd values, parses to a suite that keeps its promises
//! or to an error naming its origin.

use crate::mutate::{check, mutated, names, Pos};
use proptest::prelude::*;
use reuse_bench::suite::{Suite, TaskKind, BUILTIN_SUITES};

const ORIGIN: &str = "mutated.toml";

/// A value for a key: numbers of every kind TOML has (and some it lacks),
/// arrays of them, strings and booleans.
fn value() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        "nan",
        "+inf",
        "-inf",
        "-nan",
        "NaN",
        "0",
        "-0.0",
        "-1",
        "1e308",
        "-1e308",
        "5e-324",
        "1e999",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551615",
        "4294967296",
        "0x7fffffff",
        "1_000",
        "\"\"",
        "\"a/b\"",
        "true",
        "[]",
        "[0]",
        "{}",
        "\"gcp\"",
    ])
    .prop_map(String::from);
    prop_oneof![
        3 => special,
        2 => any::<i64>().prop_map(|v| v.to_string()),
        2 => any::<f64>().prop_map(|v| format!("{v:e}")),
        2 => (0u64..2000).prop_map(|v| v.to_string()),
        1 => prop::collection::vec(any::<i64>(), 0..4)
            .prop_map(|v| format!("[{}]", v.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))),
    ]
}

/// One edit of a suite's lines.
#[derive(Debug, Clone)]
enum LineEdit {
    /// Remove a line.
    Delete(Pos),
    /// Repeat a line (a duplicate key, or a duplicate section).
    Duplicate(Pos),
    /// Keep the lines before this one.
    Truncate(Pos),
    /// Exchange the values of two `key = value` lines.
    SwapValues(Pos, Pos),
    /// Give a `key = value` line another value.
    SetValue(Pos, String),
}

fn line_edit() -> impl Strategy<Value = LineEdit> {
    prop_oneof![
        1 => any::<Pos>().prop_map(LineEdit::Delete),
        1 => any::<Pos>().prop_map(LineEdit::Duplicate),
        1 => any::<Pos>().prop_map(LineEdit::Truncate),
        2 => (any::<Pos>(), any::<Pos>()).prop_map(|(a, b)| LineEdit::SwapValues(a, b)),
        4 => (any::<Pos>(), value()).prop_map(|(at, v)| LineEdit::SetValue(at, v)),
    ]
}

/// The indices of `key = value` lines.
fn assignments(lines: &[String]) -> Vec<usize> {
    (0..lines.len()).filter(|&i| split(&lines[i]).is_some()).collect()
}

fn split(line: &str) -> Option<(&str, &str)> {
    line.split_once(" = ").filter(|_| !line.starts_with('#'))
}

fn apply(text: &str, edits: &[LineEdit]) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for edit in edits {
        let keyed = assignments(&lines);
        let pick = |p: &Pos, n: usize| (n > 0).then(|| *p as usize % n);
        match edit {
            LineEdit::Delete(p) => {
                if let Some(i) = pick(p, lines.len()) {
                    lines.remove(i);
                }
            }
            LineEdit::Duplicate(p) => {
                if let Some(i) = pick(p, lines.len()) {
                    lines.insert(i, lines[i].clone());
                }
            }
            LineEdit::Truncate(p) => lines.truncate(*p as usize % (lines.len() + 1)),
            LineEdit::SwapValues(a, b) => {
                if let (Some(a), Some(b)) = (pick(a, keyed.len()), pick(b, keyed.len())) {
                    let (ka, va) = split(&lines[keyed[a]])
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .unwrap();
                    let (kb, vb) = split(&lines[keyed[b]])
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .unwrap();
                    lines[keyed[a]] = format!("{ka} = {vb}");
                    lines[keyed[b]] = format!("{kb} = {va}");
                }
            }
            LineEdit::SetValue(p, value) => {
                if let Some(i) = pick(p, keyed.len()) {
                    let key = split(&lines[keyed[i]]).unwrap().0.to_string();
                    lines[keyed[i]] = format!("{key} = {value}");
                }
            }
        }
    }
    lines.join("\n") + "\n"
}

/// What an accepted suite must satisfy: it survives its own TOML, and its
/// splits fit (computed without overflow, whatever the numbers).
fn keeps_promises(suite: &Suite) -> Result<(), TestCaseError> {
    let again = Suite::parse(&suite.to_toml(), "round trip");
    prop_assert!(again.is_ok(), "its own TOML is refused: {}", again.unwrap_err());
    prop_assert_eq!(&again.unwrap(), suite);
    prop_assert!(suite.target_accuracy > 0.0 && suite.target_accuracy <= 1.0);
    let task = &suite.task;
    let largest = *suite.train.budgets_per_class.iter().max().unwrap() as u128;
    let held_out = task.target_val_per_class as u128 + task.target_test_per_class as u128;
    let pool = match task.kind {
        TaskKind::Mnist1d => {
            let source = task.source_val_per_class as u128 + task.source_test_per_class as u128;
            prop_assert!(
                source < task.samples_per_class as u128,
                "no source training examples: {task:?}"
            );
            Some(task.samples_per_class as u128)
        }
        TaskKind::Digits => Some(174),
        // Their pools are known only once the file is read (run checks them before it starts).
        TaskKind::Text | TaskKind::Table => None,
    };
    if let Some(pool) = pool {
        prop_assert!(largest + held_out <= pool, "the budgets do not fit the pool: {task:?}");
    }
    Ok(())
}

fn check_parse(text: &str) -> Result<(), TestCaseError> {
    match Suite::parse(text, ORIGIN) {
        Ok(suite) => keeps_promises(&suite),
        Err(e) => names(&e, ORIGIN),
    }
}

fn builtin() -> impl Strategy<Value = &'static str> {
    prop::sample::select(BUILTIN_SUITES.iter().map(|(_, text)| *text).collect::<Vec<_>>())
}

#[test]
fn builtins_keep_their_promises() {
    for (name, text) in BUILTIN_SUITES {
        let suite = Suite::parse(text, name).unwrap();
        keeps_promises(&suite).unwrap();
    }
}

#[test]
fn line_edits_parse_or_name_the_origin() {
    let inputs = (builtin(), prop::collection::vec(line_edit(), 1..5));
    check(256, inputs, |(text, edits)| check_parse(&apply(text, &edits)));
}

#[test]
fn byte_edits_parse_or_name_the_origin() {
    let inputs = builtin().prop_flat_map(|text| mutated(text.as_bytes().to_vec()));
    check(256, inputs, |bytes| check_parse(&String::from_utf8_lossy(&bytes)));
}

#[test]
fn absurd_split_sizes_are_refused() {
    // Every count of the task and the largest budget at once, from small to i64::MAX.
    let count = prop_oneof![0u64..300, 0u64..=i64::MAX as u64, Just(i64::MAX as u64)];
    let inputs = (
        prop::collection::vec(count, 6),
        prop::sample::select(vec!["mnist1d", "digits"]),
    );
    check(256, inputs, |(n, kind)| {
        let text = format!(
            "name = \"x\"\ntarget_accuracy = 0.5\n[task]\nkind = \"{kind}\"\nsamples_per_class = {}\n\
             source_val_per_class = {}\nsource_test_per_class = {}\ntarget_val_per_class = {}\n\
             target_test_per_class = {}\n[train]\nbudgets_per_class = [1, {}]\n",
            n[0],
            n[1],
            n[2],
            n[3],
            n[4],
            n[5].max(1)
        );
        check_parse(&text)
    });
}
