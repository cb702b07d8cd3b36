//! The one view model every human-readable output renders from: the verdict
//! in words, the tables and lists, already formatted. `summary.md` and
//! `index.html` are two templates over this value; neither computes.

use super::charts::{strategy_css, Chart, HEIGHT, WIDTH};
use super::prose::{
    assumptions, energy_method_words, partial_note, protocol, repriced_note, sensitivity_note, verdict_frame,
    PROJECTION_NOTE, VERDICT_RULE,
};
use super::sections::{
    accuracy_by_budget, budget_table, cost_to_target, efficiency_lines, projection_table, provenance,
    sensitivity_table, troubled,
};
use super::table::{Item, Table};
use super::{format::pct, verdict_text};
use crate::analysis::Results;
use base64::Engine;
use serde::Serialize;

/// A strategy's name and its colour in the charts.
#[derive(Debug, Serialize)]
pub struct Legend {
    /// The strategy.
    pub name: String,
    /// Its CSS colour.
    pub css: String,
}

/// A chart as the page embeds it.
#[derive(Debug, Serialize)]
pub struct ChartView {
    /// HTML id, from the file name.
    pub id: String,
    /// File name under `charts/`.
    pub file: &'static str,
    /// Caption.
    pub title: &'static str,
    /// The PNG as a data URI, so the page makes no request.
    pub data_uri: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// One label budget's heading and table.
#[derive(Debug, Serialize)]
pub struct BudgetView {
    /// Heading, e.g. "25 labels per class (125 examples)".
    pub title: String,
    /// Every strategy at that budget.
    pub table: Table,
}

/// Everything a summary or page shows, already formatted.
#[derive(Debug, Serialize)]
pub struct Page {
    /// Page title.
    pub title: String,
    /// The suite's name.
    pub name: String,
    /// The suite's one-line description.
    pub description: String,
    /// The verdict in one sentence.
    pub headline: String,
    /// For a partial result: how much of the suite it covers, and what completes it.
    pub partial: Option<String>,
    /// For a re-priced result: whose runs, and which settings differ.
    pub repriced: Option<String>,
    /// The sentence that frames the reasons (budget, target, prices).
    pub frame: String,
    /// Why, one sentence each.
    pub reasons: Vec<String>,
    /// What would change it, one sentence each.
    pub changes: Vec<String>,
    /// The decision rule in words.
    pub rule: &'static str,
    /// Strategy colours.
    pub legend: Vec<Legend>,
    /// The charts, embedded.
    pub charts: Vec<ChartView>,
    /// Test accuracy by budget and strategy.
    pub accuracy: Table,
    /// The target accuracy, formatted.
    pub target: String,
    /// Labels to target per strategy, and the break-even.
    pub efficiency: Vec<String>,
    /// Projected labels and cost to the target per strategy.
    pub projection: Table,
    /// How the projection table is read.
    pub projection_note: String,
    /// Where each cost assumption changes the winner (empty without a winner).
    pub sensitivity: Table,
    /// How the sensitivity table is read.
    pub sensitivity_note: String,
    /// How the cost table is read.
    pub cost_note: String,
    /// Cost, energy and carbon at each strategy's first budget reaching the target.
    pub cost: Table,
    /// One table per budget.
    pub budgets: Vec<BudgetView>,
    /// Runs that diverged or failed, one line each.
    pub troubled: Vec<String>,
    /// Every cost assumption.
    pub assumptions: Vec<Item>,
    /// The protocol.
    pub protocol: Vec<Item>,
    /// The pretrained model's record, as JSON.
    pub card: Option<String>,
    /// Machine, tool and command.
    pub provenance: Vec<Item>,
    /// The suite as run.
    pub suite_toml: String,
}

impl Page {
    /// The view of `r`, with `charts` already drawn from it.
    pub fn new(r: &Results, charts: &[Chart]) -> Page {
        let v = &r.verdict;
        Page {
            title: format!("reuse-bench: {}", r.suite.name),
            name: r.suite.name.clone(),
            description: r.suite.description.clone(),
            headline: verdict_text::headline(v),
            partial: partial_note(r),
            repriced: repriced_note(r),
            frame: verdict_frame(r),
            reasons: verdict_text::reasons(v),
            changes: verdict_text::changes(v),
            rule: VERDICT_RULE,
            legend: r
                .suite
                .train
                .strategies
                .iter()
                .map(|&s| Legend {
                    name: s.to_string(),
                    css: strategy_css(s),
                })
                .collect(),
            charts: charts.iter().map(chart_view).collect(),
            accuracy: accuracy_by_budget(r),
            target: pct(r.suite.target_accuracy),
            efficiency: efficiency_lines(r),
            projection: projection_table(r),
            projection_note: PROJECTION_NOTE.to_string(),
            sensitivity: sensitivity_table(r),
            sensitivity_note: sensitivity_note(r),
            cost_note: format!(
                "At each strategy's smallest budget that reaches the target (mean test accuracy), per task; 95% \
                 intervals in brackets. Energy: {} ({}).",
                r.cost.energy_method,
                energy_method_words(r.cost.energy_method)
            ),
            cost: cost_to_target(r),
            budgets: r
                .suite
                .train
                .budgets_per_class
                .iter()
                .map(|&b| {
                    let (title, table) = budget_table(r, b);
                    BudgetView { title, table }
                })
                .collect(),
            troubled: troubled(r),
            assumptions: assumptions(r),
            protocol: protocol(r),
            card: r
                .pretrained
                .as_ref()
                .map(|p| serde_json::to_string_pretty(p).expect("cards serialise")),
            provenance: provenance(r),
            suite_toml: r.suite.to_toml(),
        }
    }
}

fn chart_view(c: &Chart) -> ChartView {
    ChartView {
        id: c.file_name.trim_end_matches(".png").replace('_', "-"),
        file: c.file_name,
        title: c.title,
        data_uri: format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&c.png)
        ),
        width: WIDTH,
        height: HEIGHT,
    }
}
