//! CSV datasets: numeric features plus a label column, or a text column plus
//! a label column. Errors name the file, the line and what was expected.
//!
//! Labels may be numbers or words; either way the distinct values, sorted
//! (numbers first and numerically, then words), become classes `0..k`, and
//! their names are kept for reports.

use super::Dataset;
use crate::{Error, Result};
use std::cmp::Ordering;
use std::path::Path;

/// Which column holds the label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The last column.
    Last,
    /// A 0-based column index.
    Index(usize),
    /// A column named in the header.
    Name(String),
}

/// Whether the first row is a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// A header if any field of the first row (other than the label) is not a number.
    Auto,
    /// The first row is a header.
    Yes,
    /// Every row is data.
    No,
}

/// Examples with class names for their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled<T> {
    /// The examples.
    pub data: T,
    /// `class_names[label]` is the label's value in the file.
    pub class_names: Vec<String>,
}

/// Text examples and their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Texts {
    /// One string per example.
    pub texts: Vec<String>,
    /// Class of each example.
    pub labels: Vec<u32>,
}

/// Reads a CSV file of numeric features and a label column; `.gz` files are decompressed.
pub fn load_numeric(path: &Path, label: &Column, header: Header) -> Result<Labelled<Dataset>> {
    parse_numeric(&read_text(path)?, &path.display().to_string(), label, header)
}

