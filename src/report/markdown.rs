//! `summary.md`: the verdict first, then the evidence a reviewer needs.

use super::{Exporter, Results};
use crate::analysis::{Aggregate, Summary};
use crate::cost::{ModelSource, Pricing};
use crate::fmt::{pct, sig3, usd};
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

/// `mean [lo, hi]` (95% CI), or the mean alone for one value.
fn mean_ci(s: &Summary, fmt: impl Fn(f64) -> String) -> String {
    match s.ci95 {
        Some((lo, hi)) => format!("{} [{}, {}]", fmt(s.mean), fmt(lo), fmt(hi)),
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
    let mut md = String::new();
    let w = &mut md;
    let s = &r.suite;
    let _ = writeln!(w, "# reuse-bench: {}\n", s.name);
    if !s.description.is_empty() {
        let _ = writeln!(w, "{}\n", s.description);
    }
    verdict(w, r);
    let _ = writeln!(w, "## Test accuracy by label budget\n");
    let _ = writeln!(
        w,
        "Mean ± sd over seeds; failed or diverged runs are counted, never averaged in.\n"
    );
    let _ = writeln!(w, "{}", accuracy_table(r));
    efficiency(w, r);
    cost_to_target(w, r);
    budgets(w, r);
    assumptions(w, r);
    protocol(w, r);
    troubled(w, r);
    provenance(w, r);
    md
}

fn verdict(w: &mut String, r: &Results) {
    let v = &r.verdict;
    let c = &r.cost;
    let _ = writeln!(w, "## Verdict\n");
    let _ = writeln!(w, "**{}**\n", v.headline);
    let _ = writeln!(
        w,
        "At a label budget of up to {} labels per class and a target of {} test accuracy, with compute priced on \
         {} at {} per hour and labels at {} each:\n",
        v.label_budget_per_class,
        pct(v.target_accuracy),
        c.instance.key(),
        usd(c.usd_per_hour),
        usd(c.usd_per_label)
    );
    for reason in &v.reasons {
        let _ = writeln!(w, "- {reason}");
    }
    let _ = writeln!(w, "\nWhat would change it:\n");
    for change in &v.what_would_change_it {
        let _ = writeln!(w, "- {change}");
    }
    let _ = writeln!(
        w,
        "\nThe rule: among the sweep's cells with at most the label budget whose mean test accuracy reaches the \
         target, each strategy's cheapest cell is its option, and the cheapest option wins (a tie goes to the more \
         accurate). Confidence compares 95% intervals (Student t over seeds).\n"
    );
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

fn efficiency(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## Data efficiency\n");
    let _ = writeln!(
        w,
        "Labels needed for a mean test accuracy of {}, interpolated between the bracketing budgets in log(labels):\n",
        pct(r.suite.target_accuracy)
    );
    for l in &r.labels_to_target {
        let _ = writeln!(w, "- {}: {}", l.strategy, l.crossing.describe());
    }
    let largest = r.suite.train.budgets_per_class.iter().max().copied().unwrap_or(0);
    if let Some(be) = &r.break_even {
        let _ = match be.crossing.first_budget() {
            Some(_) => writeln!(
                w,
                "- Break-even: scratch comes within {:.1} points of the best reuse strategy at {}.",
                be.tolerance * 100.0,
                be.crossing.describe()
            ),
            None => writeln!(
                w,
                "- Break-even: beyond the sweep; scratch is still more than {:.1} points behind at {largest} labels \
                 per class.",
                be.tolerance * 100.0
            ),
        };
    }
    let _ = writeln!(w);
}

fn cost_to_target(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## Cost, energy and carbon per strategy\n");
    let _ = writeln!(
        w,
        "At each strategy's smallest budget that reaches {} (mean test accuracy), per task; 95% intervals in \
         brackets. Energy: {} ({}).\n",
        pct(r.suite.target_accuracy),
        r.cost.energy_method,
        energy_method_words(&r.cost.energy_method)
    );
    let _ = writeln!(w, "| strategy | labels per class | test accuracy | total cost | compute | labels | model + pretraining | energy Wh | CO2e g |");
    let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for l in &r.labels_to_target {
        let cell = l.crossing.first_budget().and_then(|b| {
            r.aggregates
                .iter()
                .find(|a| a.strategy == l.strategy && a.budget_per_class == b)
        });
        match cell {
            Some(a) => {
                let mean = |s: &Option<Summary>| s.map_or(0.0, |s| s.mean);
                let _ = writeln!(
                    w,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    a.strategy,
                    a.budget_per_class,
                    a.test_accuracy.as_ref().map_or("–".into(), |s| mean_ci(s, pct)),
                    a.total_usd.as_ref().map_or("–".into(), |s| mean_ci(s, usd)),
                    usd(mean(&a.compute_usd)),
                    usd(mean(&a.labels_usd)),
                    usd(mean(&a.model_usd) + mean(&a.pretraining_usd)),
                    a.energy_kwh
                        .as_ref()
                        .map_or("–".into(), |s| mean_ci(s, |v| sig3(v * 1000.0))),
                    a.carbon_kg
                        .as_ref()
                        .map_or("–".into(), |s| mean_ci(s, |v| sig3(v * 1000.0))),
                );
            }
            None => {
                let _ = writeln!(w, "| {} | not reached in the sweep | | | | | | | |", l.strategy);
            }
        }
    }
    let _ = writeln!(w);
}

fn energy_method_words(method: &str) -> &'static str {
    match method {
        "rapl" => "measured from the CPU packages' RAPL counters, whole socket",
        "mixed" => "RAPL where readable, the model elsewhere",
        _ => "RAPL counters not readable here, so estimated with the model below",
    }
}

fn budgets(w: &mut String, r: &Results) {
    let s = &r.suite;
    for &b in &s.train.budgets_per_class {
        let cells: Vec<&Aggregate> = r.aggregates.iter().filter(|a| a.budget_per_class == b).collect();
        let examples = cells.first().map_or(0, |a| a.train_examples);
        let _ = writeln!(w, "## {b} labels per class ({examples} examples)\n");
        let _ = writeln!(
            w,
            "| strategy | test accuracy [95% CI] | total cost | energy Wh | CO2e g | wall s | CPU s | peak RSS MiB | time to {} val. | trainable params |",
            pct(s.target_accuracy)
        );
        let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
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
            let acc = a.test_accuracy.as_ref().map_or("–".into(), |s| mean_ci(s, pct));
            let acc = if a.completed < a.runs {
                format!("{acc} ({}/{} ok)", a.completed, a.runs)
            } else {
                acc
            };
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                a.strategy,
                acc,
                or_dash(a.total_usd.as_ref(), usd),
                or_dash(a.energy_kwh.as_ref(), |v| sig3(v * 1000.0)),
                or_dash(a.carbon_kg.as_ref(), |v| sig3(v * 1000.0)),
                or_dash(a.wall_s.as_ref(), |v| format!("{v:.2}")),
                or_dash(a.cpu_s.as_ref(), |v| format!("{v:.2}")),
                or_dash(a.peak_rss_mib.as_ref(), |v| format!("{v:.0}")),
                ttt,
                a.trainable_params.map_or("–".into(), |p| p.to_string()),
            );
        }
        let _ = writeln!(w);
    }
}

