//! The report's content as plain rows and lines, built once and rendered by
//! both the Markdown summary and the HTML page (which does no computation).

use super::Results;
use crate::analysis::{Aggregate, Summary};
use crate::cost::{ModelSource, Pricing};
use crate::fmt::{pct, sig3, usd};
use crate::runner::RunStatus;
use serde::Serialize;

/// A table of pre-formatted cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Column headings.
    pub header: Vec<String>,
    /// Whether each column holds numbers (right-aligned).
    pub numeric: Vec<bool>,
    /// Rows of cells, as many as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str], numeric: &[bool]) -> Self {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            numeric: numeric.to_vec(),
            rows: Vec::new(),
        }
    }

    /// The table in GitHub Markdown.
    pub fn to_markdown(&self) -> String {
        let mut md = format!("| {} |\n|", self.header.join(" | "));
        for &n in &self.numeric {
            md.push_str(if n { "---:|" } else { "---|" });
        }
        md.push('\n');
        for row in &self.rows {
            md.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        md
    }
}

/// A labelled paragraph, e.g. ("Compute", "gcp/e2-standard-2 ...").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// The bold lead-in.
    pub label: String,
    /// The text.
    pub text: String,
}

fn item(label: &str, text: String) -> Item {
    Item {
        label: label.to_string(),
        text,
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

fn with_failures(text: String, a: &Aggregate) -> String {
    if a.completed < a.runs {
        format!("{text} ({}/{} ok)", a.completed, a.runs)
    } else {
        text
    }
}

fn wh(kwh: f64) -> String {
    sig3(kwh * 1000.0)
}

fn grams(kg: f64) -> String {
    sig3(kg * 1000.0)
}

/// The sentence that frames the verdict's reasons.
pub fn verdict_frame(r: &Results) -> String {
    let v = &r.verdict;
    let c = &r.cost;
    format!(
        "At a label budget of up to {} labels per class and a target of {} test accuracy, with compute priced on {} \
         at {} per hour and labels at {} each:",
        v.label_budget_per_class,
        pct(v.target_accuracy),
        c.instance.key(),
        usd(c.usd_per_hour),
        usd(c.usd_per_label)
    )
}

/// How the verdict is decided, in words.
pub const VERDICT_RULE: &str = "The rule: among the sweep's cells with at most the label budget whose mean test \
    accuracy reaches the target, each strategy's cheapest cell is its option, and the cheapest option wins (a tie goes \
    to the more accurate). Confidence compares 95% intervals (Student t over seeds).";

/// Test accuracy (mean ± sd) per budget and strategy.
pub fn accuracy_by_budget(r: &Results) -> Table {
    let strategies = &r.suite.train.strategies;
    let mut header = vec!["labels per class".to_string()];
    header.extend(strategies.iter().map(|s| s.to_string()));
    let mut t = Table {
        numeric: vec![true; header.len()],
        header,
        rows: Vec::new(),
    };
    for &b in &r.suite.train.budgets_per_class {
        let mut row = vec![b.to_string()];
        row.extend(
            r.aggregates
                .iter()
                .filter(|a| a.budget_per_class == b)
                .map(|a| with_failures(or_dash(a.test_accuracy.as_ref(), pct), a)),
        );
        t.rows.push(row);
    }
    t
}

/// Labels needed per strategy, and the break-even.
pub fn efficiency_lines(r: &Results) -> Vec<String> {
    let mut lines: Vec<String> = r
        .labels_to_target
        .iter()
        .map(|l| format!("{}: {}", l.strategy, l.crossing.describe()))
        .collect();
    if let Some(be) = &r.break_even {
        let largest = r.suite.train.budgets_per_class.iter().max().copied().unwrap_or(0);
        lines.push(match be.crossing.first_budget() {
            Some(_) => format!(
                "Break-even: scratch comes within {:.1} points of the best reuse strategy at {}.",
                be.tolerance * 100.0,
                be.crossing.describe()
            ),
            None => format!(
                "Break-even: beyond the sweep; scratch is still more than {:.1} points behind at {largest} labels per \
                 class.",
                be.tolerance * 100.0
            ),
        });
    }
    lines
}

/// How energy was obtained, in words.
pub fn energy_method_words(method: &str) -> &'static str {
    match method {
        "rapl" => "measured from the CPU packages' RAPL counters, whole socket",
        "mixed" => "RAPL where readable, the model elsewhere",
        _ => "RAPL counters not readable here, so estimated with the model",
    }
}

/// Cost, energy and carbon at each strategy's smallest budget reaching the target.
pub fn cost_to_target(r: &Results) -> Table {
    let mut t = Table::new(
        &[
            "strategy",
            "labels per class",
            "test accuracy [95% CI]",
            "total cost [95% CI]",
            "compute",
            "labels",
            "model + pretraining",
            "energy Wh",
            "CO2e g",
        ],
        &[false, true, true, true, true, true, true, true, true],
    );
    let mean = |s: &Option<Summary>| s.map_or(0.0, |s| s.mean);
    for l in &r.labels_to_target {
        let cell = l.crossing.first_budget().and_then(|b| {
            r.aggregates
                .iter()
                .find(|a| a.strategy == l.strategy && a.budget_per_class == b)
        });
        t.rows.push(match cell {
            Some(a) => vec![
                a.strategy.to_string(),
                a.budget_per_class.to_string(),
                a.test_accuracy.as_ref().map_or("–".into(), |s| mean_ci(s, pct)),
                a.total_usd.as_ref().map_or("–".into(), |s| mean_ci(s, usd)),
                usd(mean(&a.compute_usd)),
                usd(mean(&a.labels_usd)),
                usd(mean(&a.model_usd) + mean(&a.pretraining_usd)),
                a.energy_kwh.as_ref().map_or("–".into(), |s| mean_ci(s, wh)),
                a.carbon_kg.as_ref().map_or("–".into(), |s| mean_ci(s, grams)),
            ],
            None => {
                let mut row = vec![l.strategy.to_string(), "not reached in the sweep".to_string()];
                row.resize(9, String::new());
                row
            }
        });
    }
    t
}

/// The heading and table of one budget.
pub fn budget_table(r: &Results, budget: usize) -> (String, Table) {
    let cells: Vec<&Aggregate> = r.aggregates.iter().filter(|a| a.budget_per_class == budget).collect();
    let examples = cells.first().map_or(0, |a| a.train_examples);
    let ttt_head = format!("time to {} val.", pct(r.suite.target_accuracy));
    let mut t = Table::new(
        &[
            "strategy",
            "test accuracy [95% CI]",
            "total cost",
            "energy Wh",
            "CO2e g",
            "wall s",
            "CPU s",
            "peak RSS MiB",
            &ttt_head,
            "trainable params",
        ],
        &[false, true, true, true, true, true, true, true, true, true],
    );
    for a in cells {
        let ttt = match &a.time_to_target_s {
            Some(s) => format!(
                "{} s ({}/{})",
                mean_sd(s, |v| format!("{v:.2}")),
                a.reached_target,
                a.completed
            ),
            None => format!("not reached (0/{})", a.completed),
        };
        t.rows.push(vec![
            a.strategy.to_string(),
            with_failures(a.test_accuracy.as_ref().map_or("–".into(), |s| mean_ci(s, pct)), a),
            or_dash(a.total_usd.as_ref(), usd),
            or_dash(a.energy_kwh.as_ref(), wh),
            or_dash(a.carbon_kg.as_ref(), grams),
            or_dash(a.wall_s.as_ref(), |v| format!("{v:.2}")),
            or_dash(a.cpu_s.as_ref(), |v| format!("{v:.2}")),
            or_dash(a.peak_rss_mib.as_ref(), |v| format!("{v:.0}")),
            ttt,
            a.trainable_params.map_or("–".into(), |p| p.to_string()),
        ]);
    }
    (format!("{budget} labels per class ({examples} examples)"), t)
}

/// Every cost assumption, one item each.
pub fn assumptions(r: &Results) -> Vec<Item> {
    let c = &r.cost;
    let i = &c.instance;
    let gpu = if i.gpu_count > 0 {
        format!(", {} x {}", i.gpu_count, i.gpu_model)
    } else {
        String::new()
    };
    let mut items = vec![
        item(
            "Compute",
            format!(
                "{} ({} vCPU, {} GiB{gpu}, {}), {} {} per hour, from {} (price of {}; catalog: {}). The compute cost \
                 assumes the wall times measured here on that instance; they were measured on {}.",
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
            ),
        ),
        item(
            "Labels",
            format!(
                "{} per labelled example. Source: {}.",
                usd(c.usd_per_label),
                c.label_price_source
            ),
        ),
    ];
    let m = &c.model;
    let source = match m.source {
        ModelSource::InHouse => "built in-house with `reuse-bench pretrain`",
        ModelSource::Hub => "downloaded from a model hub",
        ModelSource::Zoo => "taken from a model zoo",
        ModelSource::Marketplace => "bought from a marketplace",
    };
    items.push(item(
        "Pretrained model",
        format!(
            "{source}; licence: {}; fees: {} once + {} per hour of use.",
            m.licence,
            usd(m.one_time_usd),
            usd(m.usd_per_hour)
        ),
    ));
    if let Some(p) = &c.pretraining {
        items.push(item(
            "In-house pretraining",
            format!(
                "{:.1} s measured, {} at the instance price, {} Wh and {} g CO2e; shared by K = {} task(s), {} per \
                 task.",
                p.wall_s,
                usd(p.compute_usd),
                wh(p.energy.kwh),
                grams(p.energy.carbon_kg),
                c.amortize_over_tasks,
                usd(p.amortised_usd)
            ),
        ));
    }
    let e = &c.energy_model;
    items.push(item(
        "Energy",
        format!(
            "{}. Model: (TDP per core {} W x measured CPU seconds / wall seconds + peak RSS GB x {} W) x hours x PUE \
             {}. Carbon: {} g CO2e per kWh. Defaults from {}.",
            energy_method_words(&c.energy_method),
            e.tdp_per_core_w,
            e.memory_w_per_gb,
            e.pue,
            e.grid_g_co2_per_kwh,
            c.energy_defaults_source
        ),
    ));
    items
}

/// The protocol, one item per aspect.
pub fn protocol(r: &Results) -> Vec<Item> {
    let s = &r.suite;
    let classes = &s.task.target_classes;
    let t = &s.train;
    let mut items = vec![
        item(
            "Task",
            format!(
                "{}: {} classes (chance {}), {} test and {} validation examples per class.",
                s.task.describe(),
                classes.len(),
                pct(1.0 / classes.len() as f64),
                s.task.target_test_per_class,
                s.task.target_val_per_class,
            ),
        ),
        item(
            "Model",
            match &s.baseline {
                Some(b) => format!(
                    "{}; the baseline strategy trains {} from scratch",
                    s.model.describe(),
                    b.describe()
                ),
                None => s.model.describe(),
            },
        ),
        item(
            "Training",
            format!(
                "{} seeds per cell; at each budget and seed every strategy trains on the same examples. AdamW \
                 (learning rate {}; weight decay {}), batch {}, at most {} epochs of \
                 at least {} steps, early stopping after {} epochs without validation improvement; the \
                 best-on-validation weights are tested once. Time to target counts until validation accuracy first \
                 reaches {}.",
                t.seeds.len(),
                t.strategies
                    .iter()
                    .map(|&st| format!("{st} {}", t.learning_rate.for_strategy(st)))
                    .collect::<Vec<_>>()
                    .join(", "),
                t.weight_decay,
                t.batch_size,
                t.max_epochs,
                t.min_steps_per_epoch,
                t.patience,
                pct(s.target_accuracy)
            ),
        ),
    ];
    if let Some(g) = r.pretrained.as_ref().and_then(|p| p.given.as_ref()) {
        items.push(item(
            "Pretrained backbone",
            format!(
                "given: {} ({:.1} MB of weights), loaded in each run's init phase; its terms are under Cost assumptions.",
                g.name,
                g.weights_bytes as f64 / 1e6
            ),
        ));
    }
    if let Some(p) = r.pretrained.as_ref().filter(|p| p.card.is_some()) {
        let c = p.card.as_ref().expect("filtered on a card");
        items.push(item(
            "Pretrained backbone",
            format!(
                "trained from scratch on classes {:?} ({} examples, {} epochs) to {} source test accuracy in {:.1} s \
                 wall, {:.1} s CPU, {:.0} MiB peak RSS, measured {} ({}); {} parameters, {} bytes.",
                c.recipe.task.source_classes,
                c.source_train_examples,
                c.epochs_run,
                pct(c.source_test_accuracy),
                c.wall_s,
                c.cpu_s,
                c.peak_rss_bytes as f64 / (1u64 << 20) as f64,
                if p.from_cache {
                    "when it was cached"
                } else {
                    "in this run"
                },
                c.created_at,
                c.total_params,
                c.checkpoint_bytes
            ),
        ));
    }
    items
}

/// One line per run that diverged or failed.
pub fn troubled(r: &Results) -> Vec<String> {
    r.runs
        .iter()
        .filter(|run| run.status != RunStatus::Completed)
        .map(|run| {
            format!(
                "{}: {:?} – {}",
                run.run_id,
                run.status,
                run.message.as_deref().unwrap_or("no message")
            )
        })
        .collect()
}

/// Machine, tool version, time and command.
pub fn provenance(r: &Results) -> Vec<Item> {
    vec![
        item("Machine", r.machine.describe()),
        item(
            "Tool",
            format!(
                "reuse-bench {}, finished {}, sweep wall time {:.1} s",
                r.tool_version, r.created_at, r.sweep_wall_s
            ),
        ),
        item("Command", r.command.join(" ")),
    ]
}
