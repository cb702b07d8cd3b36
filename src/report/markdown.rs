//! `summary.md`: the verdict first, then the evidence a reviewer needs.

use super::tables::{self, Item};
use super::{Exporter, OutputFile, Rendered};
use crate::Result;
use std::fmt::Write;

/// The human-readable summary.
pub(super) struct Markdown;

impl Exporter for Markdown {
    fn render(&self, input: &Rendered) -> Result<Vec<OutputFile>> {
        Ok(vec![OutputFile::new("summary.md", render(input.results).into_bytes())])
    }
}

fn items(w: &mut String, items: &[Item]) {
    for i in items {
        let _ = writeln!(w, "- **{}**: {}", i.label, i.text);
    }
    let _ = writeln!(w);
}

fn bullets(w: &mut String, lines: &[String]) {
    for l in lines {
        let _ = writeln!(w, "- {l}");
    }
    let _ = writeln!(w);
}

pub(super) fn render(r: &super::Results) -> String {
    let mut md = String::new();
    let w = &mut md;
    let s = &r.suite;
    let _ = writeln!(w, "# reuse-bench: {}\n", s.name);
    if !s.description.is_empty() {
        let _ = writeln!(w, "{}\n", s.description);
    }
    let v = &r.verdict;
    let _ = writeln!(w, "## Verdict\n\n**{}**\n\n{}\n", v.headline, tables::verdict_frame(r));
    bullets(w, &v.reasons);
    let _ = writeln!(w, "What would change it:\n");
    bullets(w, &v.what_would_change_it);
    let _ = writeln!(w, "{}\n", tables::VERDICT_RULE);

    let _ = writeln!(w, "## Test accuracy by label budget\n");
    let _ = writeln!(
        w,
        "Mean ± sd over seeds; failed or diverged runs are counted, never averaged in.\n"
    );
    let _ = writeln!(w, "{}", tables::accuracy_by_budget(r).to_markdown());
    let _ = writeln!(w, "## Data efficiency\n");
    let _ = writeln!(
        w,
        "Labels needed for a mean test accuracy of {}, interpolated between the bracketing budgets in log(labels):\n",
        crate::fmt::pct(s.target_accuracy)
    );
    bullets(w, &tables::efficiency_lines(r));
    let _ = writeln!(w, "## Cost, energy and carbon per strategy\n");
    let _ = writeln!(
        w,
        "At each strategy's smallest budget that reaches the target (mean test accuracy), per task; 95% intervals in \
         brackets. Energy: {} ({}).\n",
        r.cost.energy_method,
        tables::energy_method_words(&r.cost.energy_method)
    );
    let _ = writeln!(w, "{}", tables::cost_to_target(r).to_markdown());
    for &b in &s.train.budgets_per_class {
        let (title, table) = tables::budget_table(r, b);
        let _ = writeln!(w, "## {title}\n\n{}", table.to_markdown());
    }
    let _ = writeln!(w, "## Cost assumptions\n");
    items(w, &tables::assumptions(r));
    let _ = writeln!(w, "## Protocol\n");
    items(w, &tables::protocol(r));
    let troubled = tables::troubled(r);
    if !troubled.is_empty() {
        let _ = writeln!(w, "## Runs that did not complete\n");
        bullets(w, &troubled);
    }
    let _ = writeln!(w, "## Provenance\n");
    items(w, &tables::provenance(r));
    let _ = writeln!(
        w,
        "Files: `index.html` (the page), `charts/*.png`, `results.json` (everything), `runs.csv` (one row per run), \
         `runs.jsonl`, `suite.toml`."
    );
    md
}

/// Test accuracy per budget (rows) and strategy (columns), as a Markdown table.
pub(super) fn accuracy_table(r: &super::Results) -> String {
    tables::accuracy_by_budget(r).to_markdown()
}