fn assumptions(w: &mut String, r: &Results) {
    let c = &r.cost;
    let i = &c.instance;
    let _ = writeln!(w, "## Cost assumptions\n");
    let gpu = if i.gpu_count > 0 {
        format!(", {} x {}", i.gpu_count, i.gpu_model)
    } else {
        String::new()
    };
    let _ = writeln!(
        w,
        "- **Compute**: {} ({} vCPU, {} GiB{gpu}, {}), {} {} per hour, from {} (price of {}; catalog: {}). The \
         compute cost assumes the wall times measured here on that instance; they were measured on {}.",
        i.key(),
        i.vcpu,
        i.memory_gib,
        i.region,
        match c.pricing {
            Pricing::OnDemand => "on-demand",
            Pricing::Spot => "spot",
        },
        usd(c.usd_per_hour),
        i.source,
        i.price_date,
        c.catalog_origin,
        r.machine.describe()
    );
    let _ = writeln!(
        w,
        "- **Labels**: {} per labelled example. Source: {}.",
        usd(c.usd_per_label),
        c.label_price_source
    );
    let m = &c.model;
    let source = match m.source {
        ModelSource::InHouse => "built in-house with `reuse-bench pretrain`",
        ModelSource::Hub => "downloaded from a model hub",
        ModelSource::Zoo => "taken from a model zoo",
        ModelSource::Marketplace => "bought from a marketplace",
    };
    let _ = writeln!(
        w,
        "- **Pretrained model**: {source}; licence: {}; fees: {} once + {} per hour of use.",
        m.licence,
        usd(m.one_time_usd),
        usd(m.usd_per_hour)
    );
    if let Some(p) = &c.pretraining {
        let _ = writeln!(
            w,
            "- **In-house pretraining**: {:.1} s measured, {} at the instance price, {} Wh and {} g CO2e; shared by \
             K = {} task(s), {} per task.",
            p.wall_s,
            usd(p.compute_usd),
            sig3(p.energy.kwh * 1000.0),
            sig3(p.energy.carbon_kg * 1000.0),
            c.amortize_over_tasks,
            usd(p.amortised_usd)
        );
    }
    let e = &c.energy_model;
    let _ = writeln!(
        w,
        "- **Energy**: {}. Model: (TDP per core {} W x measured CPU seconds / wall seconds + peak RSS GB x {} W) x \
         hours x PUE {}. Carbon: {} g CO2e per kWh. Defaults from {}.\n",
        energy_method_words(&c.energy_method),
        e.tdp_per_core_w,
        e.memory_w_per_gb,
        e.pue,
        e.grid_g_co2_per_kwh,
        c.energy_defaults_source
    );
}