/// Reads a CSV file with a text column and a label column; `.gz` files are decompressed.
pub fn load_text(path: &Path, text: &Column, label: &Column) -> Result<Labelled<Texts>> {
    parse_text(&read_text(path)?, &path.display().to_string(), text, label)
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = crate::fsio::read_maybe_gzip(path)?;
    String::from_utf8(bytes).map_err(|e| {
        Error::data(
            path.display(),
            format!(
                "not UTF-8 text (first bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// A data row: its 1-based line number and its trimmed fields.
type Row = (u64, Vec<String>);

/// Rows of a CSV text with their 1-based line numbers.
fn rows(text: &str, origin: &str) -> Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::data(origin, format!("{e}")))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record[0].trim().is_empty() {
            continue; // blank line
        }
        out.push((line, record.iter().map(|f| f.trim().to_string()).collect()));
    }
    if out.is_empty() {
        return Err(Error::data(origin, "no rows; expected a CSV file with data"));
    }
    Ok(out)
}

/// The 0-based index of `col` given the header (if any) and the row width.
fn column_index(col: &Column, header: Option<&[String]>, width: usize, origin: &str) -> Result<usize> {
    let index = match col {
        Column::Last => width.checked_sub(1),
        Column::Index(i) => Some(*i).filter(|&i| i < width),
        Column::Name(name) => {
            let header = header
                .ok_or_else(|| Error::data(origin, format!("column '{name}' named, but the file has no header row")))?;
            let found = header.iter().position(|h| h == name).ok_or_else(|| {
                Error::data(
                    origin,
                    format!("no column named '{name}'; the header has: {}", header.join(", ")),
                )
            })?;
            Some(found)
        }
    };
    index.ok_or_else(|| {
        Error::data(
            origin,
            format!("column {col:?} does not exist in rows of {width} fields"),
        )
    })
}

/// The order of class names: numbers first, numerically (equal numbers
/// written differently, like `10` and `10.0`, by their text), then words as
/// text. A total order, so equal names end up side by side and sorting never
/// meets a contradiction.
fn label_order(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// Class ids for label strings, the classes in [`label_order`].
fn classes(values: &[String]) -> (Vec<u32>, Vec<String>) {
    let mut names: Vec<String> = values.to_vec();
    names.sort_by(|a, b| label_order(a, b));
    names.dedup();
    let ids = values
        .iter()
        .map(|v| names.iter().position(|n| n == v).expect("from these values") as u32)
        .collect();
    (ids, names)
}

/// Splits off the header row when `header` says so (or, for `Auto`, when the
/// first row has a non-numeric field outside `label`).
fn split_header(mut rows: Vec<Row>, header: Header, label: &Column) -> (Option<Vec<String>>, Vec<Row>) {
    let first = &rows[0].1;
    let has_header = match header {
        Header::Yes => true,
        Header::No => false,
        Header::Auto => {
            let label_at = match label {
                Column::Last => first.len().checked_sub(1),
                Column::Index(i) => Some(*i),
                Column::Name(_) => return (Some(rows.remove(0).1), rows),
            };
            first
                .iter()
                .enumerate()
                .any(|(i, f)| Some(i) != label_at && f.parse::<f64>().is_err())
        }
    };
    if has_header {
        let h = rows.remove(0).1;
        (Some(h), rows)
    } else {
        (None, rows)
    }
}

/// A ragged row is an error naming its line and what it should match.
fn check_width(origin: &str, line: u64, row: &[String], width: usize, like: &str) -> Result<()> {
    if row.len() == width {
        return Ok(());
    }
    Err(Error::data(
        origin,
        format!("line {line}: expected {width} fields like {like}, found {}", row.len()),
    ))
}

/// Parses numeric CSV text; `origin` names it in errors.
pub fn parse_numeric(text: &str, origin: &str, label: &Column, header: Header) -> Result<Labelled<Dataset>> {
    let (head, rows) = split_header(rows(text, origin)?, header, label);
    let Some((_, first)) = rows.first() else {
        return Err(Error::data(origin, "a header but no data rows"));
    };
    // Rows match the header, where there is one, so a named column is in every row.
    let (width, like) = match &head {
        Some(h) => (h.len(), "the header"),
        None => (first.len(), "the first row"),
    };
    if width < 2 {
        return Err(Error::data(
            origin,
            format!("rows need at least one feature and a label, found {width} field"),
        ));
    }
    let label_at = column_index(label, head.as_deref(), width, origin)?;
    let mut features = Vec::with_capacity(rows.len() * (width - 1));
    let mut label_values = Vec::with_capacity(rows.len());
    for (line, row) in &rows {
        check_width(origin, *line, row, width, like)?;
        for (i, field) in row.iter().enumerate() {
            if i == label_at {
                label_values.push(field.clone());
                continue;
            }
            let v: f32 = field.parse().ok().filter(|v: &f32| v.is_finite()).ok_or_else(|| {
                Error::data(
                    origin,
                    format!("line {line}, column {}: expected a number, found '{field}'", i + 1),
                )
            })?;
            features.push(v);
        }
    }
    let (labels, class_names) = classes(&label_values);
    Ok(Labelled {
        data: Dataset {
            features,
            labels,
            feature_len: width - 1,
        },
        class_names,
    })
}

/// Parses text CSV (a header is required, so columns can be named); `origin` names it in errors.
pub fn parse_text(text: &str, origin: &str, text_col: &Column, label: &Column) -> Result<Labelled<Texts>> {
    let (head, rows) = split_header(rows(text, origin)?, Header::Yes, label);
    let width = head.as_ref().map_or(0, |h| h.len());
    let text_at = column_index(text_col, head.as_deref(), width, origin)?;
    let label_at = column_index(label, head.as_deref(), width, origin)?;
    let mut texts = Vec::with_capacity(rows.len());
    let mut label_values = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        check_width(origin, line, &row, width, "the header")?;
        if row[label_at].is_empty() {
            return Err(Error::data(origin, format!("line {line}: the label is empty")));
        }
        texts.push(row[text_at].clone());
        label_values.push(row[label_at].clone());
    }
    if texts.is_empty() {
        return Err(Error::data(origin, "a header but no data rows"));
    }
    let (labels, class_names) = classes(&label_values);
    Ok(Labelled {
        data: Texts { texts, labels },
        class_names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_without_header_label_last() {
        let l = parse_numeric("1,2,0\n3,4,1\n\n5,6,0\n", "t.csv", &Column::Last, Header::Auto).unwrap();
        assert_eq!(l.data.features, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(l.data.labels, vec![0, 1, 0]);
        assert_eq!(l.data.feature_len, 2);
        assert_eq!(l.class_names, vec!["0", "1"]);
    }

    #[test]
    fn numeric_with_header_named_label_and_crlf() {
        let text = "a,label,b\r\n1.5,cat,2\r\n-3,dog,4e1\r\n0,cat,0\r\n";
        let l = parse_numeric(text, "t.csv", &Column::Name("label".into()), Header::Auto).unwrap();
        assert_eq!(l.data.features, vec![1.5, 2.0, -3.0, 40.0, 0.0, 0.0]);
        assert_eq!(l.class_names, vec!["cat", "dog"]);
        assert_eq!(l.data.labels, vec![0, 1, 0]);
        // Numbers as labels sort numerically, not as text.
        let l = parse_numeric("x,y\n1,10\n2,9\n3,10\n", "t", &Column::Last, Header::Auto).unwrap();
        assert_eq!(l.class_names, vec!["9", "10"]);
        assert_eq!(l.data.labels, vec![1, 0, 1]);
    }

    #[test]
    fn numeric_errors_name_line_and_column() {
        let err = |text: &str| {
            parse_numeric(text, "d.csv", &Column::Last, Header::No)
                .unwrap_err()
                .to_string()
        };
        assert!(
            err("1,2,0\n3,0\n").contains("d.csv: line 2: expected 3 fields"),
            "{}",
            err("1,2,0\n3,0\n")
        );
        let e = err("1,2,0\n3,x,1\n");
        assert!(e.contains("line 2, column 2: expected a number, found 'x'"), "{e}");
        assert!(err("1,nan,0\n").contains("expected a number"));
        assert!(err("").contains("no rows"));
        assert!(err("5\n").contains("at least one feature"));
        let e = parse_numeric("a,b\n1,2\n", "d.csv", &Column::Name("c".into()), Header::Yes)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no column named 'c'") && e.contains("a, b"), "{e}");
    }

    #[test]
    fn mixed_labels_sort_in_one_total_order() {
        // Numbers numerically, then words; equal numbers written differently
        // ("10", "10.0") are distinct classes, each named once (they were
        // named twice when the sort kept them apart).
        let text = "0,10.0\n0,10\n0,10.0\n0,b\n0,9\n0,a\n";
        let l = parse_numeric(text, "t.csv", &Column::Last, Header::No).unwrap();
        assert_eq!(l.class_names, vec!["9", "10", "10.0", "a", "b"]);
        assert_eq!(l.data.labels, vec![2, 1, 2, 4, 0, 3]);
    }

    #[test]
    fn named_label_beyond_the_rows_is_an_error() {
        // The header names four columns, the rows have two: the label column
        // is missing from every row (its values were silently read as none).
        let e = parse_numeric(
            "a,b,c,label\n1,2\n3,4\n",
            "d.csv",
            &Column::Name("label".into()),
            Header::Auto,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("d.csv: line 2: expected 4 fields like the header, found 2"),
            "{e}"
        );
    }

    #[test]
    fn text_with_quotes_and_commas() {
        let text = "id,review,fresh\n1,\"Good, even great.\",fresh\n2,\"Dull \"\"epic\"\".\",rotten\n";
        let l = parse_text(
            text,
            "r.csv",
            &Column::Name("review".into()),
            &Column::Name("fresh".into()),
        )
        .unwrap();
        assert_eq!(l.data.texts, vec!["Good, even great.", "Dull \"epic\"."]);
        assert_eq!(l.class_names, vec!["fresh", "rotten"]);
        assert_eq!(l.data.labels, vec![0, 1]);
        let e = parse_text("t,l\nhello\n", "r.csv", &Column::Index(0), &Column::Index(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2: expected 2 fields"), "{e}");
        let e = parse_text("t,l\nhello,\n", "r.csv", &Column::Index(0), &Column::Index(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("label is empty"), "{e}");
    }

    #[test]
    fn gzipped_files_load() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"1,2,0\n3,4,1\n").unwrap();
        std::fs::write(&path, enc.finish().unwrap()).unwrap();
        assert_eq!(load_numeric(&path, &Column::Last, Header::No).unwrap().data.len(), 2);
        assert!(load_numeric(&dir.path().join("none.csv"), &Column::Last, Header::No).is_err());
    }
}
