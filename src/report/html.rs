//! `index.html`: one self-contained page, verdict first. A serialisable
//! context rendered by an embedded minijinja template; every figure is
//! formatted in Rust ([`super::tables`]), the template only lays it out.
//! Charts are embedded as PNG data URIs, so the page makes no request.

use super::charts::{strategy_css, Chart, HEIGHT, WIDTH};
use super::tables::{self, Item, Table};
use super::{Exporter, OutputFile, Rendered};
use crate::{Error, Result};
use base64::Engine;
use serde::Serialize;

/// The page template.
const TEMPLATE: &str = include_str!("templates/index.html");

/// The self-contained HTML page.
pub(super) struct Html;

#[derive(Serialize)]
struct Legend {
    name: String,
    css: String,
}

#[derive(Serialize)]
struct ChartView {
    id: String,
    file: &'static str,
    title: &'static str,
    data_uri: String,
    width: u32,
    height: u32,
}

#[derive(Serialize)]
struct BudgetView {
    title: String,
    table: Table,
}

/// Everything the template shows, already formatted.
#[derive(Serialize)]
struct Page<'a> {
    title: String,
    description: &'a str,
    headline: &'a str,
    frame: String,
    reasons: &'a [String],
    changes: &'a [String],
    rule: &'static str,
    legend: Vec<Legend>,
    charts: Vec<ChartView>,
    accuracy: Table,
    efficiency: Vec<String>,
    cost_note: String,
    cost: Table,
    budgets: Vec<BudgetView>,
    troubled: Vec<String>,
    assumptions: Vec<Item>,
    protocol: Vec<Item>,
    card: Option<String>,
    provenance: Vec<Item>,
    suite_toml: String,
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

impl Exporter for Html {
    fn render(&self, input: &Rendered) -> Result<Vec<OutputFile>> {
        let r = input.results;
        let page = Page {
            title: format!("reuse-bench: {}", r.suite.name),
            description: &r.suite.description,
            headline: &r.verdict.headline,
            frame: tables::verdict_frame(r),
            reasons: &r.verdict.reasons,
            changes: &r.verdict.what_would_change_it,
            rule: tables::VERDICT_RULE,
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
            charts: input.charts.iter().map(chart_view).collect(),
            accuracy: tables::accuracy_by_budget(r),
            efficiency: tables::efficiency_lines(r),
            cost_note: format!(
                "At each strategy's smallest budget that reaches the target (mean test accuracy), per task; 95% \
                 intervals in brackets. Energy: {}.",
                tables::energy_method_words(&r.cost.energy_method)
            ),
            cost: tables::cost_to_target(r),
            budgets: r
                .suite
                .train
                .budgets_per_class
                .iter()
                .map(|&b| {
                    let (title, table) = tables::budget_table(r, b);
                    BudgetView { title, table }
                })
                .collect(),
            troubled: tables::troubled(r),
            assumptions: tables::assumptions(r),
            protocol: tables::protocol(r),
            card: r
                .pretrained
                .as_ref()
                .map(|p| serde_json::to_string_pretty(p).expect("cards serialise")),
            provenance: tables::provenance(r),
            suite_toml: r.suite.to_toml(),
        };
        let mut env = minijinja::Environment::new();
        env.add_template("index.html", TEMPLATE)
            .map_err(|e| Error::Report(format!("page template: {e}")))?;
        let html = env
            .get_template("index.html")
            .and_then(|t| t.render(&page))
            .map_err(|e| Error::Report(format!("rendering index.html: {e}")))?;
        Ok(vec![OutputFile::new("index.html", html.into_bytes())])
    }
}