fn protocol(w: &mut String, r: &Results) {
    let s = &r.suite;
    let classes = &s.task.target_classes;
    let _ = writeln!(w, "## Protocol\n");
    let _ = writeln!(
        w,
        "- **Task**: MNIST-1D classes {classes:?} ({} classes, chance {}), {} test and {} validation examples per \
         class. **Model**: {}.",
        classes.len(),
        pct(1.0 / classes.len() as f64),
        s.task.target_test_per_class,
        s.task.target_val_per_class,
        s.model.describe(),
    );
    let t = &s.train;
    let _ = writeln!(
        w,
        "- **Training**: {} seeds per cell; at each budget and seed every strategy trains on the same examples. \
         AdamW (learning rate scratch {}, finetune {}, probe {}; weight decay {}), batch {}, at most {} epochs of at \
         least {} steps, early stopping after {} epochs without validation improvement; the best-on-validation \
         weights are tested once. Time to target counts until validation accuracy first reaches {}.",
        t.seeds.len(),
        t.learning_rate.scratch,
        t.learning_rate.finetune,
        t.learning_rate.probe,
        t.weight_decay,
        t.batch_size,
        t.max_epochs,
        t.min_steps_per_epoch,
        t.patience,
        pct(s.target_accuracy)
    );
    if let Some(p) = &r.pretrained {
        let c = &p.card;
        let _ =
            writeln!(
            w,
            "- **Pretrained backbone**: trained from scratch on classes {:?} ({} examples, {} epochs) to {} source \
             test accuracy in {:.1} s wall, {:.1} s CPU, {:.0} MiB peak RSS, measured {} ({}).",
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
    let _ = writeln!(w);
}

fn troubled(w: &mut String, r: &Results) {
    let troubled: Vec<_> = r.runs.iter().filter(|run| run.status != RunStatus::Completed).collect();
    if troubled.is_empty() {
        return;
    }
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

fn provenance(w: &mut String, r: &Results) {
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
}
