//! The comparison of two result sets as Markdown and JSON.

use super::format::sig3;
use crate::analysis::compare::{Better, Comparison};
use crate::results::files::{COMPARE_JSON, COMPARE_MD};
use crate::{fsio, Result};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The comparison as a Markdown document.
pub fn to_markdown(c: &Comparison) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# reuse-bench compare\n\nA: `{}`  \nB: `{}`\n", c.a, c.b);
    let _ = writeln!(
        w,
        "Change from A to B in percent of A; (≈) marks figures whose 95% intervals overlap, so the change may be \
         noise.\n"
    );
    let _ = writeln!(
        w,
        "| strategy | labels per class | test accuracy | wall s | peak RSS MiB | total cost |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|");
    for cell in &c.cells {
        let figure = |name: &str| {
            cell.deltas
                .iter()
                .find(|d| d.figure == name)
                .map_or("–".to_string(), |d| {
                    let beyond = c.threshold_pct.is_some_and(|t| d.worse_by_pct > t);
                    let mark = if beyond { " **regression**" } else { "" };
                    format!(
                        "{} → {} ({:+.1}%{}){}",
                        sig3(d.a),
                        sig3(d.b),
                        d.change_pct,
                        if d.intervals_overlap { " ≈" } else { "" },
                        mark
                    )
                })
        };
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} |",
            cell.strategy,
            cell.budget_per_class,
            figure("test_accuracy"),
            figure("wall_s"),
            figure("peak_rss_mib"),
            figure("total_usd")
        );
    }
    for (label, cells) in [("Only in A", &c.only_in_a), ("Only in B", &c.only_in_b)] {
        if !cells.is_empty() {
            let _ = writeln!(w, "\n{label}: {}", cells.join(", "));
        }
    }
    match c.threshold_pct {
        Some(t) if c.regressions.is_empty() => {
            let _ = writeln!(w, "\nNo figure worsened by more than {t}%.");
        }
        Some(t) => {
            let _ = writeln!(w, "\n## Regressions beyond {t}%\n");
            for r in &c.regressions {
                let d = &r.delta;
                let _ = writeln!(
                    w,
                    "- {}: {} {} by {:.1}% ({} -> {}){}",
                    r.cell,
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
                );
            }
        }
        None => {}
    }
    md
}

/// Writes `compare.md` and `compare.json` into `dir`; returns their paths.
pub fn write(dir: &Path, c: &Comparison) -> Result<Vec<PathBuf>> {
    fsio::create_dir_all(dir)?;
    let md = dir.join(COMPARE_MD);
    let json = dir.join(COMPARE_JSON);
    fsio::write_atomic(&md, to_markdown(c).as_bytes())?;
    fsio::write_atomic(&json, &serde_json::to_vec_pretty(c).expect("comparisons serialise"))?;
    Ok(vec![md, json])
}
