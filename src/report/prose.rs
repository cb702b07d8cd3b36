//! The report's prose: the frame and rule of the verdict, the cost
//! assumptions and the protocol, each as labelled items built once for both
//! the Markdown summary and the HTML page.

use super::format::{grams, pct, usd, wh};
use super::table::{item, Item};
use crate::analysis::{PartialReason, Results};
use crate::cost::{EnergyMethod, ModelSource, Pricing};

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

/// How energy was obtained, in words.
pub fn energy_method_words(method: EnergyMethod) -> &'static str {
    match method {
        EnergyMethod::Rapl => "measured from the CPU packages' RAPL counters, whole socket",
        EnergyMethod::Mixed => "RAPL where readable, the model elsewhere",
        EnergyMethod::Model => "RAPL counters not readable here, so estimated with the model",
    }
}

/// Every cost assumption, one item each.
pub fn assumptions(r: &Results) -> Vec<Item> {
    let c = &r.cost;
    let mut items = vec![
        compute_item(r),
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
            energy_method_words(c.energy_method),
            e.tdp_per_core_w,
            e.memory_w_per_gb,
            e.pue,
            e.grid_g_co2_per_kwh,
            c.energy_defaults_source
        ),
    ));
    items
}

/// The instance the measured times are priced on, and where they were measured.
fn compute_item(r: &Results) -> Item {
    let c = &r.cost;
    let i = &c.instance;
    let gpu = if i.gpu_count > 0 {
        format!(", {} x {}", i.gpu_count, i.gpu_model)
    } else {
        String::new()
    };
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
    )
}

/// The protocol, one item per aspect.
pub fn protocol(r: &Results) -> Vec<Item> {
    let s = &r.suite;
    let classes = &s.task.target_classes;
    let mut items = vec![
        item(
            "Task",
            format!(
                "{}: {} classes (chance {}), {} and {} validation examples per class.",
                s.task.describe(),
                classes.len(),
                pct(1.0 / classes.len() as f64),
                match &s.task.test_path {
                    Some(test) => format!("the test set {}", test.display()),
                    None => format!("{} test", s.task.target_test_per_class),
                },
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
        training_item(r),
    ];
    items.extend(pretrained_item(r));
    items
}

/// The training protocol every strategy shares.
fn training_item(r: &Results) -> Item {
    let t = &r.suite.train;
    item(
        "Training",
        format!(
            "{} seeds per cell; at each budget and seed every strategy trains on the same examples. AdamW (learning \
             rate {}; weight decay {}), batch {}, at most {} epochs of at least {} steps, early stopping after {} \
             epochs without validation improvement; the best-on-validation weights are tested once. Time to target \
             counts until validation accuracy first reaches {}.",
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
            pct(r.suite.target_accuracy)
        ),
    )
}

/// Where the pretrained backbone came from: given, or trained in-house (and what that cost).
fn pretrained_item(r: &Results) -> Option<Item> {
    let p = r.pretrained.as_ref()?;
    if let Some(g) = &p.given {
        return Some(item(
            "Pretrained backbone",
            format!(
                "given: {} ({:.1} MB of weights), loaded in each run's init phase; its terms are under Cost assumptions.",
                g.name,
                g.weights_bytes as f64 / 1e6
            ),
        ));
    }
    let c = p.card.as_ref()?;
    Some(item(
        "Pretrained backbone",
        format!(
            "trained from scratch on classes {:?} ({} examples, {} epochs) to {} source test accuracy in {:.1} s wall, \
             {:.1} s CPU, {:.0} MiB peak RSS, measured {} ({}); {} parameters, {} bytes.",
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
    ))
}

/// How the projection table is read.
pub const PROJECTION_NOTE: &str = "Projected, not measured. Each strategy's mean test error is fitted against its \
labels per class n as err = c + (e0 - c) / (1 + (n/n50)^d): it starts at chance (e0 = 1 - 1/classes), falls as an \
inverse power law n^-d and levels off at a floor c (0 when only two budgets ran). Each budget is weighted by the \
inverse variance of its mean over seeds; a run's wall time is fitted as a line. Intervals: 95%, from 1,000 refits \
on seeds resampled within each budget. No projection reaches past ten times the largest budget. The backtest fits \
on all budgets but the largest and says how far it missed that one, in accuracy points. The verdict uses a \
projection only for a strategy that never reaches the target in the sweep.";

/// How the sensitivity table is read, or why it is empty.
pub fn sensitivity_note(r: &Results) -> String {
    if r.sensitivity.is_empty() {
        return match r.verdict.winner() {
            None => "No strategy wins within the label budget, so there is no winner for a price to change.",
            Some(_) => {
                "This results.json predates the sensitivity analysis: `reuse-bench report DIR` with any cost option \
                 (e.g. the run's own --usd-per-label) re-prices the runs and adds it."
            }
        }
        .to_string();
    }
    "Each cost assumption moved alone, the others as in this report: the nearest value (scanning 10^±4 around it, \
     from 10^-4 up for a fee of 0) at which the verdict's rule picks another strategy. The runs stay as measured; \
     `reuse-bench report DIR --usd-per-label ...` re-prices them under any of these."
        .to_string()
}

/// For a re-priced result: where its runs come from and what differs from the run's settings.
pub fn repriced_note(r: &Results) -> Option<String> {
    let rp = r.repriced.as_ref()?;
    let changed: Vec<String> = rp
        .changed
        .iter()
        .map(|c| format!("{} {} → {}", c.setting, c.was, c.now))
        .collect();
    Some(format!(
        "Re-priced: the runs measured in {} priced again under other settings ({}); nothing was re-run, and that \
         folder keeps the run's own verdict.",
        rp.from,
        if changed.is_empty() {
            "none differs from the run's".to_string()
        } else {
            changed.join(", ")
        }
    ))
}

/// For a result that covers only part of the suite: how much, why, and what
/// completes it. Every figure of the report covers only these runs.
pub fn partial_note(r: &Results) -> Option<String> {
    let p = r.partial.as_ref()?;
    let what = format!(
        "{} of the suite's {} runs{}",
        p.runs_done,
        p.runs_in_suite,
        p.shard.map_or(String::new(), |s| format!(" (shard {s})"))
    );
    Some(match p.reason {
        PartialReason::Interrupted => format!(
            "Partial result: {what}. The sweep was stopped before the rest ran; `reuse-bench run --resume DIR` \
             runs them. The verdict and every figure below cover only these runs."
        ),
        PartialReason::Shard => format!(
            "Partial result: {what}, one slice of a sharded sweep; `reuse-bench merge` puts the shards together. \
             The verdict and every figure below cover only these runs."
        ),
    })
}
