//! The CSV loaders: any text parses to consistent examples or an error naming
//! its origin; any file (gzipped, not UTF-8, damaged) loads or names the file.

use crate::mutate::{check, gzip, mutated, names};
use proptest::prelude::*;
use reuse_bench::data::csv_table::{
    load_numeric, load_text, parse_numeric, parse_text, Column, Header, Labelled, Texts,
};
use reuse_bench::data::Dataset;

const NUMERIC: &str = "a,b,label\n1,2.5,cat\n-3,4e1,dog\n0,0,cat\n\n7,8,10\n";
const TEXT: &str = "id,text,label\n1,\"Good, even great.\",fresh\n2,\"Dull \"\"epic\"\".\",rotten\n3,plain,9\n";

fn column() -> impl Strategy<Value = Column> {
    prop_oneof![
        Just(Column::Last),
        (0usize..5).prop_map(Column::Index),
        prop::sample::select(vec!["label", "text", "a", "b", "nope", ""]).prop_map(|n| Column::Name(n.into())),
    ]
}

fn header() -> impl Strategy<Value = Header> {
    prop::sample::select(vec![Header::Auto, Header::Yes, Header::No])
}

/// Text made of the characters CSV cares about, plus numbers and words.
fn csv_like() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        ",", "\n", "\r\n", "\"", " ", "1", "-2.5", "3e9", "1e39", "nan", "inf", "cat", "label", "text", "é", "\u{0}",
    ]);
    prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

/// Any string: arbitrary, CSV-like, or a mutated valid file (lossily UTF-8).
fn text(valid: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        csv_like(),
        mutated(valid.as_bytes().to_vec()).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// What loaded examples must satisfy whatever the input.
fn numeric_consistent(l: &Labelled<Dataset>) -> Result<(), TestCaseError> {
    let ds = &l.data;
    prop_assert!(ds.feature_len >= 1);
    prop_assert_eq!(ds.features.len(), ds.labels.len() * ds.feature_len);
    prop_assert!(!ds.labels.is_empty());
    prop_assert!(ds.features.iter().all(|v| v.is_finite()));
    classes_consistent(&ds.labels, &l.class_names)
}

fn text_consistent(l: &Labelled<Texts>) -> Result<(), TestCaseError> {
    prop_assert_eq!(l.data.texts.len(), l.data.labels.len());
    prop_assert!(!l.data.labels.is_empty());
    classes_consistent(&l.data.labels, &l.class_names)
}

/// Every label names a class, every class has an example, and no class is named twice.
fn classes_consistent(labels: &[u32], class_names: &[String]) -> Result<(), TestCaseError> {
    for (class, name) in class_names.iter().enumerate() {
        prop_assert!(
            labels.contains(&(class as u32)),
            "class {class} ({name}) has no example"
        );
        prop_assert_eq!(
            class_names.iter().filter(|n| *n == name).count(),
            1,
            "{:?}",
            class_names
        );
    }
    prop_assert!(labels.iter().all(|&l| (l as usize) < class_names.len()));
    Ok(())
}

#[test]
fn numeric_text_parses_or_names_its_origin() {
    check(256, (text(NUMERIC), column(), header()), |(text, label, header)| {
        match parse_numeric(&text, "origin.csv", &label, header) {
            Ok(l) => numeric_consistent(&l)?,
            Err(e) => names(&e, "origin.csv")?,
        }
        Ok(())
    });
}

#[test]
fn text_csv_parses_or_names_its_origin() {
    check(256, (text(TEXT), column(), column()), |(text, text_col, label)| {
        match parse_text(&text, "origin.csv", &text_col, &label) {
            Ok(l) => text_consistent(&l)?,
            Err(e) => names(&e, "origin.csv")?,
        }
        Ok(())
    });
}

#[test]
fn mixed_labels_get_one_class_each() {
    // Labels that are partly numbers, partly words: the order they sort in
    // must be a total one, or classes are duplicated (or the sort panics).
    let label = prop::sample::select(vec!["10", "9", "a", "1e1", "-1", "B", "nan", "10.0", "inf", "Z"]);
    check(256, prop::collection::vec(label, 1..30), |labels| {
        let text: String = labels.iter().map(|l| format!("0,{l}\n")).collect();
        let l = parse_numeric(&text, "mixed.csv", &Column::Last, Header::No).unwrap();
        numeric_consistent(&l)?;
        let names: Vec<&str> = l
            .data
            .labels
            .iter()
            .map(|&c| l.class_names[c as usize].as_str())
            .collect();
        prop_assert_eq!(names, labels);
        Ok(())
    });
}

/// File contents: mutated valid text, arbitrary bytes (often not UTF-8), or either gzipped.
fn file_bytes(valid: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let raw = prop_oneof![
        mutated(valid.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
        Just(vec![0xff, 0xfe, b'a', b',', b'1', b'\n']),
    ];
    (raw, any::<bool>()).prop_map(|(bytes, gzipped)| if gzipped { gzip(&bytes) } else { bytes })
}

#[test]
fn numeric_files_load_or_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("table.csv");
    check(
        192,
        (file_bytes(NUMERIC), column(), header()),
        |(bytes, label, header)| {
            std::fs::write(&path, &bytes).unwrap();
            match load_numeric(&path, &label, header) {
                Ok(l) => numeric_consistent(&l)?,
                Err(e) => names(&e, &path.display().to_string())?,
            }
            Ok(())
        },
    );
}

#[test]
fn text_files_load_or_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("texts.csv.gz");
    let inputs = (file_bytes(TEXT), mutated(gzip(TEXT.as_bytes())));
    check(
        192,
        (inputs, column(), column()),
        |((bytes, damaged_gzip), text_col, label)| {
            for bytes in [bytes, damaged_gzip] {
                std::fs::write(&path, &bytes).unwrap();
                match load_text(&path, &text_col, &label) {
                    Ok(l) => text_consistent(&l)?,
                    Err(e) => names(&e, &path.display().to_string())?,
                }
            }
            Ok(())
        },
    );
}
