//! The house rules of `src/`, checked on every test run: the top-level
//! modules stack in layers (each imports only from layers below it, so no
//! import cycle can creep back), and no source file grows past 400 lines.
//! Function length (80 lines at most) is clippy's `too_many_lines`, set in
//! `clippy.toml`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers from the bottom up; a module may import from any module in an
/// earlier entry, never from its own entry's neighbours or later ones. The
/// README's "Layout" section lists the same order.
const LAYERS: &[&[&str]] = &[
    &["error", "fsio", "rng", "digest", "device", "runtime"],
    &["measure"],
    &["data"],
    &["model"],
    &["train"],
    &["speed"],
    &["results"],
    &["cost"],
    &["suite"],
    &["analysis"],
    &["report"],
    &["runner"],
    &["sweep"],
];

/// Longest source file allowed, in lines.
const MAX_FILE_LINES: usize = 400;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The layer index of a top-level module, if it is one.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Top-level modules a file's non-test code names through `crate::`.
fn imports(text: &str) -> BTreeSet<String> {
    let before_tests = text.split("#[cfg(test)]").next().unwrap_or("");
    // Comments (doc links included) name modules without importing them.
    let code: String = before_tests
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c}`: every first segment inside the braces.
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for part in inner.split(',') {
                found.insert(first_segment(part.trim()));
            }
        } else {
            found.insert(first_segment(rest));
        }
    }
    found
}

fn first_segment(path: &str) -> String {
    path.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The top-level module a file belongs to (`src/data/idx.rs` -> `data`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn modules_import_only_from_lower_layers() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(file);
        if matches!(module.as_str(), "lib" | "main" | "cli") {
            continue; // the crate root and the binary edge sit above every layer
        }
        let Some(own) = layer_of(&module) else {
            violations.push(format!(
                "{}: module '{module}' is in no layer of LAYERS",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for imported in imports(&text) {
            if imported == module {
                continue;
            }
            match layer_of(&imported) {
                Some(layer) if layer < own => {}
                Some(_) => violations.push(format!(
                    "{}: '{module}' imports '{imported}', which is not below it",
                    file.display()
                )),
                None => {} // a re-export at the crate root (Error, Result, TOOL_VERSION)
            }
        }
    }
    assert!(violations.is_empty(), "layering broken:\n{}", violations.join("\n"));
}

#[test]
fn every_top_level_module_has_a_layer() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(name) = line.strip_prefix("pub mod ").and_then(|r| r.strip_suffix(';')) {
            assert!(
                layer_of(name).is_some(),
                "src/lib.rs declares '{name}', which LAYERS does not place"
            );
        }
    }
}

#[test]
fn no_source_file_is_too_long() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > MAX_FILE_LINES).then(|| format!("{}: {lines} lines", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn import_scanner_reads_groups_and_ignores_tests() {
    let text = "//! see [`crate::sweep`]\nuse crate::{fsio, data::Dataset};\nuse crate::model::X;\n#[cfg(test)]\nuse crate::report;";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, vec!["data", "fsio", "model"]);
}
