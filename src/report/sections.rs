//! The report's tables and lists, built once from the results and rendered
//! by both the Markdown summary and the HTML page (which do no computation).

use super::format::{assumption_value, assumption_words, crossing_words, grams, labels, pct, sig3, usd, wh};
use super::table::{item, mean_ci, mean_sd, or_dash, with_failures, Item, Table};
use crate::analysis::{Aggregate, Assumption, Interval, Refusal, Results, Summary};
use crate::results::RunStatus;
use crate::train::Strategy;

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
        // Looked up by strategy, so a column holds its strategy whatever the aggregates' order.
        row.extend(strategies.iter().map(|&s| match cell(r, s, b) {
            Some(a) => with_failures(or_dash(a.test_accuracy.as_ref(), pct), a),
            None => "–".to_string(),
        }));
        t.rows.push(row);
    }
    t
}

/// The aggregate of one (strategy, budget) cell.
fn cell(r: &Results, strategy: Strategy, budget: usize) -> Option<&Aggregate> {
    r.aggregates
        .iter()
        .find(|a| a.strategy == strategy && a.budget_per_class == budget)
}

/// Labels needed per strategy, and the break-even.
pub fn efficiency_lines(r: &Results) -> Vec<String> {
    let mut lines: Vec<String> = r
        .labels_to_target
        .iter()
        .map(|l| format!("{}: {}", l.strategy, crossing_words(&l.crossing)))
        .collect();
    if let Some(be) = &r.break_even {
        let largest = r.suite.train.budgets_per_class.iter().max().copied().unwrap_or(0);
        lines.push(match be.crossing.first_budget() {
            Some(_) => format!(
                "Break-even: scratch comes within {:.1} points of the best reuse strategy at {}.",
                be.tolerance * 100.0,
                crossing_words(&be.crossing)
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

/// Each strategy's projected labels and cost to the target, from its
/// learning curve, with the backtest that says how far to trust it.
pub fn projection_table(r: &Results) -> Table {
    let mut t = Table::new(
        &[
            "strategy",
            "labels per class to target [95% interval]",
            "total per run there [95% interval]",
            "fitted on (labels per class)",
            "curve",
            "backtest error",
        ],
        &[false, true, true, false, false, true],
    );
    let bracket = |i: &Interval, f: fn(f64) -> String| match i.high {
        Some(h) => format!("{} [{}–{}]", f(i.estimate), f(i.low), f(h)),
        None => format!("{} [{}–no bound]", f(i.estimate), f(i.low)),
    };
    for (strategy, p) in &r.projection {
        let need = match (&p.labels_per_class, &p.reason) {
            (Some(l), _) => bracket(l, labels),
            (None, Some(Refusal::LevelsOff { accuracy, .. })) => {
                format!("not projected: levels off at {}", pct(*accuracy))
            }
            (
                None,
                Some(Refusal::BeyondRange {
                    labels_per_class,
                    limit_per_class,
                    ..
                }),
            ) => format!(
                "not projected: about {} (beyond {})",
                labels(*labels_per_class),
                labels(*limit_per_class)
            ),
            (None, Some(Refusal::TooFewBudgets { budgets })) => format!("not projected: {budgets} budget(s)"),
            (None, Some(Refusal::NoTrend { smallest, largest })) => {
                format!(
                    "not projected: no rise beyond noise ({} to {})",
                    pct(*smallest),
                    pct(*largest)
                )
            }
            (None, None) => "–".to_string(),
        };
        let fit = p.fit.as_ref();
        t.rows.push(vec![
            strategy.to_string(),
            need,
            p.total_usd.as_ref().map_or("–".into(), |i| bracket(i, usd)),
            fit.map_or("–".into(), |f| {
                format!(
                    "{}–{} ({} budgets)",
                    f.budgets_per_class.0, f.budgets_per_class.1, f.budgets
                )
            }),
            fit.map_or("–".into(), |f| {
                let c = f.curve;
                format!("n50 {}, d {}, floor {}", sig3(c.n50), sig3(c.d), pct(c.c))
            }),
            p.backtest_abs_error
                .map_or("– (needs 3 budgets)".into(), |e| format!("{e:.1} pts")),
        ]);
    }
    t
}

/// Where each cost assumption would change the winner.
pub fn sensitivity_table(r: &Results) -> Table {
    let mut t = Table::new(
        &["assumption", "in this report", "the winner changes at", "new winner"],
        &[false, true, true, false],
    );
    for s in &r.sensitivity {
        t.rows.push(vec![
            assumption_words(s.assumption).to_string(),
            assumption_value(s.assumption, s.value_in_run),
            match (s.flips_at, s.assumption) {
                (Some(v), a) => assumption_value(a, v),
                (None, Assumption::GridGCo2PerKwh) => "never (carbon is reported, not priced)".to_string(),
                (None, _) => "no change within 10^±4 of it".to_string(),
            },
            s.flips_at
                .map(|_| s.new_winner.map_or("none reaches the target".into(), |w| w.to_string()))
                .unwrap_or_else(|| "–".into()),
        ]);
    }
    t
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
        let reached = l.crossing.first_budget().and_then(|b| cell(r, l.strategy, b));
        t.rows.push(match reached {
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

/// One line per run that diverged or failed.
pub fn troubled(r: &Results) -> Vec<String> {
    r.runs
        .iter()
        .map(|priced| &priced.run)
        .filter(|run| run.status != RunStatus::Completed)
        .map(|run| {
            format!(
                "{}: {} – {}",
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
