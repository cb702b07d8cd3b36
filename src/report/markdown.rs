//! `summary.md`: the figures a pull request or a decision memo needs.

use super::{pct, Exporter, Results};
use crate::analysis::{Aggregate, Summary};
use crate::runner::RunStatus;
use crate::Result;
use std::fmt::Write;

/// The human-readable summary.
pub(super) struct Markdown;

impl Exporter for Markdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, results: &Results) -> Result<Vec<u8>> {
        Ok(render(results).into_bytes())
    }
}

/// `mean ± sd` with `fmt` applied to both, or the mean alone for one value.
fn mean_sd(s: &Summary, fmt: impl Fn(f64) -> String) -> String {
    match s.sd {
        Some(sd) => format!("{} ± {}", fmt(s.mean), fmt(sd)),
        None => fmt(s.mean),
    }
}

fn or_dash(s: Option<&Summary>, fmt: impl Fn(f64) -> String) -> String {
    s.map_or_else(|| "–".to_string(), |s| mean_sd(s, fmt))
}

fn accuracy_cell(a: &Aggregate) -> String {
    let acc = or_dash(a.test_accuracy.as_ref(), pct);
    if a.completed < a.runs {
        format!("{acc} ({}/{} ok)", a.completed, a.runs)
    } else {
        acc
    }
}

pub(super) fn render(r: &Results) -> String {
    let s = &r.suite;
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# reuse-bench: {}\n", s.name);
    if !s.description.is_empty() {
        let _ = writeln!(w, "{}\n", s.description);
    }
    let classes = &s.task.target_classes;
    let _ = writeln!(
        w,
        "**Task**: MNIST-1D classes {classes:?} ({} classes, chance {}), {} test and {} validation examples per class. \
         **Model**: {}. **Target**: {} validation accuracy.\n",
        classes.len(),
        pct(1.0 / classes.len() as f64),
        s.task.target_test_per_class,
        s.task.target_val_per_class,
        s.model.describe(),
        pct(s.target_accuracy),
    );
    let t = &s.train;
    let _ = writeln!(
        w,
        "**Protocol**: {} seeds per cell; at each budget and seed every strategy trains on the same examples. AdamW \
         (learning rate scratch {}, finetune {}, probe {}; weight decay {}), batch {}, at most {} epochs, early \
         stopping after {} epochs without validation improvement; the best-on-validation weights are tested once.\n",
        t.seeds.len(),
        t.learning_rate.scratch,
        t.learning_rate.finetune,
        t.learning_rate.probe,
        t.weight_decay,
        t.batch_size,
        t.max_epochs,
        t.patience
    );
    if let Some(p) = &r.pretrained {
        let c = &p.card;
        let _ =
            writeln!(
            w,
            "**Pretrained backbone**: trained from scratch on classes {:?} ({} examples, {} epochs) to {} source test \
             accuracy. Pretraining cost {:.1} s wall, {:.1} s CPU, {:.0} MiB peak RSS, measured {} ({}).\n",
            c.recipe.task.source_classes,
            c.source_train_examples,
            c.epochs_run,
            pct(c.source_test_accuracy),
            c.wall_s,
            c.cpu_s,
            c.peak_rss_bytes as f64 / (1u64 << 20) as f64,
            if p.from_cache { "when it was cached" } else { "in this run" },
            c.created_at,
        );
    }

    let _ = writeln!(w, "## Test accuracy by label budget\n");
    let _ = writeln!(
        w,
        "Mean ± sd over seeds; failed or diverged runs are counted, never averaged in.\n"
    );
    let _ = writeln!(w, "{}", accuracy_table(r));
    for &b in &t.budgets_per_class {
        let cells: Vec<&Aggregate> = r.aggregates.iter().filter(|a| a.budget_per_class == b).collect();
        let examples = cells.first().map_or(0, |a| a.train_examples);
        let _ = writeln!(w, "## {b} labels per class ({examples} examples)\n");
        let _ = writeln!(
            w,
            "| strategy | test accuracy | wall s | CPU s | peak RSS MiB | time to {} | trainable params |",
            pct(s.target_accuracy)
        );
        let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|---:|");
        for a in cells {
            let ttt = match &a.time_to_target_s {
                Some(ttt) => format!(
                    "{} s ({}/{})",
                    mean_sd(ttt, |v| format!("{v:.2}")),
                    a.reached_target,
                    a.completed
                ),
                None => format!("not reached (0/{})", a.completed),
            };
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} |",
                a.strategy,
                accuracy_cell(a),
                or_dash(a.wall_s.as_ref(), |v| format!("{v:.2}")),
                or_dash(a.cpu_s.as_ref(), |v| format!("{v:.2}")),
                or_dash(a.peak_rss_mib.as_ref(), |v| format!("{v:.0}")),
                ttt,
                a.trainable_params.map_or("–".into(), |p| p.to_string()),
            );
        }
        let _ = writeln!(w);
    }

    let troubled: Vec<_> = r.runs.iter().filter(|run| run.status != RunStatus::Completed).collect();
    if !troubled.is_empty() {
        let _ = writeln!(w, "## Runs that did not complete\n");
        for run in troubled {
            let _ = writeln!(
                w,
                "- `{}`: {:?} – {}",
                run.run_id,
                run.status,
                run.message.as_deref().unwrap_or("no message")
            );
        }
        let _ = writeln!(w);
    }

    let _ = writeln!(w, "## Provenance\n");
    let _ = writeln!(w, "- Machine: {}", r.machine.describe());
    let _ = writeln!(
        w,
        "- reuse-bench {}, finished {}, sweep wall time {:.1} s",
        r.tool_version, r.created_at, r.sweep_wall_s
    );
    let _ = writeln!(w, "- Command: `{}`", r.command.join(" "));
    let _ = writeln!(
        w,
        "- Files: `results.json` (everything), `runs.csv` (one row per run), `runs.jsonl`, `suite.toml`"
    );
    md
}

/// Test accuracy per budget (rows) and strategy (columns), as a Markdown table.
pub(super) fn accuracy_table(r: &Results) -> String {
    let t = &r.suite.train;
    let mut md = String::new();
    let w = &mut md;
    let _ = write!(w, "| labels per class |");
    for st in &t.strategies {
        let _ = write!(w, " {st} |");
    }
    let _ = write!(w, "\n|---:|");
    for _ in &t.strategies {
        let _ = write!(w, "---:|");
    }
    let _ = writeln!(w);
    for &b in &t.budgets_per_class {
        let _ = write!(w, "| {b} |");
        for a in r.aggregates.iter().filter(|a| a.budget_per_class == b) {
            let _ = write!(w, " {} |", accuracy_cell(a));
        }
        let _ = writeln!(w);
    }
    md
}
